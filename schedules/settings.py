"""The `scheduler` settings section."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator, model_validator

from schedules.planning import Planning
from schedules.quiet_hours import DEFAULT_QUIET_END, DEFAULT_QUIET_START, QuietHours


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
    # How long what was published is kept to check proof of play against (`schedules.published_item`).
    # A node keeps unsent reports on disk however long it is cut off; 90 days covers a cluster offline
    # for a season (and every report window of the play audit) while bounding the table.
    published_item_retention_days: float = Field(default=90.0, gt=0)
    # The longest item we expect; bounds how far back a still-playing item is looked for.
    max_item_duration_min: float = Field(default=120.0, gt=0)
    # Every airing is in its commune's published playlist at least this long before it starts, so nodes
    # have downloaded its audio in time even over a slow 4G link (a scheduler job per commune sees to it).
    publish_lead_min: float = Field(default=30.0, gt=0)
    # A publication job the controller missed (it was down) still runs on restart if at most this late.
    # Half an hour: the job's whole purpose is the lead time before airtime; later, the start-up pass
    # has already republished everything anyway.
    misfire_grace_s: int = Field(default=1800, ge=1)
    # Silence between consecutive items of a slot, so listeners hear where one bulletin ends.
    item_gap_s: float = Field(default=1.0, ge=0)
    # An emergency starts this long after it is issued: the time for the notice and the nodes' pull of
    # playlist and audio to cross the network. One second suffices on a LAN; raise it for 4G nodes.
    emergency_dispatch_lead_s: float = Field(default=1.0, ge=0)

    # Registering a stream source listens to it first; a radio server answers within a second or two, and
    # one silent for this long would not carry a relay either.
    stream_probe_timeout_s: float = Field(default=8.0, gt=0, le=60)
    # The leader lease (`schedules.lease`): when the leader dies, another instance takes over within this
    # long. 15 s: a publication job then runs at most that late (its lead is 30 min), and a database pause
    # of several seconds does not depose a healthy leader.
    leader_lease_s: float = Field(default=15.0, gt=0)
    # How often the leader renews its lease, and the others look for a lapsed one. A renewal holds the
    # lease for `leader_lease_s - leader_renew_s` (12 s), so a standby that looks every 3 s takes over at
    # most `leader_lease_s` after the leader's last renewal; the leader may miss three renewals in a row
    # (a slow database moment) before it loses the lease.
    leader_renew_s: float = Field(default=3.0, gt=0)

    # Default quiet hours (commune wall clock) for communes that set none: rural communes sleep early.
    quiet_start: time = DEFAULT_QUIET_START
    quiet_end: time = DEFAULT_QUIET_END

    @model_validator(mode="after")
    def _lead_within_horizon(self) -> SchedulerSettings:
        if self.publish_lead_min * 60 > self.playlist_horizon_h * 3600:
            raise ValueError(
                "LOAXA_SCHEDULER__PUBLISH_LEAD_MIN must not exceed LOAXA_SCHEDULER__PLAYLIST_HORIZON_H: "
                "an airing cannot be published before it enters the playlist's horizon"
            )
        if self.leader_renew_s * 3 > self.leader_lease_s:
            raise ValueError(
                "LOAXA_SCHEDULER__LEADER_RENEW_S must be at most a third of LOAXA_SCHEDULER__LEADER_LEASE_S: "
                "the leader must be able to miss a renewal without losing its lease"
            )
        if self.quiet_start == self.quiet_end:
            raise ValueError("LOAXA_SCHEDULER__QUIET_START and __QUIET_END must differ")
        return self

    @property
    def leader_hold_s(self) -> float:
        """How long one renewal holds the lease: a standby looking every `leader_renew_s` then takes over
        within `leader_lease_s` of the leader's last renewal."""
        return self.leader_lease_s - self.leader_renew_s

    def planning(self) -> Planning:
        zone = ZoneInfo(self.timezone)
        return Planning(zone, timedelta(seconds=self.item_gap_s), QuietHours(self.quiet_start, self.quiet_end, zone))


def in_zone(moment: datetime, timezone: str) -> datetime:
    """A time as people enter it: without an offset it is local time in `timezone` (Vietnam's)."""
    return moment.replace(tzinfo=ZoneInfo(timezone)) if moment.tzinfo is None else moment
