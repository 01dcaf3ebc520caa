"""Emergencies (Thông tư 39): an approved emergency bulletin, or an approved stock message (storm, flood...,
pinned on every node), plays at once on every targeted cluster, pre-empting what is on air and ignoring
quiet hours."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi import APIRouter
from sqlmodel import Session, col, select

from audio_library.row_id import RowId
from controller import audit
from controller.accounts import Role, User
from controller.bulletin_scope import check_airs_in
from controller.deps import CurrentUser, ServicesDep, SessionDep, require_commune, require_role
from controller.errors import Forbidden
from devices.registry import Commune, get_commune
from schedules import (
    Bulletin,
    BulletinNotFound,
    Target,
    UnknownTarget,
    current_playlist,
    resolve_target,
    target_named,
)
from schedules.emergency_dispatch import check_emergency_bulletin, issue_emergency
from schedules.emergency_order import EmergencyCreate, EmergencyOrder, EmergencyPublic
from schedules.errors import EmergencyNotFound
from schedules.hamlet import load_registry
from schedules.stock_message import StockMessage, approved_message

router = APIRouter(tags=["emergencies"])


def _target(data: EmergencyCreate) -> Target:
    target = target_named(
        province_code=data.province_code,
        clusters=data.clusters,
        commune_code=data.commune_code,
        hamlet_group=data.hamlet_group,
    )
    if target is None:
        raise UnknownTarget("no target given", message_vi="Phải chọn nơi phát: tỉnh, xã, nhóm thôn hoặc cụm loa.")
    return target


@router.post("/emergencies", status_code=201)
def issue(
    data: EmergencyCreate, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> list[EmergencyPublic]:
    """Issue an emergency; it starts `scheduler.emergency_dispatch_lead_s` after this returns on every cluster.

    It airs an approved emergency bulletin (`bulletin_id`), or an approved stock message (`stock_key` and
    `stock_language`), which every node already holds: nothing to download, so it is on air everywhere
    at the start. Returns one order per commune reached, with the playlist version that carries it.
    """
    require_role(user, Role.OFFICER, Role.ADMIN)
    sched = services.settings.scheduler
    audio: Bulletin | StockMessage
    if data.stock_key is not None and data.stock_language is not None:
        audio, _ = approved_message(session, data.stock_key, data.stock_language)
        bulletin = None
    else:
        bulletin = session.get(Bulletin, data.bulletin_id)
        if bulletin is None:
            raise BulletinNotFound(f"no bulletin {data.bulletin_id}")
        check_emergency_bulletin(bulletin)
        audio = bulletin
    registry = load_registry(session)
    reached = resolve_target(_target(data), registry)
    communes: list[tuple[Commune, frozenset[str] | None]] = []
    for code in sorted(reached):
        commune = get_commune(session, code)
        require_commune(session, user, commune)
        everyone = frozenset(registry.communes.get(code, ()))
        communes.append((commune, None if reached[code] == everyone else reached[code]))
    # A stock message is approved for every commune; a bulletin only where it was approved to air.
    if bulletin is not None and bulletin.province_id is not None:
        for commune, _ in communes:
            check_airs_in(bulletin, commune)
    elif bulletin is not None and bulletin.commune_id not in {c.id for c, _ in communes}:
        raise Forbidden(
            f"bulletin {bulletin.id} was approved for a commune the target does not reach",
            message_vi="Bản tin được duyệt cho xã khác, không được phát ở địa bàn này.",
        )
    assert user.id is not None
    now = services.clock()
    orders = []
    for commune, clusters in communes:
        order = issue_emergency(
            session,
            audio,
            commune,
            clusters,
            issued_by=user.id,
            now=now,
            dispatch_lead=timedelta(seconds=sched.emergency_dispatch_lead_s),
            lookback=timedelta(minutes=sched.max_item_duration_min),
            planning=sched.planning(),
        )
        assert order.id is not None
        orders.append((order, commune))
        audit.record(
            session,
            user,
            "emergency.issue",
            f"emergency {order.id}",
            json.dumps(
                {
                    "bulletin": order.bulletin_id,
                    "stock": f"{order.stock_key}/{order.stock_language}" if order.stock_key else None,
                    "commune": commune.code,
                    "clusters": order.clusters,
                },
                ensure_ascii=False,
            ),
        )
    # Commit once, then announce each commune (urgently: nodes pull without their usual jitter). A commune
    # that cannot be published now keeps its order and is announced by the periodic republish.
    session.commit()
    versions = services.publish_each(session, [commune for _, commune in orders], urgent=True)
    return [_public(order, commune, versions[commune.code]) for order, commune in orders]


def _public(order: EmergencyOrder, commune: Commune, playlist_version: int | None) -> EmergencyPublic:
    assert order.id is not None
    return EmergencyPublic(
        id=order.id,
        bulletin_id=order.bulletin_id,
        stock_key=order.stock_key,
        stock_language=order.stock_language,
        commune_code=commune.code,
        clusters=order.clusters,
        issued_at=order.issued_at,
        starts_at=order.starts_at,
        playlist_version=playlist_version,
        cancelled_at=order.cancelled_at,
    )


def _order_in_scope(session: Session, user: User, order_id: int) -> tuple[EmergencyOrder, Commune]:
    order = session.get(EmergencyOrder, order_id)
    commune = session.get(Commune, order.commune_id) if order is not None else None
    if order is None or commune is None:
        raise EmergencyNotFound(f"no emergency order {order_id}")
    require_commune(session, user, commune)
    return order, commune


@router.post("/emergencies/{order_id}/cancel")
def cancel(order_id: RowId, session: SessionDep, user: CurrentUser, services: ServicesDep) -> EmergencyPublic:
    """End an emergency now (a false alarm, or the danger has passed), in one commune.

    Nodes cut it at once and what it interrupted continues by its policy. Cancelling before it began
    removes it; cancelling one that has ended, or again, changes nothing.
    """
    require_role(user, Role.OFFICER, Role.ADMIN)
    order, commune = _order_in_scope(session, user, order_id)
    if order.cancelled_at is None:
        order.cancelled_at = services.clock()
        order.cancelled_by = user.id
        session.add(order)
        audit.record(session, user, "emergency.cancel", f"emergency {order.id}", f"commune {commune.code}")
    stored = services.publish(session, commune, urgent=True)
    return _public(order, commune, stored.version)


@router.get("/communes/{commune_code}/emergencies")
def list_emergencies(
    commune_code: str, session: SessionDep, user: CurrentUser, services: ServicesDep, days: int = 7
) -> list[EmergencyPublic]:
    """The commune's emergencies issued in the last `days` days, newest first."""
    commune = get_commune(session, commune_code)
    require_commune(session, user, commune)
    since = services.clock() - timedelta(days=max(1, min(days, 366)))
    orders = session.exec(
        select(EmergencyOrder)
        .where(EmergencyOrder.commune_id == commune.id, col(EmergencyOrder.issued_at) >= since)
        .order_by(col(EmergencyOrder.issued_at).desc(), col(EmergencyOrder.id).desc())
    ).all()
    stored = current_playlist(session, commune)
    current = stored.version if stored is not None else 0
    return [_public(order, commune, current) for order in orders]
