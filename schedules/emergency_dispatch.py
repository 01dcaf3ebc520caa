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
from schedules.errors import NotApproved, NotEmergency, StockNotApproved
from schedules.planning import Planning
from schedules.preemption import dispatch_start
from schedules.stock_message import StockMessage
from schedules.timetable import commune_timetable


def check_emergency_bulletin(bulletin: Bulletin) -> None:
    """Refuse a bulletin that is not an approved emergency with its audio."""
    if bulletin.status != BulletinStatus.APPROVED or bulletin.audio_sha256 is None:
        raise NotApproved(f"bulletin {bulletin.id} is {bulletin.status}")
    if bulletin.priority != "emergency":
        raise NotEmergency(f"bulletin {bulletin.id} has priority {bulletin.priority}")


def issue_emergency(
    session: Session,
    audio: Bulletin | StockMessage,
    commune: Commune,
    clusters: frozenset[str] | None,
    *,
    issued_by: int,
    now: datetime,
    dispatch_lead: timedelta,
    lookback: timedelta,
    planning: Planning,
) -> EmergencyOrder:
    """Store the emergency order for one commune (`clusters` None: all of its clusters); the caller publishes.

    `audio`: an approved emergency bulletin, or an approved stock message (its approved audio is kept
    with the order).
    """
    if isinstance(audio, Bulletin):
        check_emergency_bulletin(audio)
        assert audio.audio_sha256 is not None and audio.id is not None
        sha256 = audio.audio_sha256
    else:
        if audio.approved_sha256 is None:
            raise StockNotApproved(f"stock message {audio.key}/{audio.language} is not approved")
        sha256 = audio.approved_sha256
    require_cleared(session, commune, sha256)
    asset = session.get(AudioAsset, sha256)
    assert asset is not None and commune.id is not None
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
    stock = isinstance(audio, StockMessage)
    order = EmergencyOrder(
        bulletin_id=None if isinstance(audio, StockMessage) else audio.id,
        stock_key=audio.key if isinstance(audio, StockMessage) else None,
        stock_language=audio.language if isinstance(audio, StockMessage) else None,
        stock_sha256=sha256 if stock else None,
        commune_id=commune.id,
        clusters=sorted(clusters) if clusters is not None else None,
        issued_by=issued_by,
        issued_at=now,
        starts_at=starts_at,
    )
    session.add(order)
    session.flush()
    return order
