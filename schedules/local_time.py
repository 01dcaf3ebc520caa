"""Commune-local wall-clock time, whatever zone the server runs in.

Every scheduling function takes the zone as an argument (the `scheduler.timezone` setting) and
never reads the process's local zone or the clock. Wall-clock times (a slot's 06:00) become
instants through `at_wall_clock`; durations move instants through `after`, which counts elapsed
time, so results stay right even in a zone with daylight saving time (Vietnam has none).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, WithJsonSchema

# The zone of every commune: Thông tư 39 broadcasts run on Vietnamese civil time (UTC+7, no DST).
COMMUNE_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")

# "06:30", "06:30:00" or "06:30:00.5": what pydantic reads as a `time` without an offset, and writes back.
WALL_CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"


def _without_offset(wall: time) -> time:
    # An offset (or a number, which pydantic reads as seconds in UTC) would not survive the database, and
    # an aware time cannot be compared with the naive ones stored: a slot or quiet hours are wall-clock.
    if wall.tzinfo is not None:
        raise ValueError("a local wall-clock time, without an offset (e.g. 06:30)")
    return wall


# A wall-clock time of the commune in requests and responses (a slot, quiet hours, a rule's time).
# JSON Schema's `format: time` is RFC 3339's full-time, which requires an offset: the pattern says what
# is really sent and accepted.
LocalTime = Annotated[
    time,
    AfterValidator(_without_offset),
    WithJsonSchema(
        {"type": "string", "pattern": WALL_CLOCK_PATTERN, "description": "Local time in the commune, e.g. 06:30."}
    ),
]


def at_wall_clock(day: date, wall: time, zone: ZoneInfo = COMMUNE_ZONE) -> datetime:
    """The instant the clocks of `zone` show `wall` on `day`."""
    return datetime.combine(day, wall.replace(tzinfo=None), tzinfo=zone)


def after(moment: datetime, elapsed: timedelta) -> datetime:
    """`moment` plus `elapsed` real time, expressed in `moment`'s zone (not wall-clock arithmetic)."""
    require_aware(moment)
    return (moment.astimezone(UTC) + elapsed).astimezone(moment.tzinfo)


def local(moment: datetime, zone: ZoneInfo = COMMUNE_ZONE) -> datetime:
    """`moment` as the clocks of `zone` show it."""
    return require_aware(moment).astimezone(zone)


def require_aware(moment: datetime) -> datetime:
    """Refuse a naive datetime: without a zone it could mean the server's local time."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: scheduling needs an aware one")
    return moment


def days(first: date, last: date) -> Iterator[date]:
    """Every day from `first` to `last`, both included."""
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def hhmm(moment: datetime | time) -> str:
    """A time as officers read it, e.g. "04:30"."""
    return moment.strftime("%H:%M")
