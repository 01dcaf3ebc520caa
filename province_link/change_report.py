"""Reports written in the same transaction as the change they report: a session listener.

`watch(target)` (the controller calls it on its session factory; nothing in `devices` or `schedules`
knows of it) runs `report_changes` after every flush. It looks at what the flush wrote and adds the
reports to the outbox with plain SQL in the same transaction, so a report exists exactly when its change
is committed, whichever code path made the change (API, console, command line, health sweep):

| written | report |
|---|---|
| a new cluster, or one whose name, place, GPS or facts changed | `cluster` (new, moved, revoked: `station`) |
| a health transition (`HealthEvent`, the health monitor's decision: online, degraded, offline) | `cluster` |
| a degraded cluster's problems changing (`DeviceHealth.problems`) | `cluster` |
| a new commune or hamlet, a commune renamed | `station` |
| a bulletin gaining or losing its approval | `bulletin` |
| a commune's published playlist whose upcoming airings of some bulletin changed | `bulletin` |

Connection births and last wills (`Device.state`) are not reported by themselves: the health monitor turns
them into a transition within a sweep, and that is reported.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event, inspect
from sqlmodel import Session, col, select

from audio_library.timestamps import utc_now
from devices.health import DeviceHealth, HealthEvent
from devices.registry import Commune, Device, Hamlet
from province_link.bulletin_report import bulletins_airing, changed_audio, report_bulletin
from province_link.fleet_report import report_cluster, report_station
from province_link.source import SourceSystem
from schedules.bulletin import Bulletin, BulletinStatus
from schedules.publication import CommunePlaylist

log = logging.getLogger(__name__)

# Device attributes whose change is reported (not its connection state, counters or credentials).
_CLUSTER_FIELDS = (
    "name",
    "commune_id",
    "hamlet_id",
    "latitude",
    "longitude",
    "horn_count",
    "amplifier_watts",
    "installed_on",
    "network_type",
    "revoked_at",
)
_WATCHED = (Device, Commune, Hamlet, HealthEvent, DeviceHealth, Bulletin, CommunePlaylist)


def watch(target: Any) -> None:
    """Report changes made through `target` (a Session, a Session subclass or a sessionmaker)."""
    event.listen(target, "after_flush", report_changes)


def _changed(obj: object, *names: str) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _old(obj: object, name: str) -> Any:
    deleted = inspect(obj).attrs[name].history.deleted
    return deleted[0] if deleted else None


def report_changes(session: Session, _flush_context: object) -> None:
    """After a flush: the reports of what it wrote (see the module docstring). Pre-flush lists and
    attribute histories are still readable here, and new rows have their ids."""
    written = [obj for obj in (*session.new, *session.dirty) if isinstance(obj, _WATCHED)]
    if not written:
        return
    reporting = set(
        session.exec(
            select(SourceSystem.province_id).where(col(SourceSystem.active), col(SourceSystem.report_url).is_not(None))
        ).all()
    )
    if not reporting:
        return  # the common case of a province without a source system costs one query
    now = utc_now()
    stations: set[int] = set()
    clusters: set[int] = set()
    bulletins: set[int] = set()
    playlists: list[tuple[int, str | None, str]] = []
    fresh = {id(obj) for obj in session.new}  # models are not hashable
    for obj in written:
        is_new = id(obj) in fresh
        if isinstance(obj, Device):
            if is_new or _changed(obj, *_CLUSTER_FIELDS):
                clusters.add(obj.id or 0)
            if is_new or _changed(obj, "commune_id", "revoked_at"):  # the station's count of clusters
                stations.add(obj.commune_id)
                if not is_new and (old := _old(obj, "commune_id")) is not None:
                    stations.add(old)
        elif (isinstance(obj, HealthEvent) and is_new) or (
            isinstance(obj, DeviceHealth) and not is_new and _changed(obj, "problems")
        ):
            clusters.add(obj.device_id)
        elif isinstance(obj, Commune) and (is_new or _changed(obj, "code", "name")):
            stations.add(obj.id or 0)
        elif isinstance(obj, Hamlet) and (is_new or _changed(obj, "code", "name")):
            stations.add(obj.commune_id)
        elif isinstance(obj, Bulletin) and _changed(obj, "status", "audio_sha256"):
            was = _old(obj, "status")
            if BulletinStatus.APPROVED in (obj.status, was):
                bulletins.add(obj.id or 0)
        elif isinstance(obj, CommunePlaylist) and (is_new or _changed(obj, "content")):
            playlists.append((obj.commune_id, None if is_new else _old(obj, "content"), obj.content))

    def reported(commune_id: int | None) -> Commune | None:
        commune = session.get(Commune, commune_id) if commune_id is not None else None
        return commune if commune is not None and commune.province_id in reporting else None

    for commune_id, old, new in playlists:
        if (commune := reported(commune_id)) is not None:
            bulletins.update(b.id or 0 for b in bulletins_airing(session, commune, changed_audio(old, new, now)))
    for commune_id in sorted(stations):
        if (commune := reported(commune_id)) is not None:
            report_station(session, commune, now=now)
    for device_id in sorted(clusters):
        device = session.get(Device, device_id)
        if device is not None and reported(device.commune_id) is not None:
            report_cluster(session, device, now=now)
    for bulletin_id in sorted(bulletins):
        bulletin = session.get(Bulletin, bulletin_id)
        if bulletin is not None and (bulletin.province_id in reporting or reported(bulletin.commune_id) is not None):
            report_bulletin(session, bulletin, now=now)
