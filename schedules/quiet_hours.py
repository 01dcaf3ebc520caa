"""Quiet hours: the nightly window in which only emergency content plays.

The window is wall-clock time in the commune's zone, start included and end excluded, and may cross
midnight (the default, 21:00-05:30, does). Emergencies ignore it; everything else must neither start
nor run inside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from devices.protocol import Priority
from schedules.errors import QuietHoursViolation
from schedules.local_time import COMMUNE_ZONE, after, at_wall_clock, hhmm, local
from schedules.slot import Slot

# Rural communes sleep early and rise early: no loudspeakers from 21:00 to 05:30 unless a disaster calls.
DEFAULT_QUIET_START = time(21, 0)
DEFAULT_QUIET_END = time(5, 30)


@dataclass(frozen=True)
class QuietHours:
    """Each day from `start` until `end` (the next day when `end` <= `start`), in `zone`."""

    start: time = DEFAULT_QUIET_START
    end: time = DEFAULT_QUIET_END
    zone: ZoneInfo = field(default=COMMUNE_ZONE)

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError("quiet hours need a start different from their end")

    @property
    def crosses_midnight(self) -> bool:
        return self.end < self.start

    @property
    def label(self) -> str:
        return f"{hhmm(self.start)}–{hhmm(self.end)}"

    def _quiet_wall(self, wall: time) -> bool:
        if self.crosses_midnight:
            return wall >= self.start or wall < self.end
        return self.start <= wall < self.end

    def is_quiet(self, moment: datetime) -> bool:
        """True when `moment` (any aware zone) falls inside quiet hours in the commune's zone."""
        return self._quiet_wall(local(moment, self.zone).time())

    def next_start(self, moment: datetime) -> datetime:
        """The first instant quiet hours begin strictly after `moment`."""
        day = local(moment, self.zone).date()
        candidate = at_wall_clock(day, self.start, self.zone)
        return candidate if candidate > moment else at_wall_clock(day + timedelta(days=1), self.start, self.zone)

    def overlaps(self, starts_at: datetime, ends_at: datetime) -> bool:
        """True when any part of [starts_at, ends_at) is quiet."""
        return self.is_quiet(starts_at) or self.next_start(starts_at) < ends_at

    def check_slot(self, slot: Slot) -> None:
        """Refuse a slot that touches quiet hours: its ordinary content would play at night."""
        inside = (
            slot.start < self.end or slot.end > self.start
            if self.crosses_midnight
            else slot.start < self.end and self.start < slot.end
        )
        if inside:
            raise QuietHoursViolation(
                f"slot {slot.key} ({hhmm(slot.start)}-{hhmm(slot.end)}) overlaps quiet hours {self.label}",
                message_vi=f"Khung giờ {hhmm(slot.start)}–{hhmm(slot.end)} nằm trong giờ yên lặng {self.label}.",
            )

    def check_slots(self, slots: Iterable[Slot]) -> None:
        """Refuse the first of a commune's slots that touches quiet hours."""
        for slot in slots:
            self.check_slot(slot)

    def check_airing(self, starts_at: datetime, duration_ms: int, priority: Priority) -> None:
        """Refuse a non-emergency airing that starts or runs inside quiet hours, naming its local time."""
        if priority == "emergency":
            return
        ends_at = after(starts_at, timedelta(milliseconds=duration_ms))
        if self.overlaps(starts_at, ends_at):
            shown = hhmm(local(starts_at, self.zone))
            raise QuietHoursViolation(
                f"airing at {shown} ({local(starts_at, self.zone).isoformat()}) runs into quiet hours {self.label}",
                message_vi=f"Không thể phát lúc {shown}: nằm trong giờ yên lặng {self.label}, "
                "chỉ tin khẩn cấp được phát.",
            )
