"""Commune-local time: wall clock to instants, elapsed-time arithmetic, independence from the server's zone."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from schedules.local_time import COMMUNE_ZONE, after, at_wall_clock, days, hhmm, local, require_aware

ROOT = Path(__file__).resolve().parents[2]


def test_wall_clock_in_vietnam_is_utc_plus_seven() -> None:
    moment = at_wall_clock(date(2026, 12, 1), time(6, 0))
    assert moment.astimezone(UTC) == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)


def test_after_counts_elapsed_time_across_a_dst_change() -> None:
    # New York springs forward on 8 March 2026 at 02:00: one real hour after 01:30 is 03:30 on the clocks.
    new_york = ZoneInfo("America/New_York")
    start = datetime(2026, 3, 8, 1, 30, tzinfo=new_york)
    assert after(start, timedelta(hours=1)).time() == time(3, 30)
    assert after(start, timedelta(hours=1)).tzinfo is new_york


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        require_aware(datetime(2026, 12, 1, 6, 0))


def test_local_shows_a_utc_instant_on_vietnamese_clocks() -> None:
    assert local(datetime(2026, 12, 31, 17, 0, tzinfo=UTC)) == datetime(2027, 1, 1, 0, 0, tzinfo=COMMUNE_ZONE)
    assert hhmm(local(datetime(2026, 12, 31, 21, 30, tzinfo=UTC))) == "04:30"


def test_days_include_both_ends_across_a_year_boundary() -> None:
    assert list(days(date(2026, 12, 30), date(2027, 1, 2))) == [
        date(2026, 12, 30),
        date(2026, 12, 31),
        date(2027, 1, 1),
        date(2027, 1, 2),
    ]
    assert list(days(date(2027, 1, 2), date(2027, 1, 1))) == []


def test_results_do_not_depend_on_the_server_zone() -> None:
    """Run the expansion in a process whose local zone is New York: the slot is still 06:00 in Vietnam."""
    script = textwrap.dedent(
        """
        import time
        from datetime import UTC, date, datetime, time as wall
        from schedules.slot import Slot, slot_occurrences
        from schedules.quiet_hours import QuietHours
        time.tzset()
        assert time.strftime("%Z") in ("EST", "EDT"), time.strftime("%Z")
        [occurrence] = slot_occurrences([Slot(wall(6, 0), wall(6, 30))], date(2026, 12, 1), date(2026, 12, 1))
        print(occurrence.starts_at.astimezone(UTC).isoformat())
        print(QuietHours().is_quiet(datetime(2026, 12, 1, 21, 30, tzinfo=UTC)))
        """
    )
    env = {**os.environ, "TZ": "America/New_York", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2026-11-30T23:00:00+00:00", "True"]
