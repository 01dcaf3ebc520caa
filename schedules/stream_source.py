"""Stream sources: external radio streams (VOV, the province's station) a commune relays ("tiếp sóng").

An admin registers each with a name and an HTTP URL of an Icecast or Shoutcast mount in MP3, AAC or
Ogg (Opus or Vorbis). Registration listens to it first (`probe_stream`, ffprobe reading the URL): an
unreachable URL or one that is not audio is refused with the reason and nothing is stored. A source
belongs to the whole country (national radio: every user sees it) or to one province (its staff and
communes see it). A program item of kind "relay" names a source and a duration (`schedules.program`).
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from datetime import datetime

import pydantic
from pydantic import BaseModel
from sqlmodel import Field, Session, SQLModel, col, select

from audio_library.timestamps import UtcDateTime, utc_now
from devices.registry import Commune
from schedules.errors import (
    StreamNotAudio,
    StreamSourceExists,
    StreamSourceInUse,
    StreamSourceNotFound,
    StreamUnreachable,
)
from schedules.program_record import ProgramItemRecord

# What a node can decode and relay: ffprobe's codec names.
RELAY_CODECS = frozenset({"mp3", "aac", "opus", "vorbis"})
URL_PATTERN = r"^https?://[^\s]{1,490}$"
# The probe reads at most this much of the stream: a few seconds of any radio bitrate, enough to find frames.
_PROBE_BYTES = 65536


class StreamSource(SQLModel, table=True):
    __tablename__ = "stream_source"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    url: str = Field(max_length=500)
    # What the probe heard at registration: mp3, aac, opus or vorbis.
    codec: str = Field(max_length=16)
    # None: national (every user reads it); otherwise the province whose users and communes read it.
    province_id: int | None = Field(default=None, foreign_key="province.id", index=True)
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class StreamSourceCreate(BaseModel):
    name: str = pydantic.Field(min_length=1, max_length=100)

    @pydantic.field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the name is empty")
        return value.strip()

    url: str = pydantic.Field(pattern=URL_PATTERN, description="HTTP(S) URL of an Icecast/Shoutcast mount.")
    province_code: str | None = pydantic.Field(default=None, max_length=64, description="None: a national source.")


class StreamSourcePublic(BaseModel):
    id: int
    name: str
    url: str
    codec: str
    province_id: int | None
    created_at: datetime


def source_public(source: StreamSource) -> StreamSourcePublic:
    assert source.id is not None
    return StreamSourcePublic(
        id=source.id,
        name=source.name,
        url=source.url,
        codec=source.codec,
        province_id=source.province_id,
        created_at=source.created_at,
    )


@dataclass(frozen=True)
class StreamProbe:
    codec: str


def probe_stream(url: str, *, timeout_s: float, ffprobe: str = "ffprobe") -> StreamProbe:
    """Listen to `url` briefly; its audio codec, or StreamUnreachable / StreamNotAudio saying why not.

    Only HTTP(S) is followed (no file or other protocol, whatever the URL redirects to).
    """
    if not re.match(URL_PATTERN, url):
        raise StreamUnreachable(
            f"not an HTTP URL: {url[:80]!r}", message_vi="Địa chỉ luồng phải bắt đầu bằng http:// hoặc https://."
        )
    command = [
        ffprobe, "-v", "error",
        "-protocol_whitelist", "http,https,tcp,tls",
        "-rw_timeout", str(int(timeout_s * 1_000_000)),
        "-probesize", str(_PROBE_BYTES), "-analyzeduration", "1000000",
        "-show_entries", "stream=codec_type,codec_name", "-of", "json", url,
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s + 5)
    except subprocess.TimeoutExpired as exc:
        raise StreamUnreachable(f"{url}: no answer within {timeout_s} s") from exc
    except FileNotFoundError as exc:
        raise StreamUnreachable(
            "ffprobe is not installed", message_vi="Máy chủ thiếu ffprobe để kiểm tra luồng."
        ) from exc
    error = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    if done.returncode != 0:
        if "Invalid data" in error or "could not find codec" in error.lower():
            raise StreamNotAudio(f"{url}: {error[:200]}")
        status = re.search(r"Server returned (\d{3}[^\n]*)", done.stderr)
        if status:
            raise StreamUnreachable(
                f"{url}: {status.group(1)}",
                message_vi=f"Địa chỉ luồng trả lời lỗi {status.group(1)[:3]}; hãy kiểm tra lại địa chỉ.",
            )
        raise StreamUnreachable(f"{url}: {error[:200]}")
    try:
        streams = json.loads(done.stdout).get("streams", [])
    except json.JSONDecodeError as exc:
        raise StreamNotAudio(f"{url}: ffprobe said {done.stdout[:100]!r}") from exc
    codecs = [s.get("codec_name", "") for s in streams if s.get("codec_type") == "audio"]
    if not codecs or any(s.get("codec_type") == "video" for s in streams):
        raise StreamNotAudio(f"{url}: streams {streams!r}")
    if codecs[0] not in RELAY_CODECS:
        raise StreamNotAudio(
            f"{url}: codec {codecs[0]}",
            message_vi=f"Luồng phát dùng định dạng {codecs[0]}; chỉ tiếp sóng được MP3, AAC hoặc Ogg/Opus.",
        )
    return StreamProbe(codec=codecs[0])


def get_source(session: Session, source_id: int) -> StreamSource:
    source = session.get(StreamSource, source_id)
    if source is None:
        raise StreamSourceNotFound(f"stream source {source_id}")
    return source


def sources_for(session: Session, province_ids: set[int] | None) -> list[StreamSource]:
    """National sources and those of `province_ids` (None: every source)."""
    query = select(StreamSource).order_by(col(StreamSource.name))
    if province_ids is not None:
        query = query.where(
            col(StreamSource.province_id).is_(None) | col(StreamSource.province_id).in_(sorted(province_ids))
        )
    return list(session.exec(query))


def relayable_in(source: StreamSource, commune: Commune) -> bool:
    """A national source airs anywhere; a province's only in its own communes."""
    return source.province_id is None or source.province_id == commune.province_id


