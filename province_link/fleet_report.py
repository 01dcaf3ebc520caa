"""Results out: the province's stations (one per commune) and clusters, as the source system is told of them.

A *station* report (kind `station`, subject `station:<commune code>`) describes a commune's loudspeaker
station: its code and name, its province, its hamlets and how many clusters it has. A *cluster* report
(kind `cluster`, subject `cluster:<device code>`) describes one cluster: where it is (commune, hamlet,
GPS), what it is (horns, amplifier, network, firmware) and its state as the fleet's health monitor decided
it (`online`, `degraded`, `offline`, `unknown`; `revoked` once its credentials are withdrawn), since when,
and when it was last heard.

They are written on change (`province_link.change_report`, within the changing transaction) and, for each
source, as a full snapshot every `snapshot_interval_s` (`snapshot`), so a source that lost its data, or was
registered later, converges. Both go through `outbox.report`, which keeps one unsent report per subject.
Two transactions changing one cluster at the same moment (an edit and a health transition) each build the
report from what they see; the later commit's view is what is sent, and the next change or snapshot
carries the other's part if it missed it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from devices.health import DeviceHealth
from devices.registry import Commune, Device, Hamlet, Province
from province_link.outbox import prune, put, report
from province_link.settings import SourceLinkSettings
from province_link.source import SourceSystem

log = logging.getLogger(__name__)


def station_payload(session: Session, commune: Commune) -> dict[str, Any]:
    """What a source is told about a commune's station; read from the database (call after a flush)."""
    province = session.get(Province, commune.province_id)
    hamlets = session.exec(
        select(Hamlet.code, Hamlet.name).where(Hamlet.commune_id == commune.id).order_by(col(Hamlet.code))
    ).all()
    clusters = session.exec(
        select(func.count()).where(Device.commune_id == commune.id, col(Device.revoked_at).is_(None))
    ).one()
    return {
        "code": commune.code,
        "name": commune.name,
        "province": {"code": province.code, "name": province.name} if province is not None else None,
        "hamlets": [{"code": code, "name": name} for code, name in hamlets],
        "clusters": int(clusters),
    }


def cluster_payload(session: Session, device: Device, commune: Commune) -> dict[str, Any]:
    """What a source is told about a cluster. Its health is read with a column query, not through the
    session's objects: the health monitor writes transitions with plain UPDATEs the objects do not see."""
    hamlet = session.get(Hamlet, device.hamlet_id) if device.hamlet_id is not None else None
    health = session.execute(
        select(
            DeviceHealth.state, DeviceHealth.state_since, DeviceHealth.problems, DeviceHealth.last_heartbeat_at
        ).where(DeviceHealth.device_id == device.id)
    ).first()
    state, since, problems, last_seen = health if health is not None else ("unknown", None, "", None)
    if device.revoked_at is not None:
        state, since, problems = "revoked", device.revoked_at, ""
    return {
        "code": device.code,
        "name": device.name,
        "commune": commune.code,
        "hamlet": {"code": hamlet.code, "name": hamlet.name} if hamlet is not None else None,
        "latitude": device.latitude,
        "longitude": device.longitude,
        "state": state,
        "state_since": since.isoformat() if since is not None else None,
        "problems": [p for p in problems.split(",") if p],
        "last_seen": last_seen.isoformat() if last_seen is not None else None,
        "network_type": device.network_type,
        "horn_count": device.horn_count,
        "amplifier_watts": device.amplifier_watts,
        "installed_on": device.installed_on.isoformat() if device.installed_on is not None else None,
        "firmware": device.firmware,
        "registered_at": device.created_at.isoformat(),
    }


def report_station(session: Session, commune: Commune, *, now: datetime) -> int:
    return report(
        session, commune.province_id, "station", f"station:{commune.code}", station_payload(session, commune), now=now
    )


def report_cluster(session: Session, device: Device, *, now: datetime) -> int:
    commune = session.get(Commune, device.commune_id)
    if commune is None:
        return 0
    payload = cluster_payload(session, device, commune)
    return report(session, commune.province_id, "cluster", f"cluster:{device.code}", payload, now=now)


def snapshot(session: Session, source: SourceSystem, *, now: datetime) -> int:
    """Every station and active cluster of the source's province, for this source; how many reports."""
    communes = session.exec(
        select(Commune).where(Commune.province_id == source.province_id).order_by(col(Commune.code))
    ).all()
    assert source.id is not None
    count = 0
    for commune in communes:
        put(session, source.id, "station", f"station:{commune.code}", station_payload(session, commune), now=now)
        devices = session.exec(
            select(Device)
            .where(Device.commune_id == commune.id, col(Device.revoked_at).is_(None))
            .order_by(col(Device.code))
        ).all()
        for device in devices:
            put(
                session,
                source.id,
                "cluster",
                f"cluster:{device.code}",
                cluster_payload(session, device, commune),
                now=now,
            )
        count += 1 + len(devices)
    return count


def snapshots_due(session: Session, *, now: datetime, interval: timedelta) -> int:
    """Write the snapshot of every reporting source whose last one is older than `interval`; commits each.

    Each source is claimed with a conditional UPDATE first, so two controllers (or a restart in the middle)
    never write the same snapshot twice. Returns how many reports were written.
    """
    sources = session.exec(
        select(SourceSystem).where(
            col(SourceSystem.active),
            col(SourceSystem.report_url).is_not(None),
            or_(col(SourceSystem.snapshot_at).is_(None), col(SourceSystem.snapshot_at) <= now - interval),
        )
    ).all()
    written = 0
    for source in sources:
        previous = source.snapshot_at
        claim = update(SourceSystem).where(col(SourceSystem.id) == source.id)
        claim = claim.where(
            col(SourceSystem.snapshot_at).is_(None) if previous is None else col(SourceSystem.snapshot_at) == previous
        )
        claimed = session.execute(claim.values(snapshot_at=now).execution_options(synchronize_session=False))
        if not getattr(claimed, "rowcount", 0):
            session.rollback()
            continue
        written += snapshot(session, source, now=now)
        session.commit()
    return written


def housekeeping(settings: SourceLinkSettings) -> Callable[[Session, datetime], None]:
    """The outbox sender's periodic chores: the snapshots due, then acknowledged reports past retention."""

    def run(session: Session, now: datetime) -> None:
        snapshots_due(session, now=now, interval=timedelta(seconds=settings.snapshot_interval_s))
        pruned = prune(session, before=now - timedelta(days=settings.report_retention_days))
        session.commit()
        if pruned:
            log.info("deleted %d acknowledged reports older than %s days", pruned, settings.report_retention_days)

    return run
