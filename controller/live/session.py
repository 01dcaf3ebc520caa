"""Live sessions as stored: the live permission, each broadcast and the communes it holds while on air.

A commune carries one live broadcast at a time: `live_on_air` has the commune as its primary key, so a
second officer's insert fails in the database itself, whichever controller instance serves them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from audio_library.timestamps import UtcDateTime, utc_now

LivePriority = Literal["normal", "emergency"]
EndReason = Literal["stopped", "silent", "disconnected", "not_audio", "max_duration", "error", "restart"]

END_REASON_VI: dict[str, str] = {
    "stopped": "cán bộ kết thúc",
    "silent": "im lặng quá lâu",
    "disconnected": "mất kết nối với trình duyệt",
    "not_audio": "dữ liệu gửi lên không phải âm thanh",
    "max_duration": "quá thời lượng tối đa",
    "error": "lỗi máy chủ phát",
    "restart": "máy chủ khởi động lại",
}


class LiveGrant(SQLModel, table=True):
    """The live permission: `user` may go live in `commune`, or in every commune of `province` (provincial
    staff). `pre_empt`: may cut what is on air (a normal announcement that does not wait, and emergencies)."""

    __tablename__ = "live_grant"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    commune_id: int | None = Field(default=None, foreign_key="commune.id")
    province_id: int | None = Field(default=None, foreign_key="province.id")
    pre_empt: bool = False
    granted_by: int = Field(foreign_key="app_user.id")
    granted_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class LiveSession(SQLModel, table=True):
    __tablename__ = "live_session"

    id: int | None = Field(default=None, primary_key=True)
    # Names the session outside the database: its Icecast mount (/live/{key}.ogg) and the nodes' commands.
    key: str = Field(unique=True, max_length=32)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    title: str = Field(default="", max_length=300)
    priority: str = Field(max_length=16)
    pre_empt: bool = False
    # The target as the officer chose it (commune, hamlet group, clusters or province), for the record.
    target: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    started_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime, index=True)
    # First audio from the browser (the nodes are commanded then).
    on_air_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    end_reason: str | None = Field(default=None, max_length=16)
    end_detail: str = Field(default="", max_length=500)
    # The recording, kept in the audio store like any other audio (Ogg/Opus as the browser sent it).
    recording_sha256: str | None = Field(default=None, foreign_key="audio_asset.sha256")
    recorded_ms: int | None = None

    @property
    def mount(self) -> str:
        return f"/live/{self.key}.ogg"


class LiveSessionCommune(SQLModel, table=True):
    """A commune a session reaches, and which of its clusters (None: all)."""

    __tablename__ = "live_session_commune"

    session_id: int = Field(foreign_key="live_session.id", primary_key=True)
    commune_id: int = Field(foreign_key="commune.id", primary_key=True, index=True)
    clusters: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class LiveOnAir(SQLModel, table=True):
    """A commune with a live broadcast now: one row per commune, deleted when the session ends."""

    __tablename__ = "live_on_air"

    commune_id: int = Field(foreign_key="commune.id", primary_key=True)
    session_id: int = Field(foreign_key="live_session.id", index=True)


class LiveStart(SQLModel):
    """Where and how to go live: one of commune (optionally a hamlet group), clusters, or a province."""

    commune_code: str | None = None
    hamlet_group: str | None = Field(default=None, description="With commune_code: one of its hamlet groups.")
    clusters: list[str] | None = Field(default=None, max_length=500)
    province_code: str | None = None
    title: str = Field(default="", max_length=300)
    priority: LivePriority = "normal"
    pre_empt: bool = Field(
        default=False, description="normal: cut what is on air instead of waiting for it (needs the right)."
    )


class LiveSessionPublic(SQLModel):
    id: int
    key: str
    username: str
    title: str
    priority: str
    pre_empt: bool
    communes: list[str]
    mount: str
    audio_socket: str = Field(description="The WebSocket path the browser sends its audio to.")
    started_at: datetime
    on_air_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    end_reason_vi: str | None
    end_detail: str
    recording_sha256: str | None
    recorded_ms: int | None


class LiveGrantCreate(SQLModel):
    username: str = Field(max_length=64)
    commune_code: str | None = None
    province_code: str | None = None
    pre_empt: bool = False


class LiveGrantPublic(SQLModel):
    id: int
    username: str
    commune_code: str | None
    province_code: str | None
    pre_empt: bool
    granted_at: datetime
