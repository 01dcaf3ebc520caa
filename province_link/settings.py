"""Settings of the source link (`LOAXA_SOURCE_LINK__*`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SourceLinkSettings(BaseModel):
    # How far a message's `sent_at` may be from the controller's clock. Both sides keep NTP time, so a few
    # seconds would do; 5 minutes lets a message that the source retried after a short outage still pass,
    # while bounding how long nonces must be kept to refuse a replay (twice this).
    max_age_s: float = Field(default=300.0, gt=0, le=86_400)
