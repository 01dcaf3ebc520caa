"""Emergency orders as stored: one row per commune an emergency reaches, with the instant it starts there.

An order airs an approved emergency bulletin, or an approved message of the stock library (storm, flood...,
which every node keeps pinned: nothing to download). A stock order keeps the audio the message had when
it was issued (`stock_sha256`); if the message is changed later, publication's clearance check drops it.

The start is fixed when the order is issued (`issued_at` + the dispatch lead, later if another emergency
is on air), so every later compilation of the commune's playlist replays the same pre-emption
(`schedules.preemption.preempt`) and nodes see the same timeline each time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import model_validator
from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel, col, select

from audio_library import AudioAsset
from audio_library.row_id import RowId
from audio_library.timestamps import UtcDateTime
from devices.protocol import StockKey, StockLanguage
from schedules.bulletin import Bulletin, BulletinStatus
from schedules.stock_message import StockMessage


class EmergencyOrder(SQLModel, table=True):
    __tablename__ = "emergency_order"

    id: int | None = Field(default=None, primary_key=True)
    # What airs: a bulletin, or a stock message (key, language, and its approved audio at issue).
    bulletin_id: int | None = Field(default=None, foreign_key="bulletin.id", index=True)
    stock_key: str | None = Field(default=None, max_length=32)
    stock_language: str | None = Field(default=None, max_length=8)
    stock_sha256: str | None = Field(default=None, max_length=64, index=True)
    commune_id: int = Field(foreign_key="commune.id", index=True)
    # The clusters of the commune it is for; None: all of them.
    clusters: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    issued_by: int = Field(foreign_key="app_user.id")
    issued_at: datetime = Field(sa_type=UtcDateTime)
    starts_at: datetime = Field(sa_type=UtcDateTime, index=True)
    # Ended early by an officer (a false alarm, or the danger has passed): it airs only until then.
    cancelled_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cancelled_by: int | None = Field(default=None, foreign_key="app_user.id")

    def aired_ms(self, duration_ms: int) -> int:
        """How much of its `duration_ms` of audio airs: all of it, or what fits before the cancellation."""
        if self.cancelled_at is None:
            return duration_ms
        return max(0, min(duration_ms, round((self.cancelled_at - self.starts_at).total_seconds() * 1000)))


class EmergencyCreate(SQLModel):
    """What airs (an approved emergency bulletin, or an approved stock message by key and language) and
    where: a commune, a hamlet group, clusters or a province."""

    bulletin_id: RowId | None = None
    stock_key: StockKey | None = Field(
        default=None, description="An approved stock message (with `stock_language`) instead of a bulletin."
    )
    stock_language: StockLanguage | None = None
    commune_code: str | None = None
    hamlet_group: str | None = Field(default=None, description="With commune_code: one of its hamlet groups.")
    clusters: list[str] | None = Field(default=None, max_length=500)
    province_code: str | None = None

    @model_validator(mode="after")
    def _one_audio(self) -> Self:
        if (self.stock_key is None) != (self.stock_language is None):
            raise ValueError("a stock message needs both `stock_key` and `stock_language`")
        if (self.bulletin_id is None) == (self.stock_key is None):
            raise ValueError("an emergency airs either `bulletin_id` or a stock message, exactly one")
        return self


class EmergencyPublic(SQLModel):
    id: int
    bulletin_id: int | None
    stock_key: str | None = None
    stock_language: str | None = None
    commune_code: str
    clusters: list[str] | None
    issued_at: datetime
    starts_at: datetime
    # The playlist version that carries it; None when it could not be published at once (the periodic
    # republish announces it).
    playlist_version: int | None
    cancelled_at: datetime | None = None


def commune_emergencies(session: Session, commune_id: int, since: datetime) -> list[EmergencyOrder]:
    """The commune's emergencies starting at or after `since`, in order of start (then of issue)."""
    return list(
        session.exec(
            select(EmergencyOrder)
            .where(EmergencyOrder.commune_id == commune_id, col(EmergencyOrder.starts_at) >= since)
            .order_by(col(EmergencyOrder.starts_at), col(EmergencyOrder.id))
        )
    )


def emergency_title(session: Session, order: EmergencyOrder) -> str:
    """What the order airs, as an officer reads it, even when it may no longer air."""
    audio = order_audio(session, order)
    if audio is not None:
        return audio[0]
    if order.stock_key is not None:
        return f"Bản tin mẫu {order.stock_key}/{order.stock_language}"
    bulletin = session.get(Bulletin, order.bulletin_id) if order.bulletin_id is not None else None
    return bulletin.title if bulletin is not None else f"Bản tin {order.bulletin_id}"


def order_audio(session: Session, order: EmergencyOrder) -> tuple[str, AudioAsset] | None:
    """The title and audio an order airs; None when it may no longer air (its bulletin is no longer
    approved, or its audio is gone). A stock order keeps the audio it was issued with; whether that is
    still approved is for the clearance check, which every publication makes."""
    if order.stock_sha256 is not None:
        asset = session.get(AudioAsset, order.stock_sha256)
        if asset is None:
            return None
        message = session.exec(
            select(StockMessage).where(
                StockMessage.key == order.stock_key, StockMessage.language == order.stock_language
            )
        ).first()
        title = message.approved_title if message is not None and message.approved_title else f"{order.stock_key}"
        return title, asset
    bulletin = session.get(Bulletin, order.bulletin_id) if order.bulletin_id is not None else None
    if bulletin is None or bulletin.status != BulletinStatus.APPROVED or bulletin.audio_sha256 is None:
        return None
    asset = session.get(AudioAsset, bulletin.audio_sha256)
    return (bulletin.title, asset) if asset is not None else None
