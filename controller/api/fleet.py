"""Fleet health: counts by state, a commune's clusters, one cluster's detail, and alerts."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import Session

from audio_library.row_id import RowId
from audio_library.timestamps import utc_now
from controller.accounts import Role, User, commune_scope
from controller.deps import CurrentUser, SessionDep, require_commune, require_role
from devices.alerts import Alert, AlertPublic, acknowledge
from devices.errors import UnknownAlert
from devices.fleet import (
    CommuneHealth,
    DeviceDetail,
    FleetSummary,
    alert_public,
    commune_health,
    device_detail,
    fleet_summary,
    list_alerts,
)
from devices.registry import Commune, get_commune, get_device

router = APIRouter(tags=["fleet"])


@router.get("/fleet/summary")
def summary(session: SessionDep, user: CurrentUser) -> FleetSummary:
    """Cluster counts by state (online, degraded, offline, unknown) over the communes the user answers for."""
    return fleet_summary(session, commune_scope(session, user))


@router.get("/fleet/communes/{commune_code}")
def commune(commune_code: str, session: SessionDep, user: CurrentUser) -> CommuneHealth:
    """The commune's clusters with their state, latest heartbeat, today's uptime; its open alerts."""
    found = get_commune(session, commune_code)
    require_commune(session, user, found)
    return commune_health(session, found, utc_now())


@router.get("/fleet/devices/{device_code}")
def device(device_code: str, session: SessionDep, user: CurrentUser) -> DeviceDetail:
    """One cluster: latest heartbeat, heartbeat history, daily uptime, recent alerts and proof of play."""
    found = get_device(session, device_code)
    commune = session.get(Commune, found.commune_id)
    assert commune is not None
    require_commune(session, user, commune)
    return device_detail(session, found, commune, utc_now())


@router.get("/alerts")
def alerts(session: SessionDep, user: CurrentUser, open: bool = False, limit: int = 200) -> list[AlertPublic]:
    """Alerts in the user's communes, newest first; `open=true`: only those not resolved yet."""
    return list_alerts(session, commune_scope(session, user), only_open=open, limit=max(1, min(limit, 1000)))


def acknowledge_in_scope(session: Session, user: User, alert_id: int) -> Alert:
    """Mark an alert as seen, for the API and the console alike: monitors and admins whose scope has it.

    An event alert (failed to play, suspect report, identity from two places) is thereby closed; a
    condition stays open until it clears. Idempotent.
    """
    require_role(user, Role.MONITOR, Role.ADMIN)
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise UnknownAlert(f"no alert {alert_id}")
    commune = session.get(Commune, alert.commune_id)
    assert commune is not None
    require_commune(session, user, commune)
    if alert.acknowledged_at is None:
        acknowledge(session, alert, user.username, utc_now())
        session.commit()
    return alert


@router.post("/alerts/{alert_id}/ack")
def ack(alert_id: RowId, session: SessionDep, user: CurrentUser) -> AlertPublic:
    return alert_public(session, acknowledge_in_scope(session, user, alert_id))
