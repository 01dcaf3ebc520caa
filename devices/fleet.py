"""Fleet overview and detail views: counts by health state, a commune's clusters, one cluster's history.

Read-only queries over the tables the health sweep maintains (devices/health_monitor.py); the API and
the web dashboard render what these return.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from devices.alerts import Alert, AlertPublic
from devices.health import DeviceHealth, HeartbeatSample
from devices.proof_of_play import PlayRecord, PlayRecordPublic
from devices.registry import Commune, Device
from devices.uptime import UptimeDay, day_bounds, device_up_seconds, local_day


class FleetSummary(BaseModel):
    """Active clusters by health state; `unknown`: never heard from (or not yet evaluated)."""

    total: int
    online: int
    degraded: int
    offline: int
    unknown: int


class ClusterHealth(BaseModel):
    """One cluster as a commune page lists it."""

    code: str
    name: str
    state: str
    state_since: datetime | None
    problems: list[str]
    last_heartbeat_at: datetime | None
    firmware: str
    volume: int | None
    amplifier: str | None
    speaker_line: str | None
    temperature_c: float | None
    network: str | None
    signal_dbm: int | None
    storage_free_mb: int | None
    clock_offset_ms: int | None
    current_item: str | None
    playlist_version: int | None
    uptime_today_s: int


class CommuneHealth(BaseModel):
    code: str
    name: str
    summary: FleetSummary
    clusters: list[ClusterHealth]
    open_alerts: list[AlertPublic]


class SamplePublic(BaseModel):
    at: datetime
    state: str
    temperature_c: float | None
    signal_dbm: int | None
    storage_free_mb: int
    clock_offset_ms: int | None
    volume: int


class UptimePublic(BaseModel):
    day: date
    up_s: int


class DeviceDetail(BaseModel):
    commune: str
    cluster: ClusterHealth
    samples: list[SamplePublic]
    uptime: list[UptimePublic]
    alerts: list[AlertPublic]
    plays: list[PlayRecordPublic]


def fleet_summary(session: Session, commune_ids: Collection[int] | None = None) -> FleetSummary:
    """Counts of active (not revoked) clusters by health state, over `commune_ids` (None: all)."""
    query = (
        select(DeviceHealth.state, func.count())
        .select_from(Device)
        .join(DeviceHealth, col(DeviceHealth.device_id) == col(Device.id), isouter=True)
        .where(col(Device.revoked_at).is_(None))
        .group_by(col(DeviceHealth.state))
    )
    if commune_ids is not None:
        query = query.where(col(Device.commune_id).in_(commune_ids))
    counts: dict[str, int] = {}
    for state, n in session.exec(query).all():
        key = state if state in ("online", "degraded", "offline") else "unknown"
        counts[key] = counts.get(key, 0) + n
    return FleetSummary(
        total=sum(counts.values()),
        online=counts.get("online", 0),
        degraded=counts.get("degraded", 0),
        offline=counts.get("offline", 0),
        unknown=counts.get("unknown", 0),
    )


def _cluster(session: Session, device: Device, health: DeviceHealth | None, now: datetime) -> ClusterHealth:
    assert device.id is not None
    start, _ = day_bounds(local_day(now))
    h = health
    return ClusterHealth(
        code=device.code,
        name=device.name,
        state=h.state if h is not None else "unknown",
        state_since=h.state_since if h is not None else None,
        problems=[p for p in h.problems.split(",") if p] if h is not None else [],
        last_heartbeat_at=h.last_heartbeat_at if h is not None else None,
        firmware=(h.firmware if h is not None and h.firmware else device.firmware),
        volume=h.volume if h is not None and h.last_heartbeat_at else None,
        amplifier=h.amplifier if h is not None and h.last_heartbeat_at else None,
        speaker_line=h.speaker_line if h is not None and h.last_heartbeat_at else None,
        temperature_c=h.temperature_c if h is not None else None,
        network=h.network if h is not None and h.last_heartbeat_at else None,
        signal_dbm=h.signal_dbm if h is not None else None,
        storage_free_mb=h.storage_free_mb if h is not None and h.last_heartbeat_at else None,
        clock_offset_ms=h.clock_offset_ms if h is not None else None,
        current_item=h.current_item if h is not None else None,
        playlist_version=h.playlist_version if h is not None else None,
        uptime_today_s=device_up_seconds(session, device.id, start, now),
    )


def _alerts_public(session: Session, alerts: list[Alert]) -> list[AlertPublic]:
    device_ids = {a.device_id for a in alerts if a.device_id is not None}
    commune_ids = {a.commune_id for a in alerts}
    devices = dict(session.exec(select(Device.id, Device.code).where(col(Device.id).in_(device_ids))).all())
    communes = dict(session.exec(select(Commune.id, Commune.code).where(col(Commune.id).in_(commune_ids))).all())
    return [
        AlertPublic.model_validate(
            a,
            update={
                "device_code": devices.get(a.device_id) if a.device_id is not None else None,
                "commune_code": communes.get(a.commune_id, ""),
            },
        )
        for a in alerts
    ]


def alert_public(session: Session, alert: Alert) -> AlertPublic:
    return _alerts_public(session, [alert])[0]


def list_alerts(
    session: Session, commune_ids: Collection[int] | None, *, only_open: bool, limit: int = 200
) -> list[AlertPublic]:
    """Alerts, newest first, over `commune_ids` (None: all)."""
    query = select(Alert).order_by(col(Alert.opened_at).desc(), col(Alert.id).desc()).limit(limit)
    if only_open:
        query = query.where(col(Alert.open_key).is_not(None))
    if commune_ids is not None:
        query = query.where(col(Alert.commune_id).in_(commune_ids))
    return _alerts_public(session, list(session.exec(query)))


def commune_health(session: Session, commune: Commune, now: datetime) -> CommuneHealth:
    assert commune.id is not None
    rows = session.exec(
        select(Device, DeviceHealth)
        .join(DeviceHealth, col(DeviceHealth.device_id) == col(Device.id), isouter=True)
        .where(Device.commune_id == commune.id, col(Device.revoked_at).is_(None))
        .order_by(col(Device.code))
    ).all()
    alerts = session.exec(
        select(Alert)
        .where(Alert.commune_id == commune.id, col(Alert.open_key).is_not(None))
        .order_by(col(Alert.opened_at).desc())
    ).all()
    return CommuneHealth(
        code=commune.code,
        name=commune.name,
        summary=fleet_summary(session, [commune.id]),
        clusters=[_cluster(session, device, health, now) for device, health in rows],
        open_alerts=_alerts_public(session, list(alerts)),
    )


def device_detail(session: Session, device: Device, commune: Commune, now: datetime, *, days: int = 30) -> DeviceDetail:
    """One cluster: latest heartbeat, the last day of history samples, daily uptime, alerts, plays."""
    assert device.id is not None
    health = session.get(DeviceHealth, device.id)
    samples = session.exec(
        select(HeartbeatSample)
        .where(HeartbeatSample.device_id == device.id)
        .order_by(col(HeartbeatSample.at).desc())
        .limit(288)
    ).all()
    uptime = session.exec(
        select(UptimeDay).where(UptimeDay.device_id == device.id).order_by(col(UptimeDay.day).desc()).limit(days)
    ).all()
    cluster = _cluster(session, device, health, now)
    alerts = session.exec(
        select(Alert).where(Alert.device_id == device.id).order_by(col(Alert.opened_at).desc()).limit(50)
    ).all()
    plays = session.exec(
        select(PlayRecord)
        .where(PlayRecord.device_id == device.id)
        .order_by(col(PlayRecord.started_at).desc())
        .limit(50)
    ).all()
    today = UptimePublic(day=local_day(now), up_s=cluster.uptime_today_s)
    return DeviceDetail(
        commune=commune.code,
        cluster=cluster,
        samples=[SamplePublic.model_validate(s, from_attributes=True) for s in reversed(samples)],
        uptime=[today, *(UptimePublic(day=u.day, up_s=u.up_s) for u in uptime if u.day != today.day)],
        alerts=_alerts_public(session, list(alerts)),
        plays=[PlayRecordPublic.model_validate(p) for p in plays],
    )
