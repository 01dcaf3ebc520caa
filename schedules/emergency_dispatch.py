"""Issuing an emergency: fix where and when it starts on each commune it reaches, and store the order.

The start is `now + dispatch_lead`, later only if another emergency is on air then on a cluster this one
reaches (`schedules.preemption.dispatch_start`; one on another hamlet does not delay it); it is stored, so
every later compilation replays the same pre-emption. Quiet hours do not apply. The timetable is compiled
leniently (`commune_timetable` without `check_conflicts`): a broken stored rule in the commune drops its
own items but never holds up an emergency.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlmodel import Session

from audio_library import AudioAsset
from devices.registry import Commune
from schedules.bulletin import Bulletin, BulletinStatus
from schedules.clearance import require_cleared
from schedules.emergency_order import EmergencyOrder
from schedules.errors import NotApproved, NotEmergency
from schedules.planning import Planning
from schedules.preemption import dispatch_start
from schedules.timetable import commune_timetable


def check_emergency_bulletin(bulletin: Bulletin) -> None:
    """Refuse a bulletin that is not an approved emergency with its audio."""
    if bulletin.status != BulletinStatus.APPROVED or bulletin.audio_sha256 is None:
        raise NotApproved(f"bulletin {bulletin.id} is {bulletin.status}")
    if bulletin.priority != "emergency":
        raise NotEmergency(f"bulletin {bulletin.id} has priority {bulletin.priority}")


def issue_emergency(
    session: Session,
    bulletin: Bulletin,
    commune: Commune,
    clusters: frozenset[str] | None,
    *,
    issued_by: int,
    now: datetime,
    dispatch_lead: timedelta,
    lookback: timedelta,
    planning: Planning,
) -> EmergencyOrder:
    """Store the emergency order for one commune (`clusters` None: all of its clusters); the caller publishes."""
    check_emergency_bulletin(bulletin)
    assert bulletin.audio_sha256 is not None
    require_cleared(session, commune, bulletin.audio_sha256)
    asset = session.get(AudioAsset, bulletin.audio_sha256)
    assert asset is not None and bulletin.id is not None and commune.id is not None
    # Enough of the timeline to find an emergency on air when this one is due.
    timetable = commune_timetable(
        session, commune, start=now - lookback, end=now + dispatch_lead + lookback, planning=planning
    )
    starts_at = dispatch_start(
        (replace(i, clusters=timetable.clusters_of(i)) for i in timetable.items),
        clusters,
        now=now,
        dispatch_lead=dispatch_lead,
    )
    order = EmergencyOrder(
        bulletin_id=bulletin.id,
        commune_id=commune.id,
        clusters=sorted(clusters) if clusters is not None else None,
        issued_by=issued_by,
        issued_at=now,
        starts_at=starts_at,
    )
    session.add(order)
    session.flush()
    return order
