"""Quiet hours: 21:00-05:30 across midnight, only emergencies inside."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from schedules.errors import QuietHoursViolation
from schedules.local_time import COMMUNE_ZONE
from schedules.quiet_hours import QuietHours
from schedules.slot import Slot

QUIET = QuietHours()


def vn(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=COMMUNE_ZONE)


@pytest.mark.parametrize(
    ("hour", "minute", "quiet"),
    [
        (21, 0, True),
        (23, 59, True),
        (0, 0, True),
        (4, 30, True),
        (5, 29, True),
        (5, 30, False),
        (12, 0, False),
        (20, 59, False),
    ],
)
def test_default_window_crosses_midnight_start_included_end_excluded(hour: int, minute: int, quiet: bool) -> None:
    assert QUIET.is_quiet(vn(hour, minute)) is quiet


def test_is_quiet_reads_the_commune_clock_not_the_instants_zone() -> None:
    assert QUIET.is_quiet(datetime(2026, 12, 1, 14, 30, tzinfo=UTC))  # 21:30 in Vietnam
    assert not QUIET.is_quiet(datetime(2026, 12, 1, 0, 0, tzinfo=UTC))  # 07:00 in Vietnam


def test_a_window_within_one_day() -> None:
    siesta = QuietHours(time(12, 0), time(13, 30))
    assert not siesta.crosses_midnight
    assert siesta.is_quiet(vn(12, 0)) and not siesta.is_quiet(vn(13, 30)) and not siesta.is_quiet(vn(23, 0))


def test_empty_window_is_refused() -> None:
    with pytest.raises(ValueError):
        QuietHours(time(21, 0), time(21, 0))


def test_one_off_non_emergency_at_04_30_is_refused_naming_the_time() -> None:
    with pytest.raises(QuietHoursViolation) as caught:
        QUIET.check_airing(vn(4, 30), 60_000, "normal")
    assert "04:30" in caught.value.message_vi and "21:00–05:30" in caught.value.message_vi
    assert "04:30" in str(caught.value)


def test_airing_named_in_commune_time_even_when_given_in_utc() -> None:
    with pytest.raises(QuietHoursViolation) as caught:
        QUIET.check_airing(datetime(2026, 11, 30, 21, 30, tzinfo=UTC), 60_000, "priority")
    assert "04:30" in caught.value.message_vi


def test_emergency_ignores_quiet_hours() -> None:
    QUIET.check_airing(vn(2, 0), 600_000, "emergency")


def test_an_airing_running_into_quiet_hours_is_refused() -> None:
    with pytest.raises(QuietHoursViolation):
        QUIET.check_airing(vn(20, 55), 6 * 60_000, "normal")


def test_an_airing_ending_exactly_as_quiet_hours_begin_is_allowed() -> None:
    QUIET.check_airing(vn(20, 50), 10 * 60_000, "normal")
    QUIET.check_airing(vn(5, 30), 60_000, "normal")


def test_next_start_is_strictly_later() -> None:
    assert QUIET.next_start(vn(21, 0)) == vn(21, 0, day=2)
    assert QUIET.next_start(vn(6, 0)) == vn(21, 0)


def test_slot_inside_quiet_hours_is_a_validation_error() -> None:
    with pytest.raises(QuietHoursViolation) as caught:
        QUIET.check_slot(Slot(time(5, 0), time(5, 45)))
    assert "05:00–05:45" in caught.value.message_vi


@pytest.mark.parametrize(
    ("start", "end"), [(time(20, 45), time(21, 15)), (time(22, 0), time(23, 0)), (time(0, 0), time(1, 0))]
)
def test_slots_touching_the_night_are_refused(start: time, end: time) -> None:
    with pytest.raises(QuietHoursViolation):
        QUIET.check_slot(Slot(start, end))


def test_slots_at_the_edges_of_quiet_hours_are_allowed() -> None:
    QUIET.check_slot(Slot(time(5, 30), time(6, 0)))
    QUIET.check_slot(Slot(time(20, 30), time(21, 0)))


def test_slot_check_for_a_daytime_window() -> None:
    siesta = QuietHours(time(12, 0), time(13, 0))
    siesta.check_slot(Slot(time(6, 0), time(6, 30)))
    with pytest.raises(QuietHoursViolation):
        siesta.check_slot(Slot(time(11, 45), time(12, 15)))


def test_check_slots_names_the_offending_slot_among_good_ones() -> None:
    good, bad = Slot(time(6, 0), time(6, 30)), Slot(time(20, 30), time(21, 30), name="tối")
    QUIET.check_slots([good])
    with pytest.raises(QuietHoursViolation) as caught:
        QUIET.check_slots([good, bad])
    assert "tối" in str(caught.value)