def register_source(
    session: Session, *, name: str, url: str, province_id: int | None, user_id: int, probe: StreamProbe
) -> StreamSource:
    """Store a source that `probe` has heard; refuses a name in use."""
    if session.exec(select(StreamSource).where(StreamSource.name == name)).first() is not None:
        raise StreamSourceExists(f"stream source {name!r} exists", message_vi=f"Đã có nguồn tiếp sóng “{name}”.")
    source = StreamSource(name=name, url=url, codec=probe.codec, province_id=province_id, created_by=user_id)
    session.add(source)
    session.flush()
    return source


def delete_source(session: Session, source: StreamSource) -> None:
    """Remove a source no program item relays."""
    used = session.exec(select(ProgramItemRecord).where(ProgramItemRecord.stream_source_id == source.id)).first()
    if used is not None:
        raise StreamSourceInUse(f"stream source {source.id} is relayed by program {used.program_id}")
    session.delete(source)
    session.flush()


class CommuneRelayFill(SQLModel, table=True):
    """What a commune's clusters air when a relay fails (the source is down past the reconnect tries).

    No row, or no `stock_key`: silence. Otherwise the stock message of that key and language, from each
    node's pinned copy (`schedules.stock_message`).
    """

    __tablename__ = "commune_relay_fill"

    commune_id: int = Field(foreign_key="commune.id", primary_key=True)
    stock_key: str | None = Field(default=None, max_length=32)
    stock_language: str = Field(default="vi", max_length=3)


class RelayFillPublic(BaseModel):
    fill: str = pydantic.Field(pattern="^(silence|stock)$", description="silence, or stock: the stock message below.")
    stock_key: str | None = pydantic.Field(default=None, max_length=32)
    stock_language: str = pydantic.Field(default="vi", max_length=3)


def relay_fill(session: Session, commune_id: int) -> CommuneRelayFill | None:
    """The commune's choice, or None for silence."""
    row = session.get(CommuneRelayFill, commune_id)
    return row if row is not None and row.stock_key else None
