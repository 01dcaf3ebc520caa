"""Slots: validation, overlaps between a commune's own slots, expansion into zoned occurrences."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from schedules.errors import InvalidSlot, SlotOverlap
from schedules.local_time import COMMUNE_ZONE
from schedules.slot import Slot, find_slot, next_slot_occurrence, slot_occurrences, validate_slots

MORNING = Slot(time(6, 0), time(6, 30), name="sáng")
EVENING = Slot(time(17, 0), time(17, 30), name="chiều")


def test_slot_must_end_after_it_starts_on_the_same_day() -> None:
    with pytest.raises(InvalidSlot) as caught:
        Slot(time(23, 0), time(0, 30))
    assert "23:00–00:30" in caught.value.message_vi


def test_empty_slot_is_refused() -> None:
    with pytest.raises(InvalidSlot):
        Slot(time(6, 0), time(6, 0))


@pytest.mark.parametrize("weekdays", [frozenset(), frozenset({7}), frozenset({-1, 2})])
def test_weekdays_must_be_a_non_empty_subset_of_the_week(weekdays: frozenset[int]) -> None:
    with pytest.raises(InvalidSlot):
        Slot(time(6, 0), time(6, 30), weekdays=weekdays)


def test_zoned_times_are_refused_because_slots_are_commune_wall_clock() -> None:
    with pytest.raises(InvalidSlot):
        Slot(time(6, 0, tzinfo=UTC), time(6, 30))


def test_unnamed_slot_is_known_by_its_start() -> None:
    assert Slot(time(6, 0), time(6, 30)).key == "06:00"
    assert MORNING.key == "sáng"
    assert MORNING.duration == timedelta(minutes=30)


def test_overlapping_slots_on_a_shared_weekday_are_refused_naming_both() -> None:
    late = Slot(time(6, 15), time(6, 45), name="muộn")
    with pytest.raises(SlotOverlap) as caught:
        validate_slots([MORNING, late])
    assert "06:00–06:30" in caught.value.message_vi and "06:15–06:45" in caught.value.message_vi
    assert "sáng" in str(caught.value) and "muộn" in str(caught.value)


def test_overlapping_times_on_different_weekdays_are_allowed() -> None:
    weekdays = Slot(time(6, 0), time(6, 30), weekdays=frozenset(range(5)), name="a")
    weekend = Slot(time(6, 15), time(7, 0), weekdays=frozenset({5, 6}), name="b")
    validate_slots([weekdays, weekend])


def test_back_to_back_slots_do_not_overlap() -> None:
    validate_slots([MORNING, Slot(time(6, 30), time(7, 0))])


def test_duplicate_slot_names_are_refused() -> None:
    with pytest.raises(InvalidSlot):
        validate_slots([MORNING, Slot(time(7, 0), time(7, 30), name="sáng")])


def test_expansion_yields_zoned_occurrences_in_order() -> None:
    found = slot_occurrences([EVENING, MORNING], date(2026, 12, 31), date(2027, 1, 1))
    assert [(o.key, o.starts_at) for o in found] == [
        ("sáng", datetime(2026, 12, 31, 6, 0, tzinfo=COMMUNE_ZONE)),
        ("chiều", datetime(2026, 12, 31, 17, 0, tzinfo=COMMUNE_ZONE)),
        ("sáng", datetime(2027, 1, 1, 6, 0, tzinfo=COMMUNE_ZONE)),
        ("chiều", datetime(2027, 1, 1, 17, 0, tzinfo=COMMUNE_ZONE)),
    ]
    assert found[0].starts_at.astimezone(UTC) == datetime(2026, 12, 30, 23, 0, tzinfo=UTC)
    assert found[0].ends_at - found[0].starts_at == timedelta(minutes=30)


def test_expansion_respects_weekdays() -> None:
    saturday_only = Slot(time(8, 0), time(8, 30), weekdays=frozenset({5}))
    found = slot_occurrences([saturday_only], date(2026, 11, 30), date(2026, 12, 13))  # Monday .. Sunday
    assert [o.day for o in found] == [date(2026, 12, 5), date(2026, 12, 12)]


def test_expansion_validates_the_slots() -> None:
    with pytest.raises(SlotOverlap):
        slot_occurrences([MORNING, Slot(time(6, 10), time(6, 20))], date(2026, 12, 1), date(2026, 12, 1))


def test_next_occurrence_is_the_first_starting_at_or_after_now() -> None:
    found = slot_occurrences([MORNING, EVENING], date(2026, 12, 1), date(2026, 12, 2))
    during_morning = datetime(2026, 12, 1, 6, 10, tzinfo=COMMUNE_ZONE)
    assert next_slot_occurrence(found, during_morning) == found[1]
    assert next_slot_occurrence(found, found[2].starts_at) == found[2]
    assert next_slot_occurrence(found, datetime(2026, 12, 3, tzinfo=COMMUNE_ZONE)) is None


def test_find_slot_names_a_missing_slot() -> None:
    assert find_slot([MORNING, EVENING], "chiều") is EVENING
    with pytest.raises(InvalidSlot) as caught:
        find_slot([MORNING], "trưa")
    assert "trưa" in caught.value.message_vi
