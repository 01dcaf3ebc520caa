"""Recurrence rules: when a program airs, and their expansion into concrete occurrences.

A rule is a day pattern (one day, every day, chosen weekdays), optionally bounded by a date range,
anchored either at an exact wall-clock time or in a named slot, optionally repeated N times every
M minutes. Date ranges are local days with both ends included: "from 01/12 until 31/12" airs on
31/12, as an officer reading it expects. Expansion windows are instants, start included, end excluded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from schedules.errors import InvalidRecurrence, RepeatExceedsSlot
from schedules.local_time import COMMUNE_ZONE, after, at_wall_clock, days, hhmm, local, require_aware
from schedules.slot import EVERY_DAY, Slot, SlotOccurrence, find_slot, occurrence_on


@dataclass(frozen=True)
class Once:
    day: date


@dataclass(frozen=True)
class Daily:
    pass


@dataclass(frozen=True)
class Weekdays:
    """Chosen weekdays, numbered like date.weekday(): Monday 0 .. Sunday 6."""

    days: frozenset[int]

    def __post_init__(self) -> None:
        if not self.days or not self.days <= EVERY_DAY:
            raise InvalidRecurrence(
                f"weekdays {sorted(self.days)} must be a non-empty subset of 0..6",
                message_vi="Phải chọn ít nhất một ngày trong tuần.",
            )


DayPattern = Once | Daily | Weekdays


@dataclass(frozen=True)
class Repeat:
    """Air `times` times in all, a start every `every_min` minutes from the first."""

    times: int
    every_min: int

    def __post_init__(self) -> None:
        if self.times < 1 or self.every_min < 1:
            raise InvalidRecurrence(
                f"repeat {self.times} times every {self.every_min} min: both must be at least 1",
                message_vi="Số lần lặp và khoảng cách giữa các lần phát phải từ 1 trở lên.",
            )

    def offsets(self) -> list[timedelta]:
        return [timedelta(minutes=self.every_min * k) for k in range(self.times)]


@dataclass(frozen=True)
class Rule:
    """When to air: `pattern` days within `from_day`..`until_day` (both included), `at` a time or in `slot_key`."""

    pattern: DayPattern
    at: time | None = None
    slot_key: str | None = None
    from_day: date | None = None
    until_day: date | None = None
    repeat: Repeat | None = None

    def __post_init__(self) -> None:
        if (self.at is None) == (self.slot_key is None):
            raise InvalidRecurrence(
                "a rule needs exactly one of an exact time or a slot",
                message_vi="Lịch phát phải chọn hoặc một giờ cụ thể, hoặc một khung giờ phát.",
            )
        if self.from_day and self.until_day and self.until_day < self.from_day:
            raise InvalidRecurrence(
                f"date range ends {self.until_day} before it starts {self.from_day}",
                message_vi="Ngày kết thúc phải bằng hoặc sau ngày bắt đầu.",
            )
        if isinstance(self.pattern, Once) and not self.in_range(self.pattern.day):
            raise InvalidRecurrence(
                f"one-off day {self.pattern.day} lies outside {self.from_day}..{self.until_day}",
                message_vi="Ngày phát nằm ngoài khoảng ngày đã chọn.",
            )

    def in_range(self, day: date) -> bool:
        return (self.from_day is None or self.from_day <= day) and (self.until_day is None or day <= self.until_day)

    def matches(self, day: date) -> bool:
        """True when the rule airs on local day `day` (ignoring slot weekdays)."""
        if not self.in_range(day):
            return False
        match self.pattern:
            case Once(day=one):
                return day == one
            case Weekdays(days=chosen):
                return day.weekday() in chosen
            case Daily():
                return True


@dataclass(frozen=True)
class Occurrence:
    """One airing of a rule: its earliest start, the slot occurrence it belongs to, and which repeat it is."""

    starts_at: datetime
    slot: SlotOccurrence | None = None
    repeat_index: int = 0


def check_repeat_fits(rule: Rule, slot: Slot) -> None:
    """Refuse a slot rule whose last repeat would start at or after the slot's end."""
    if rule.repeat is None:
        return
    last = rule.repeat.offsets()[-1]
    if last >= slot.duration:
        minutes = int(slot.duration.total_seconds() // 60)
        raise RepeatExceedsSlot(
            f"repeat {rule.repeat.times} times every {rule.repeat.every_min} min: the last starts {last} "
            f"after the start of slot {slot.key}, which lasts only {slot.duration}",
            message_vi=f"Phát {rule.repeat.times} lần, cách nhau {rule.repeat.every_min} phút, vượt quá khung giờ "
            f"{hhmm(slot.start)}–{hhmm(slot.end)} ({minutes} phút).",
        )


def expand_rule(
    rule: Rule,
    window_start: datetime,
    window_end: datetime,
    *,
    slots: Sequence[Slot] = (),
    zone: ZoneInfo = COMMUNE_ZONE,
) -> list[Occurrence]:
    """Every occurrence of `rule` starting in [window_start, window_end), in order of start.

    A slot rule airs only on days its slot applies; a one-off on a day its slot does not apply is refused.
    """
    require_aware(window_start)
    require_aware(window_end)
    slot = find_slot(slots, rule.slot_key) if rule.slot_key is not None else None
    if slot is not None:
        check_repeat_fits(rule, slot)
        if isinstance(rule.pattern, Once) and not slot.applies_on(rule.pattern.day):
            raise InvalidRecurrence(
                f"slot {slot.key} does not apply on {rule.pattern.day}",
                message_vi=f"Khung giờ {slot.key} không áp dụng vào ngày {rule.pattern.day:%d/%m/%Y}.",
            )
    offsets = rule.repeat.offsets() if rule.repeat else [timedelta(0)]
    # A repeat started the evening before may still land in the window: look one day further back.
    first_day = local(window_start, zone).date() - timedelta(days=1)
    last_day = local(window_end, zone).date()
    found: list[Occurrence] = []
    for day in days(first_day, last_day):
        if not rule.matches(day):
            continue
        if slot is not None:
            if not slot.applies_on(day):
                continue
            where: SlotOccurrence | None = occurrence_on(slot, day, zone)
            anchor = at_wall_clock(day, slot.start, zone)
        else:
            assert rule.at is not None
            where, anchor = None, at_wall_clock(day, rule.at, zone)
        for index, offset in enumerate(offsets):
            starts_at = after(anchor, offset)
            if window_start <= starts_at < window_end:
                found.append(Occurrence(starts_at, where, index))
    return sorted(found, key=lambda o: (o.starts_at, o.repeat_index))
