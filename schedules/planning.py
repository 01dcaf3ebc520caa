"""How the scheduler plans, from the `scheduler` settings: the zone, the gap between items, default quiet hours."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from schedules.local_time import COMMUNE_ZONE
from schedules.quiet_hours import QuietHours


@dataclass(frozen=True)
class Planning:
    zone: ZoneInfo = COMMUNE_ZONE
    # Silence between consecutive items of a slot or of one exact-time airing.
    gap: timedelta = timedelta(0)
    # Quiet hours of communes that store none of their own.
    quiet: QuietHours = field(default_factory=QuietHours)
