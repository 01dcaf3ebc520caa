"""Recurrence rules and their deterministic expansion, around month and year boundaries."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from schedules.errors import InvalidRecurrence, InvalidSlot, RepeatExceedsSlot
from schedules.local_time import COMMUNE_ZONE
from schedules.recurrence import Daily, Once, Repeat, Rule, Weekdays, expand_rule
from schedules.slot import Slot

MORNING = Slot(time(6, 0), time(6, 30), name="sáng")
WEEKDAY_EVENING = Slot(time(17, 0), time(17, 30), weekdays=frozenset(range(5)), name="chiều")
SLOTS = (MORNING, WEEKDAY_EVENING)


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=COMMUNE_ZONE)


def starts(rule: Rule, start: datetime, end: datetime) -> list[datetime]:
    return [o.starts_at for o in expand_rule(rule, start, end, slots=SLOTS)]


def test_one_off_at_an_exact_time() -> None:
    rule = Rule(Once(date(2026, 12, 1)), at=time(9, 15))
    assert starts(rule, vn(2026, 11, 1), vn(2027, 1, 1)) == [vn(2026, 12, 1, 9, 15)]


def test_one_off_in_a_slot_carries_the_slot_occurrence() -> None:
    [occurrence] = expand_rule(
        Rule(Once(date(2026, 12, 1)), slot_key="sáng"), vn(2026, 12, 1), vn(2026, 12, 2), slots=SLOTS
    )
    assert occurrence.starts_at == vn(2026, 12, 1, 6)
    assert occurrence.slot is not None and occurrence.slot.ends_at == vn(2026, 12, 1, 6, 30)


def test_daily_across_a_year_boundary() -> None:
    rule = Rule(Daily(), slot_key="sáng")
    assert starts(rule, vn(2026, 12, 30), vn(2027, 1, 2)) == [
        vn(2026, 12, 30, 6),
        vn(2026, 12, 31, 6),
        vn(2027, 1, 1, 6),
    ]


def test_window_is_half_open() -> None:
    rule = Rule(Daily(), at=time(6, 0))
    assert starts(rule, vn(2026, 12, 1, 6), vn(2026, 12, 2, 6)) == [vn(2026, 12, 1, 6)]


def test_window_given_in_utc_selects_by_instant() -> None:
    rule = Rule(Daily(), at=time(6, 0))
    # 22:00 UTC on 31 Dec is 05:00 on 1 Jan in Vietnam: the 1 Jan 06:00 airing is inside.
    found = starts(rule, datetime(2026, 12, 31, 22, 0, tzinfo=UTC), datetime(2027, 1, 1, 0, 0, tzinfo=UTC))
    assert found == [vn(2027, 1, 1, 6)]


def test_chosen_weekdays() -> None:
    rule = Rule(Weekdays(frozenset({0, 3})), at=time(7, 0))  # Mondays and Thursdays
    found = starts(rule, vn(2026, 12, 1), vn(2026, 12, 15))
    assert [d.date() for d in found] == [date(2026, 12, 3), date(2026, 12, 7), date(2026, 12, 10), date(2026, 12, 14)]


def test_slot_rule_airs_only_on_days_the_slot_applies() -> None:
    rule = Rule(Daily(), slot_key="chiều")  # the evening slot is Monday..Friday
    found = starts(rule, vn(2026, 12, 4), vn(2026, 12, 8))  # Friday .. Monday
    assert [d.date() for d in found] == [date(2026, 12, 4), date(2026, 12, 7)]


def test_one_off_on_a_day_its_slot_skips_is_refused() -> None:
    with pytest.raises(InvalidRecurrence):
        expand_rule(Rule(Once(date(2026, 12, 5)), slot_key="chiều"), vn(2026, 12, 1), vn(2026, 12, 9), slots=SLOTS)


def test_date_range_includes_both_ends_across_a_month_boundary() -> None:
    rule = Rule(Daily(), at=time(6, 0), from_day=date(2026, 11, 29), until_day=date(2026, 12, 2))
    found = starts(rule, vn(2026, 11, 1), vn(2027, 1, 1))
    assert [d.date() for d in found] == [date(2026, 11, 29), date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)]


def test_date_range_with_leap_day() -> None:
    rule = Rule(Daily(), at=time(6, 0), from_day=date(2028, 2, 28), until_day=date(2028, 3, 1))
    assert len(starts(rule, vn(2028, 1, 1), vn(2028, 4, 1))) == 3


def test_date_range_backwards_is_refused() -> None:
    with pytest.raises(InvalidRecurrence):
        Rule(Daily(), at=time(6, 0), from_day=date(2026, 12, 2), until_day=date(2026, 12, 1))


def test_one_off_outside_its_range_is_refused() -> None:
    with pytest.raises(InvalidRecurrence):
        Rule(Once(date(2026, 12, 5)), at=time(6, 0), until_day=date(2026, 12, 4))


@pytest.mark.parametrize(("at", "slot_key"), [(None, None), (time(6, 0), "sáng")])
def test_exactly_one_anchor(at: time | None, slot_key: str | None) -> None:
    with pytest.raises(InvalidRecurrence):
        Rule(Daily(), at=at, slot_key=slot_key)


def test_unknown_slot_is_refused() -> None:
    with pytest.raises(InvalidSlot):
        expand_rule(Rule(Daily(), slot_key="trưa"), vn(2026, 12, 1), vn(2026, 12, 2), slots=SLOTS)


def test_empty_weekdays_are_refused() -> None:
    with pytest.raises(InvalidRecurrence):
        Weekdays(frozenset())


def test_repeat_n_times_every_m_minutes_in_a_slot() -> None:
    rule = Rule(Once(date(2026, 12, 1)), slot_key="sáng", repeat=Repeat(3, 10))
    found = expand_rule(rule, vn(2026, 12, 1), vn(2026, 12, 2), slots=SLOTS)
    assert [(o.starts_at, o.repeat_index) for o in found] == [
        (vn(2026, 12, 1, 6, 0), 0),
        (vn(2026, 12, 1, 6, 10), 1),
        (vn(2026, 12, 1, 6, 20), 2),
    ]
    assert {o.slot for o in found} == {found[0].slot}


def test_repeat_exceeding_the_slot_is_refused() -> None:
    rule = Rule(Daily(), slot_key="sáng", repeat=Repeat(4, 10))  # the 4th would start at 06:30, the slot's end
    with pytest.raises(RepeatExceedsSlot) as caught:
        expand_rule(rule, vn(2026, 12, 1), vn(2026, 12, 2), slots=SLOTS)
    assert "06:00–06:30" in caught.value.message_vi and "4 lần" in caught.value.message_vi


@pytest.mark.parametrize(("times", "every"), [(0, 10), (2, 0)])
def test_repeat_needs_positive_numbers(times: int, every: int) -> None:
    with pytest.raises(InvalidRecurrence):
        Repeat(times, every)


def test_exact_time_repeat_crossing_midnight_is_found_from_the_next_day_window() -> None:
    rule = Rule(Once(date(2026, 12, 31)), at=time(23, 40), repeat=Repeat(3, 15))
    # 23:40, 23:55, then 00:10 on 1 Jan 2027: a window starting on New Year's day still finds the last one.
    found = expand_rule(rule, vn(2027, 1, 1), vn(2027, 1, 2))
    assert [(o.starts_at, o.repeat_index) for o in found] == [(vn(2027, 1, 1, 0, 10), 2)]


def test_expansion_is_deterministic_and_sorted() -> None:
    rule = Rule(Weekdays(frozenset({0, 2, 4})), slot_key="sáng", repeat=Repeat(2, 15))
    first = expand_rule(rule, vn(2026, 11, 25), vn(2026, 12, 10), slots=SLOTS)
    second = expand_rule(rule, vn(2026, 11, 25), vn(2026, 12, 10), slots=tuple(reversed(SLOTS)))
    assert first == second
    assert [o.starts_at for o in first] == sorted(o.starts_at for o in first)
    assert len(first) == 2 * 7  # Wed 25, Fri 27, Mon 30 Nov; Wed 2, Fri 4, Mon 7, Wed 9 Dec
    assert first[1].starts_at - first[0].starts_at == timedelta(minutes=15)


def test_naive_window_is_refused() -> None:
    with pytest.raises(ValueError):
        expand_rule(Rule(Daily(), at=time(6, 0)), datetime(2026, 12, 1), vn(2026, 12, 2))
