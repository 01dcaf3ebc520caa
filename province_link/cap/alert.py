"""What loaxa keeps of CAP alerts: every alert received (refused ones too, with why), the province's CAP
settings per source, and the area codes (a district's code -> its communes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel, UniqueConstraint

from audio_library.timestamps import UtcDateTime


class AlertState:
    """Where an alert stands. `pending` waits for a provincial officer; `aired` became an emergency."""

    REFUSED = "refused"  # not taken (reason): malformed, unsigned where signing is required, nowhere...
    HELD = "held"  # stored, never airs: Test, Exercise, System, Draft; not Public; expired; Ack, Error
    PENDING = "pending"  # an Actual Alert or Update waiting for confirmation
    AIRED = "aired"  # confirmed (or aired at once by the province's choice): an emergency
    SUPERSEDED = "superseded"  # an Update replaced it
    CANCELLED = "cancelled"  # a Cancel ended it
    APPLIED = "applied"  # a Cancel message, once it acted


class CapAlert(SQLModel, table=True):
    __tablename__ = "cap_alert"

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source_system.id", index=True)
    # "sender identifier" of an alert taken (not refused): the same alert delivered twice is stored once.
    dedup_key: str | None = Field(default=None, max_length=520, unique=True, index=True)
    identifier: str = Field(default="", max_length=255, index=True)
    sender: str = Field(default="", max_length=255)
    sent: datetime | None = Field(default=None, sa_type=UtcDateTime)
    status: str = Field(default="", max_length=16, description="CAP status: Actual, Exercise, System, Test, Draft")
    msg_type: str = Field(default="", max_length=16, description="CAP msgType: Alert, Update, Cancel, Ack, Error")
    state: str = Field(max_length=16, index=True, description="refused, held, pending, aired, superseded...")
    reason: str = Field(default="", max_length=1000, description="Why refused or held, in Vietnamese.")
    detail: str = Field(default="", max_length=2000, description="The technical reason, for the integrator.")
    event: str = Field(default="", max_length=300, description="The event, in Vietnamese.")
    severity: str = Field(default="", max_length=16)
    urgency: str = Field(default="", max_length=16)
    certainty: str = Field(default="", max_length=16)
    priority: str = Field(default="", max_length=16, description="khan_cap, uu_tien or thong_thuong")
    title: str = Field(default="", max_length=300, description="What is read first.")
    text: str = Field(default="", sa_type=Text, description="What is read after the title.")
    area_desc: str = Field(default="", max_length=1000)
    # commune code -> cluster codes reached there (None: all of the commune's clusters)
    reach: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    references: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    replaces_id: int | None = Field(default=None, foreign_key="cap_alert.id")
    signed: bool = False
    bulletin_id: int | None = Field(default=None, foreign_key="bulletin.id")
    emergency_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    confirmed_by: int | None = Field(default=None, foreign_key="app_user.id")
    confirmed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    auto_aired: bool = False
    xml: str = Field(default="", sa_type=Text, description="The message as received (cut at 256 KiB).")
    received_at: datetime = Field(sa_type=UtcDateTime, index=True)


class CapSourceSetting(SQLModel, table=True):
    """The province's CAP choices for one source: the certificate its alerts are signed with (then every
    alert must be signed), and the severities that air at once without an officer's confirmation."""

    __tablename__ = "cap_source_setting"

    source_id: int = Field(foreign_key="source_system.id", primary_key=True)
    certificate_pem: str | None = Field(default=None, sa_type=Text)
    auto_air_severities: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(sa_type=UtcDateTime)


class CapAreaCode(SQLModel, table=True):
    """A code CAP alerts use for more than one commune (a district's MA_DVHC code), and one of its communes."""

    __tablename__ = "cap_area_code"
    __table_args__ = (UniqueConstraint("code", "commune_id"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, index=True)
    commune_id: int = Field(foreign_key="commune.id", index=True)
