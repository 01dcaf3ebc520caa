"""CAP alerts in the controller: taking them in with their audit entry, airing one as an emergency on
exactly the clusters its area reaches, ending the emergency of one that is cancelled or replaced.

An alert airs as a province bulletin of priority `emergency` (the title and text the alert is read as,
spoken by loaxa's speech chain), approved by the officer who confirmed it (or, when the province chose
auto-air for the source and severity, approved at the source in the province's name), then issued as an
emergency order in each commune it reaches, through the same path as `POST /emergencies`.
Functions here run in plain worker threads: the speech renderer gets its own event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from controller import audit
from controller.accounts import User
from controller.bulletin_workflow import bulletin_speech
from controller.services import Services
from devices.registry import Commune, get_commune
from province_link import AlertState, CapAlert, CapAlertNotPending, CapIntakeResult, SourceSystem, receive_cap
from schedules import Bulletin, BulletinStatus, approve, approve_at_source
from schedules.emergency_dispatch import issue_emergency
from schedules.emergency_order import EmergencyOrder
from tts.errors import TtsError
from tts.speech_asset import RenderedSpeech

log = logging.getLogger(__name__)


def cap_target(alert: CapAlert) -> str:
    return f"cap:{alert.identifier[:120]} ({alert.sender[:60]})"


def audit_received(session: Session, source: SourceSystem, result: CapIntakeResult) -> None:
    """The audit entry of a message taken (not a duplicate), written by the source's service account."""
    if result.duplicate:
        return
    alert = result.alert
    detail = {
        "alert": alert.id,
        "status": alert.status,
        "msgType": alert.msg_type,
        "state": alert.state,
        "reason": alert.reason,
        "communes": sorted(alert.reach),
        "references": alert.references,
    }
    audit.record(
        session,
        session.get(User, source.author_id),
        "cap.receive",
        cap_target(alert),
        json.dumps(detail, ensure_ascii=False),
    )


def end_emergencies(
    session: Session, alerts: list[CapAlert], user: User | None, *, now: datetime, why: str
) -> list[Commune]:
    """End now the emergencies the alerts aired; the caller commits and publishes the communes returned."""
    communes: dict[int, Commune] = {}
    for alert in alerts:
        for order_id in alert.emergency_ids:
            order = session.get(EmergencyOrder, order_id)
            if order is None:
                continue
            commune = session.get(Commune, order.commune_id)
            assert commune is not None and commune.id is not None
            communes[commune.id] = commune
            if order.cancelled_at is not None:
                continue
            order.cancelled_at = now
            order.cancelled_by = user.id if user is not None else None
            session.add(order)
            audit.record(session, user, "emergency.cancel", f"emergency {order.id}", f"commune {commune.code}; {why}")
    return list(communes.values())


def take_alert(services: Services, session: Session, source: SourceSystem, data: bytes) -> CapIntakeResult:
    """Receive one authenticated CAP message: store and audit it, end what a Cancel ends, and air it at once
    when the province chose so; commits. The refusal, if any, is in the result for the caller to raise."""
    now = services.clock()
    result = receive_cap(session, source, data, now=now, max_bytes=services.settings.source_link.cap_max_bytes)
    audit_received(session, source, result)
    author = session.get(User, source.author_id)
    ended = end_emergencies(session, result.to_end, author, now=now, why=f"CAP Cancel {result.alert.identifier[:120]}")
    session.commit()
    if ended:
        services.publish_each(session, ended, urgent=True)
    if result.air_now and result.alert.id is not None and author is not None:
        try:
            air_alert(services, session, result.alert.id, author, auto=True)
        except TtsError as exc:  # no speech now: the alert stays pending for a provincial officer
            session.rollback()
            log.warning("CAP alert %s could not air at once, left pending: %s", result.alert.identifier, exc)
    session.refresh(result.alert)
    return result


def _render(services: Services, session: Session, bulletin: Bulletin) -> RenderedSpeech:
    return asyncio.run(services.speech.render(bulletin_speech(session, services, bulletin)))


