"""Proof-of-play records: what each cluster actually played, stored from the nodes' reports."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from audio_library.timestamps import UtcDateTime, utc_now


class PlayRecordBase(SQLModel):
    report_id: str = Field(unique=True, max_length=64)
    device_id: int = Field(foreign_key="device.id", index=True)
    commune_code: str = Field(index=True, max_length=64)
    playlist_version: int
    item_id: str = Field(index=True, max_length=64)
    asset_sha256: str = Field(max_length=64)
    played_sha256: str | None = Field(default=None, max_length=64)
    scheduled_start: datetime = Field(sa_type=UtcDateTime)
    started_at: datetime = Field(sa_type=UtcDateTime)
    ended_at: datetime = Field(sa_type=UtcDateTime)
    # started_at - scheduled_start as the node's clock saw it; positive means late.
    start_error_ms: int
    outcome: str = Field(max_length=16)
    detail: str = Field(default="", max_length=500)


class PlayRecord(PlayRecordBase, table=True):
    __tablename__ = "play_record"

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class PlayRecordPublic(PlayRecordBase):
    id: int
    received_at: datetime
