"""The clock the scheduler reads "now" from, injected so tests can set the time instead of patching it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from audio_library.timestamps import utc_now

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, aware UTC."""
    return utc_now()


@dataclass
class ShiftedClock:
    """The real time moved by `shift`: a test lives at 22:00 in Hà Nội while time still flows."""

    shift: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        return utc_now() + self.shift
