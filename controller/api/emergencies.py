"""Emergencies (Thông tư 39): an approved emergency bulletin plays at once on every targeted cluster,
pre-empting what is on air and ignoring quiet hours."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter

from controller.accounts import Role
from controller.deps import CurrentUser, ServicesDep, SessionDep, require_commune, require_role
from controller.errors import Forbidden
from devices.registry import Commune, get_commune
from schedules import (
    Bulletin,
    BulletinNotFound,
    ClusterTarget,
    CommuneTarget,
    HamletGroupTarget,
    ProvinceTarget,
    Target,
    UnknownTarget,
    resolve_target,
)
from schedules.emergency_dispatch import check_emergency_bulletin, issue_emergency
from schedules.emergency_order import EmergencyCreate, EmergencyPublic
from schedules.hamlet import load_registry

router = APIRouter(tags=["emergencies"])


def _target(data: EmergencyCreate) -> Target:
    if data.province_code:
        return ProvinceTarget(data.province_code)
    if data.clusters:
        return ClusterTarget(frozenset(data.clusters))
    if data.commune_code and data.hamlet_group:
        return HamletGroupTarget(data.commune_code, data.hamlet_group)
    if data.commune_code:
        return CommuneTarget(data.commune_code)
    raise UnknownTarget("no target given", message_vi="Phải chọn nơi phát: tỉnh, xã, nhóm thôn hoặc cụm loa.")


@router.post("/emergencies", status_code=201)
def issue(
    data: EmergencyCreate, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> list[EmergencyPublic]:
    """Issue an emergency; it starts `scheduler.emergency_dispatch_lead_s` after this returns on every cluster.

    Returns one order per commune reached, with the playlist version that carries it.
    """
    require_role(user, Role.OFFICER, Role.ADMIN)
    sched = services.settings.scheduler
    bulletin = session.get(Bulletin, data.bulletin_id)
    if bulletin is None:
        raise BulletinNotFound(f"no bulletin {data.bulletin_id}")
    check_emergency_bulletin(bulletin)
    registry = load_registry(session)
    reached = resolve_target(_target(data), registry)
    communes: list[tuple[Commune, frozenset[str] | None]] = []
    for code in sorted(reached):
        commune = get_commune(session, code)
        require_commune(session, user, commune)
        everyone = frozenset(registry.communes.get(code, ()))
        communes.append((commune, None if reached[code] == everyone else reached[code]))
    if bulletin.commune_id not in {c.id for c, _ in communes}:
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
            bulletin,
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
    # Commit once, then announce each commune (urgently: nodes pull without their usual jitter).
    results = []
    for order, commune in orders:
        stored = services.publish(session, commune, urgent=True)
        assert order.id is not None
        results.append(
            EmergencyPublic(
                id=order.id,
                bulletin_id=order.bulletin_id,
                commune_code=commune.code,
                clusters=order.clusters,
                issued_at=order.issued_at,
                starts_at=order.starts_at,
                playlist_version=stored.version,
            )
        )
    return results
