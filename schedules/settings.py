"""The `scheduler` settings section."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SchedulerSettings(BaseModel):
    timezone: str = "Asia/Ho_Chi_Minh"
    # Nodes receive a day of programme ahead, so a node that loses its link at night still airs tomorrow.
    playlist_horizon_h: float = Field(default=24.0, gt=0)
    # The longest item we expect; bounds how far back a still-playing item is looked for.
    max_item_duration_min: float = Field(default=120.0, gt=0)