def air_alert(services: Services, session: Session, alert_id: int, user: User, *, auto: bool) -> CapAlert:
    """Air a pending alert as an emergency on the clusters it reaches; ends the alert it replaces. Commits.

    `auto`: by the province's auto-air choice (`user` is then the source's service account).
    """
    alert = session.get(CapAlert, alert_id)
    if alert is None or alert.state != AlertState.PENDING:
        raise CapAlertNotPending(f"CAP alert {alert_id} is {alert.state if alert else 'missing'}")
    source = session.get(SourceSystem, alert.source_id)
    assert source is not None and user.id is not None
    bulletin = Bulletin(
        title=alert.title or "Cảnh báo từ hệ thống thông tin nguồn",
        body=alert.text or alert.title or "Cảnh báo",
        topic=f"Cảnh báo CAP: {alert.event}"[:100],
        priority="emergency",
        province_id=source.province_id,
        author_id=source.author_id,
        status=BulletinStatus.PENDING,
    )
    rendered = _render(services, session, bulletin)  # seconds: before anything is written
    alert = session.get(CapAlert, alert_id, with_for_update=True, populate_existing=True)
    if alert is None or alert.state != AlertState.PENDING:  # confirmed twice at once: the second does nothing
        session.rollback()
        raise CapAlertNotPending(f"CAP alert {alert_id} is no longer pending")
    bulletin.spoken_text = rendered.spoken_text
    session.add(bulletin)
    session.flush()
    if auto:
        approve_at_source(
            bulletin, f"Tự động phát theo cấu hình của tỉnh ({source.code}, {alert.severity})", rendered.asset_sha256
        )
    else:
        approve(bulletin, user.id, rendered.asset_sha256)
    sched = services.settings.scheduler
    now = services.clock()
    orders: list[tuple[EmergencyOrder, Commune]] = []
    for code, clusters in sorted(alert.reach.items()):
        commune = get_commune(session, code)
        order = issue_emergency(
            session,
            bulletin,
            commune,
            frozenset(clusters) if clusters is not None else None,
            issued_by=user.id,
            now=now,
            dispatch_lead=timedelta(seconds=sched.emergency_dispatch_lead_s),
            lookback=timedelta(minutes=sched.max_item_duration_min),
            planning=sched.planning(),
        )
        orders.append((order, commune))
        audit.record(
            session,
            user,
            "emergency.issue",
            f"emergency {order.id}",
            json.dumps(
                {"bulletin": bulletin.id, "commune": code, "clusters": order.clusters, "cap": alert.identifier},
                ensure_ascii=False,
            ),
        )
    alert.state = AlertState.AIRED
    alert.bulletin_id = bulletin.id
    alert.emergency_ids = [order.id for order, _ in orders if order.id is not None]
    alert.confirmed_by, alert.confirmed_at, alert.auto_aired = user.id, now, auto
    session.add(alert)
    ended: list[Commune] = []
    if alert.replaces_id is not None:
        earlier = session.get(CapAlert, alert.replaces_id)
        if earlier is not None and earlier.state == AlertState.AIRED:
            ended = end_emergencies(session, [earlier], user, now=now, why=f"CAP Update {alert.identifier[:120]}")
            earlier.state = AlertState.SUPERSEDED
            session.add(earlier)
    audit.record(
        session,
        user,
        "cap.air" if auto else "cap.confirm",
        cap_target(alert),
        json.dumps(
            {"alert": alert.id, "bulletin": bulletin.id, "emergencies": alert.emergency_ids, "auto": auto},
            ensure_ascii=False,
        ),
    )
    session.commit()
    communes = {c.code: c for _, c in orders} | {c.code: c for c in ended}
    services.publish_each(session, list(communes.values()), urgent=True)
    return alert


def province_alerts(session: Session, province_id: int | None, *, state: str | None, limit: int) -> list[CapAlert]:
    """The alerts of the province's sources (None: every province), newest first."""
    query = select(CapAlert).order_by(col(CapAlert.received_at).desc(), col(CapAlert.id).desc()).limit(limit)
    if province_id is not None:
        query = query.join(SourceSystem, col(SourceSystem.id) == col(CapAlert.source_id)).where(
            SourceSystem.province_id == province_id
        )
    if state is not None:
        query = query.where(CapAlert.state == state)
    return list(session.exec(query))
