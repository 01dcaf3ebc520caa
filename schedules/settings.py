"""The `scheduler` settings section."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator


class SchedulerSettings(BaseModel):
    timezone: str = "Asia/Ho_Chi_Minh"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    # Nodes receive a day of programme ahead, so a node that loses its link at night still airs tomorrow.
    playlist_horizon_h: float = Field(default=24.0, gt=0)
    # How often every playlist is recompiled, so that items entering the horizon reach the nodes.
    # Five minutes: a day's horizon then always holds the next 23 h 55 min, far more than any lead needed.
    republish_interval_s: float = Field(default=300.0, gt=0)
    # The longest item we expect; bounds how far back a still-playing item is looked for.
    max_item_duration_min: float = Field(default=120.0, gt=0)


def in_zone(moment: datetime, timezone: str) -> datetime:
    """A time as people enter it: without an offset it is local time in `timezone` (Vietnam's)."""
    return moment.replace(tzinfo=ZoneInfo(timezone)) if moment.tzinfo is None else moment
