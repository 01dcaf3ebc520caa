"""Settings of reports and the as-run log (`LOAXA_REPORTS__*`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ReportSettings(BaseModel):
    # Proof of play is sealed into the as-run log's hash chain this often. A minute keeps the log (and a
    # download of it) at most a minute behind what the nodes reported, for one small query a minute.
    seal_interval_s: float = Field(default=60.0, gt=0)
    # Plays sealed per transaction: 5,000 reports of a busy minute (10,000 clusters report about 2.3 plays/s)
    # fit in one short transaction, and a backlog after an outage is worked off in steps.
    seal_batch: int = Field(default=5000, ge=1, le=100_000)
    # Rows of the as-run log read from the database at a time while a download streams: memory stays
    # constant whatever the period.
    stream_batch: int = Field(default=2000, ge=1, le=100_000)
    # A cluster counts as working in a period report when it was up at least this share of the period:
    # 80 % leaves room for the nightly power cuts and 4G gaps of a rural commune while still catching a
    # cluster that was down for days.
    working_uptime_pct: float = Field(default=80.0, ge=0, le=100)
    # Reports of closed periods are filed this many days after the period's last day: a node offline over
    # the period's end keeps its reports and sends them when back, and three days covers a long weekend
    # without 4G. Filing again later (a late report) adds a version that says what changed.
    filing_settle_days: int = Field(default=3, ge=0, le=60)
    # How often the controller looks for closed periods not filed yet (an hour: periods close once a
    # month), and how long after start it first looks (out of the way of start-up and of short runs).
    filing_interval_s: float = Field(default=3600.0, gt=0)
    filing_first_delay_s: float = Field(default=300.0, ge=0)
