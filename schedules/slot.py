"""Broadcast slots: the commune's daily windows (e.g. 06:00-06:30, 17:00-17:30) and their concrete occurrences.

A slot is wall-clock time in the commune's zone on chosen weekdays. A slot ends on the day it starts
(end after start): broadcasts after midnight fall in quiet hours anyway, and a slot that wrapped
round midnight would belong to two days, which no officer has asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

from schedules.errors import InvalidSlot, SlotOverlap
from schedules.local_time import COMMUNE_ZONE, at_wall_clock, days, hhmm, require_aware

# Python's numbering (date.weekday()): Monday is 0, Sunday is 6.
EVERY_DAY = frozenset(range(7))
WEEKDAY_NAMES_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


@dataclass(frozen=True)
class Slot:
    """A daily window of one commune: `start` to `end` (wall clock, end excluded) on `weekdays`."""

    start: time
    end: time
    weekdays: frozenset[int] = field(default=EVERY_DAY)
    name: str = ""

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise InvalidSlot(f"slot {self.key}: times are commune wall-clock, without a zone")
        if self.end <= self.start:
            raise InvalidSlot(
                f"slot {self.key} ends at {hhmm(self.end)}, not after its start {hhmm(self.start)}",
                message_vi=f"Khung giờ {hhmm(self.start)}–{hhmm(self.end)} phải kết thúc sau giờ bắt đầu, "
                "trong cùng một ngày.",
            )
        if not self.weekdays or not self.weekdays <= EVERY_DAY:
            raise InvalidSlot(
                f"slot {self.key}: weekdays {sorted(self.weekdays)} must be a non-empty subset of 0..6",
                message_vi=f"Khung giờ {self.key} phải áp dụng cho ít nhất một ngày trong tuần.",
            )

    @property
    def key(self) -> str:
        """How rules refer to the slot: its name, or its start time ("06:00") when unnamed."""
        return self.name or hhmm(self.start)

    @property
    def duration(self) -> timedelta:
        return datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)

    def applies_on(self, day: date) -> bool:
        return day.weekday() in self.weekdays


@dataclass(frozen=True)
class SlotOccurrence:
    """One slot on one day, as instants in the commune's zone (end excluded)."""

    slot: Slot
    starts_at: datetime
    ends_at: datetime

    @property
    def key(self) -> str:
        return self.slot.key

    @property
    def day(self) -> date:
        return self.starts_at.date()

    def contains(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at


def occurrence_on(slot: Slot, day: date, zone: ZoneInfo = COMMUNE_ZONE) -> SlotOccurrence:
    """`slot` on `day`, whether or not the slot applies on that weekday."""
    return SlotOccurrence(slot, at_wall_clock(day, slot.start, zone), at_wall_clock(day, slot.end, zone))


def validate_slots(slots: Sequence[Slot]) -> None:
    """Refuse duplicate keys and two slots of one commune overlapping on a shared weekday.

    Back-to-back slots (06:00-06:30 and 06:30-07:00) do not overlap.
    """
    seen: set[str] = set()
    for slot in slots:
        if slot.key in seen:
            raise InvalidSlot(
                f"two slots are called {slot.key!r}", message_vi=f"Có hai khung giờ cùng tên “{slot.key}”."
            )
        seen.add(slot.key)
    for first, second in combinations(slots, 2):
        shared = first.weekdays & second.weekdays
        if shared and first.start < second.end and second.start < first.end:
            day = WEEKDAY_NAMES_VI[min(shared)]
            raise SlotOverlap(
                f"slot {first.key} ({hhmm(first.start)}-{hhmm(first.end)}) overlaps slot {second.key} "
                f"({hhmm(second.start)}-{hhmm(second.end)}) on weekday {min(shared)}",
                message_vi=f"Khung giờ {hhmm(first.start)}–{hhmm(first.end)} trùng với khung giờ "
                f"{hhmm(second.start)}–{hhmm(second.end)} vào {day}.",
            )


def slot_occurrences(
    slots: Sequence[Slot], first_day: date, last_day: date, zone: ZoneInfo = COMMUNE_ZONE
) -> list[SlotOccurrence]:
    """Every occurrence of the commune's `slots` on local days `first_day`..`last_day` (both included), by start."""
    validate_slots(slots)
    found = [
        occurrence_on(slot, day, zone) for day in days(first_day, last_day) for slot in slots if slot.applies_on(day)
    ]
    return sorted(found, key=lambda o: o.starts_at)


def find_slot(slots: Iterable[Slot], key: str) -> Slot:
    """The slot called `key` (its name, or its start time when unnamed)."""
    for slot in slots:
        if slot.key == key:
            return slot
    raise InvalidSlot(f"no slot {key!r}", message_vi=f"Xã không có khung giờ “{key}”.")


def next_slot_occurrence(occurrences: Iterable[SlotOccurrence], now: datetime) -> SlotOccurrence | None:
    """The first occurrence starting at or after `now`: where a priority item goes (to its head)."""
    require_aware(now)
    upcoming = [o for o in occurrences if o.starts_at >= now]
    return min(upcoming, key=lambda o: o.starts_at, default=None)
