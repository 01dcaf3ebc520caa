"""Settings of the source link (`LOAXA_SOURCE_LINK__*`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SourceLinkSettings(BaseModel):
    # How far a message's `sent_at` may be from the controller's clock. Both sides keep NTP time, so a few
    # seconds would do; 5 minutes lets a message that the source retried after a short outage still pass,
    # while bounding how long nonces must be kept to refuse a replay (twice this).
    max_age_s: float = Field(default=300.0, gt=0, le=86_400)
    # Pull mode: a source's feed is read this often. Content from the province is not urgent (emergencies
    # are pushed), and a minute gets a published item into the approvers' queue soon enough for one small
    # request per source per minute.
    poll_interval_s: float = Field(default=60.0, gt=0)
    fetch_timeout_s: float = Field(default=10.0, gt=0, description="One feed request, connect to last byte.")
    max_feed_bytes: int = Field(default=8 * 1024 * 1024, gt=0, description="A larger feed page is refused.")
