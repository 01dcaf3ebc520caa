"""'Failed to play': an item of a commune's published playlist with no proof of play from a cluster it
targets, `play_grace_s` after the item's end.

It lives here, not in devices/, because it reads the published playlists (schedules/publication.py) and
devices must not import schedules. The health sweep runs it (`HealthMonitor.add_check`) and it raises
alerts through the monitor. Each (cluster, item, start) raises at most one alert ever (`once`), so the
sweep may look at the same items on every pass, and several controller instances may run it.

Only the current playlist version is audited: an item dropped by a newer version (an emergency cut it,
an officer cancelled it) was not due any more. Items that ended before `play_audit_window_s` are not
audited, nor clusters registered after the item's start.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from devices.health_monitor import HealthMonitor
from devices.proof_of_play import PlayRecord
from devices.protocol import Playlist, PlaylistItem
from devices.registry import Device
from schedules.local_time import COMMUNE_ZONE
from schedules.publication import CommunePlaylist

# Outcomes that prove the item was aired (an interrupted one was, until an emergency cut it).
_AIRED = ("played", "interrupted")


def due_items(playlist: Playlist, now: datetime, grace: timedelta, window: timedelta) -> list[PlaylistItem]:
    """Items whose end + grace has passed, within the audit window. Pure."""
    due = []
    for item in playlist.items:
        deadline = item.starts_at + timedelta(milliseconds=item.duration_ms) + grace
        if now - window <= deadline <= now:
            due.append(item)
    return due


def audit_plays(session: Session, now: datetime, monitor: HealthMonitor) -> int:
    """Raise a failed-to-play alert for each targeted cluster without proof of play; returns how many."""
    settings = monitor.settings
    grace = timedelta(seconds=settings.play_grace_s)
    window = timedelta(seconds=settings.play_audit_window_s)
    raised = 0
    for stored in session.exec(select(CommunePlaylist)).all():
        playlist = Playlist.model_validate_json(stored.content)
        items = due_items(playlist, now, grace, window)
        if not items:
            continue
        devices = session.exec(
            select(Device).where(Device.commune_id == stored.commune_id, col(Device.revoked_at).is_(None))
        ).all()
        oldest = min(item.starts_at for item in items)
        aired = {
            (device_id, item_id, start)
            for device_id, item_id, start in session.exec(
                select(PlayRecord.device_id, PlayRecord.item_id, PlayRecord.scheduled_start).where(
                    PlayRecord.commune_code == playlist.commune,
                    col(PlayRecord.scheduled_start) >= oldest,
                    col(PlayRecord.outcome).in_(_AIRED),
                    col(PlayRecord.flag_reason).is_(None),  # a suspect report proves nothing
                )
            ).all()
        }
        for item in items:
            for device in devices:
                if not item.is_for(device.code) or device.created_at > item.starts_at:
                    continue
                if (device.id, item.item_id, item.starts_at) in aired:
                    continue
                assert device.id is not None
                local = item.starts_at.astimezone(COMMUNE_ZONE).strftime("%H:%M %d/%m")
                alert = monitor.raise_alert(
                    session,
                    "failed_to_play",
                    commune_id=stored.commune_id,
                    device_id=device.id,
                    subject=device.code,
                    now=now,
                    extra=f"{item.item_id}@{item.starts_at.isoformat()}",
                    detail=f"(“{item.title[:80]}” lúc {local})",
                    once=True,
                )
                raised += alert is not None
    return raised
