"""What loaxa keeps of the source's items: each item's current version, its bulletins, every delivery."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel, UniqueConstraint

from audio_library.timestamps import UtcDateTime


class SourceItemRecord(SQLModel, table=True):
    """The newest accepted version of one item of a source, and what it is in loaxa now."""

    __tablename__ = "source_item"
    __table_args__ = (UniqueConstraint("source_id", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source_system.id", index=True)
    external_id: str = Field(max_length=64, description="The source's own id of the item.")
    version: int
    status: str = Field(max_length=16, description="pending (in loaxa's approval) or withdrawn")
    title: str = Field(max_length=300)
    digest: str = Field(max_length=64, description="sha256 of the item as received: the same version twice is one.")
    received_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)


class SourceItemBulletin(SQLModel, table=True):
    """The bulletins an item became: one for the province, or one per commune it targets."""

    __tablename__ = "source_item_bulletin"

    source_item_id: int = Field(foreign_key="source_item.id", primary_key=True)
    bulletin_id: int = Field(foreign_key="bulletin.id", primary_key=True, unique=True)


class SourceDelivery(SQLModel, table=True):
    """Every authenticated message received, accepted or not, for the province's staff to see."""

    __tablename__ = "source_delivery"

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source_system.id", index=True)
    external_id: str = Field(default="", max_length=64)
    version: int | None = None
    outcome: str = Field(max_length=16, description="accepted, duplicate or refused")
    reason: str = Field(default="", max_length=1000, description="Why it was refused, in Vietnamese.")
    detail: str = Field(default="", max_length=2000, description="The technical reason, for the integrator.")
    body: str = Field(default="", sa_type=Text, description="The message as received (cut at 64 KiB).")
    received_at: datetime = Field(sa_type=UtcDateTime, index=True)
