"""Proof-of-play records: what each cluster actually played, stored from the nodes' reports.

A report that does not match what the controller sent that cluster (an item of a playlist published
to its commune that targets it, with that audio; or a play_now command sent to it) is kept, never
dropped, but with `flag_reason` set: it is not proof of play, so the play audit, the "last play"
figures and any count of aired items leave it out, and an alert asks an admin to look at it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import JSON, Column, Index, text
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
    # Why this report is not proof of play (see FlagReason); None for a report that matches what was sent.
    flag_reason: str | None = Field(default=None, max_length=32, index=True)
    # A relay (protocol 1.4): how long the stream was actually on air, and each interruption of it
    # (`[{"at": ISO time, "duration_ms": n, "reason": text, "filled": "silence"|"stock"}]`); None otherwise.
    relayed_ms: int | None = None
    interruptions: list[dict[str, object]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


# other_commune: it names a commune that is not the cluster's own; not_sent: no item with this id and
# start was ever published to the commune, nor sent to the cluster by play_now; other_cluster: the item
# exists but was never for this cluster; wrong_audio: the item was sent with other audio, or what played
# was not that audio; implausible_time: it claims to have aired in the future, or far from its start.
FlagReason = Literal["other_commune", "not_sent", "other_cluster", "wrong_audio", "implausible_time"]

# What an admin reads next to a flagged report (console and alert).
FLAG_LABELS: dict[str, str] = {
    "other_commune": "báo cáo cho xã khác",
    "not_sent": "mục chưa từng gửi cho cụm loa này",
    "other_cluster": "mục không dành cho cụm loa này",
    "wrong_audio": "âm thanh khác với tệp đã gửi",
    "implausible_time": "thời gian phát không hợp lý (trước giờ phát, hoặc lệch quá xa giờ đã định)",
}


# Plays that did not air whole are few: reports find them (why planned items never aired, failures per
# cluster) through this partial index instead of reading every play of the period.
UNPLAYED = "outcome <> 'played'"


class PlayRecord(PlayRecordBase, table=True):
    __tablename__ = "play_record"
    __table_args__ = (
        Index(
            "ix_play_record_unplayed",
            "commune_code",
            "scheduled_start",
            postgresql_where=text(UNPLAYED),
            sqlite_where=text(UNPLAYED),
        ),
        # Whether a failed or interrupted play was played whole after all: one lookup per cluster and start.
        Index("ix_play_record_device_start", "device_id", "scheduled_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class PlayRecordPublic(PlayRecordBase):
    id: int
    received_at: datetime
