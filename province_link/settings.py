"""Settings of the source link (`LOAXA_SOURCE_LINK__*`)."""

from __future__ import annotations

from pathlib import Path

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
    # An item's recording is fetched while its sender waits for the answer: a 50 MB file (the upload limit)
    # over a slow provincial link takes about a minute at 8 Mbit/s, so two minutes for the whole download.
    recording_timeout_s: float = Field(default=120.0, gt=0, description="One recording download, connect to last byte.")
    max_feed_bytes: int = Field(default=8 * 1024 * 1024, gt=0, description="A larger feed page is refused.")
    # Results out (`province_link.outbox`): how often waiting reports are sent. Proof of play is not urgent,
    # but the province's dashboards should be near live; a batch every 2 s costs one request per source.
    report_interval_s: float = Field(default=2.0, gt=0)
    report_batch_max: int = Field(default=200, ge=1, le=10_000)
    report_timeout_s: float = Field(default=10.0, gt=0, description="One report request, connect to answer.")
    # A source that does not acknowledge is tried again after retry_min_s, doubling up to retry_max_s: an
    # upstream down for hours is asked every 15 minutes at most, and hears everything once it is back.
    retry_min_s: float = Field(default=5.0, gt=0)
    retry_max_s: float = Field(default=900.0, gt=0)
    # A CAP alert is a few kilobytes (the OASIS examples are 2-3 KiB; a detailed polygon, tens); 512 KiB
    # leaves room for any real alert and its XML signature while bounding what the parser is handed.
    cap_max_bytes: int = Field(default=512 * 1024, gt=0, description="A larger CAP alert is refused (413).")
    # Stations and clusters are reported on change, and in full to each source this often, so a source that
    # lost its data or joined later converges within a day (a province's few hundred clusters, a few KB each).
    snapshot_interval_s: float = Field(default=86_400.0, gt=0)
    # Acknowledged reports are kept this long (to answer "was it sent?"), then deleted; waiting ones never are.
    report_retention_days: float = Field(default=30.0, gt=0)
    # How often snapshots due and acknowledged reports past retention are looked for: cheap queries, and a
    # minute is well inside both periods above.
    housekeeping_interval_s: float = Field(default=60.0, gt=0)
    signing_key_file: Path = Field(
        default=Path("var/source-link-signing-key.pem"),
        description="loaxa's Ed25519 key for what it sends upstream (created on first use, mode 0600).",
    )
