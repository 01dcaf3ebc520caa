"""The stock library: approved warnings (storm, flood, fire...) that every node keeps pinned before they are needed.

An admin keeps one message per key and language. Each has a draft (title, text, audio made from the
text or uploaded) and, once another admin approved it, an approved copy: only the approved copy is in
the library nodes download (`manifest`), and only its audio is cleared to air (`schedules.clearance`).
Changing the draft leaves the approved copy on the nodes until the change is approved in turn.

Every approval or withdrawal bumps the library's version, which nodes are told over MQTT and pull over
HTTP with an ETag, like the playlist. A change is refused while an emergency airs the message it would
replace (`StockOnAir`): a node already playing it keeps its file, and no node is left without it halfway.

The languages are data (`stock_language`, seeded with Vietnamese and Khmer by migration 0019); the keys
are the fixed set of warnings below, since the console, the CLI and the demo name them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, or_, select

from audio_library import AudioAsset
from audio_library.timestamps import UtcDateTime, utc_now
from devices.commands import DeviceCommand
from devices.protocol import StockEntry, StockManifest
from schedules.errors import (
    SelfApproval,
    StockAudioMissing,
    StockNotApproved,
    StockNotFound,
    StockOnAir,
    UnknownStockKey,
    UnknownStockLanguage,
)

# The warnings a commune may need at once, with how the console names them.
STOCK_KEYS: dict[str, str] = {
    "storm": "Cảnh báo bão",
    "flood": "Cảnh báo lũ lụt",
    "fire": "Cảnh báo cháy",
    "evacuation": "Lệnh sơ tán",
    "all_clear": "Thông báo hết nguy hiểm",
    "test_tone": "Phát thử không tiếng",
}
# The key whose audio is a silent tone made by the controller (checks a cluster's path end to end, unheard).
TEST_TONE_KEY = "test_tone"

# Command rows that mean a play_now may still be on air (`succeeded`: it went on air and may still be).
_ON_AIR_STATUSES = ("sent", "acked", "succeeded")


class StockLanguage(SQLModel, table=True):
    """A language the library keeps messages in."""

    __tablename__ = "stock_language"

    code: str = Field(primary_key=True, max_length=3)
    name_vi: str = Field(max_length=64)
    # An offline engine (espeak-ng) reads it; otherwise only an uploaded recording gives it audio.
    offline_speech: bool = False


class StockMessage(SQLModel, table=True):
    """One warning in one language: its draft, and the approved copy nodes hold."""

    __tablename__ = "stock_message"
    __table_args__ = (UniqueConstraint("key", "language", name="uq_stock_message_key_language"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=32)
    language: str = Field(foreign_key="stock_language.code", max_length=3)
    title: str = Field(max_length=300)
    text: str = Field(default="", max_length=5000)
    # The draft's audio: speech of `text`, an upload, or the silent tone.
    audio_sha256: str | None = Field(default=None, max_length=64)
    audio_source: str = Field(default="", max_length=16)
    changed_by: str = Field(default="", max_length=64)
    changed_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    # The approved copy: what is in the library and may air.
    approved_sha256: str | None = Field(default=None, max_length=64, index=True)
    approved_title: str = Field(default="", max_length=300)
    approved_by: str = Field(default="", max_length=64)
    approved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)

    @property
    def pending(self) -> bool:
        """The draft differs from what nodes hold (a change waiting for approval)."""
        return self.audio_sha256 != self.approved_sha256 or self.title != self.approved_title


class StockLibrary(SQLModel, table=True):
    """The library's version (one row): bumped by every approval and withdrawal."""

    __tablename__ = "stock_library"

    id: int | None = Field(default=None, primary_key=True)
    version: int = 0
    changed_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


def check_key(key: str) -> str:
    if key not in STOCK_KEYS:
        raise UnknownStockKey(f"unknown stock key {key[:40]!r}")
    return key


def get_language(session: Session, code: str) -> StockLanguage:
    language = session.get(StockLanguage, code[:3]) if len(code) <= 3 else None
    if language is None:
        raise UnknownStockLanguage(f"unknown stock language {code[:20]!r}")
    return language


def find_message(session: Session, key: str, language: str) -> StockMessage:
    """The message of `key` in `language`; unknown key or language: 422, no such message: 404."""
    check_key(key)
    get_language(session, language)
    message = session.exec(
        select(StockMessage).where(StockMessage.key == key, StockMessage.language == language)
    ).first()
    if message is None:
        raise StockNotFound(f"no stock message {key}/{language}")
    return message


def list_messages(session: Session) -> list[StockMessage]:
    return list(session.exec(select(StockMessage).order_by(col(StockMessage.key), col(StockMessage.language))))


def save_draft(session: Session, key: str, language: str, *, title: str, text: str, by: str) -> StockMessage:
    """Create the message, or change its draft; a new text drops the draft's speech (it no longer says it)."""
    check_key(key)
    get_language(session, language)
    message = session.exec(
        select(StockMessage).where(StockMessage.key == key, StockMessage.language == language)
    ).first()
    if message is None:
        message = StockMessage(key=key, language=language, title=title, text=text)
    elif message.text != text and message.audio_source == "speech":
        message.audio_sha256, message.audio_source = None, ""
    message.title, message.text = title, text
    message.changed_by, message.changed_at = by, utc_now()
    session.add(message)
    return message


def attach_audio(message: StockMessage, sha256: str, source: str, *, by: str) -> None:
    message.audio_sha256, message.audio_source = sha256, source
    message.changed_by, message.changed_at = by, utc_now()


def _library(session: Session) -> StockLibrary:
    library = session.get(StockLibrary, 1)
    if library is None:
        library = StockLibrary(id=1)
        session.add(library)
    return library


def bump_version(session: Session) -> int:
    library = _library(session)
    library.version += 1
    library.changed_at = utc_now()
    session.add(library)
    return library.version


def on_air(session: Session, sha256: str, *, now: datetime, grace: timedelta) -> bool:
    """Whether an emergency with this audio may be on air now, or is about to be.

    An emergency order counts until its start plus the audio's length, unless it was ended earlier. A
    play_now command counts from its issue until the audio's length plus `grace` (the command timeout: a
    node starts it at most that late) has passed, unless it was refused, failed or timed out, or a later
    `stop` to the same cluster succeeded.
    """
    # Imported here: an emergency order names its stock message, so that module imports this one.
    from schedules.emergency_order import EmergencyOrder

    asset = session.get(AudioAsset, sha256)
    length = timedelta(milliseconds=asset.duration_ms if asset is not None else 0)
    ordered = session.exec(
        select(EmergencyOrder.id).where(
            EmergencyOrder.stock_sha256 == sha256,
            col(EmergencyOrder.starts_at) >= now - length,
            or_(col(EmergencyOrder.cancelled_at).is_(None), col(EmergencyOrder.cancelled_at) > now),
        )
    ).first()
    if ordered is not None:
        return True
    plays = session.exec(
        select(DeviceCommand.device_id, DeviceCommand.issued_at).where(
            DeviceCommand.name == "play_now",
            DeviceCommand.asset_sha256 == sha256,
            col(DeviceCommand.status).in_(_ON_AIR_STATUSES),
            col(DeviceCommand.issued_at) >= now - length - grace,
        )
    ).all()
    if not plays:
        return False
    stops = session.exec(
        select(DeviceCommand.device_id, DeviceCommand.issued_at).where(
            DeviceCommand.name == "stop",
            DeviceCommand.status == "succeeded",
            col(DeviceCommand.device_id).in_({device for device, _ in plays}),
            col(DeviceCommand.issued_at) >= min(issued for _, issued in plays),
        )
    ).all()
    return any(not any(d == device and at >= issued for d, at in stops) for device, issued in plays)


def _refuse_if_on_air(session: Session, message: StockMessage, *, now: datetime, grace: timedelta) -> None:
    if message.approved_sha256 is not None and on_air(session, message.approved_sha256, now=now, grace=grace):
        raise StockOnAir(f"stock message {message.key}/{message.language} is on air")


def approve(session: Session, message: StockMessage, *, by: str, now: datetime, grace: timedelta) -> int:
    """Put the draft into the library (by an admin other than its last editor); the library's new version."""
    if message.audio_sha256 is None:
        raise StockAudioMissing(f"stock message {message.key}/{message.language} has no audio")
    if message.changed_by == by:
        raise SelfApproval(f"{by} changed stock message {message.key}/{message.language} last")
    if message.audio_sha256 != message.approved_sha256:
        _refuse_if_on_air(session, message, now=now, grace=grace)
    message.approved_sha256, message.approved_title = message.audio_sha256, message.title
    message.approved_by, message.approved_at = by, now
    session.add(message)
    return bump_version(session)


def withdraw(session: Session, message: StockMessage, *, now: datetime, grace: timedelta) -> int:
    """Delete the message; nodes drop it with the library's next version (the new version)."""
    _refuse_if_on_air(session, message, now=now, grace=grace)
    session.delete(message)
    return bump_version(session)


def approved_stock_audio(session: Session, sha256s: set[str]) -> set[str]:
    """The hashes among `sha256s` that are the audio of an approved stock message (cleared everywhere)."""
    if not sha256s:
        return set()
    rows = session.exec(
        select(StockMessage.approved_sha256).where(col(StockMessage.approved_sha256).in_(sha256s))
    ).all()
    return {sha for sha in rows if sha is not None}


def approved_message(session: Session, key: str, language: str) -> tuple[StockMessage, AudioAsset]:
    """The approved copy of a message and its audio, for an emergency that names it."""
    message = find_message(session, key, language)
    asset = session.get(AudioAsset, message.approved_sha256) if message.approved_sha256 else None
    if asset is None:
        raise StockNotApproved(f"stock message {key}/{language} is not approved")
    return message, asset


def stock_url(sha256: str, codec: str) -> str:
    return f"/api/v1/node/stock/{sha256}.{codec}"


def library_etag(session: Session) -> str:
    """The library's ETag from its one row (the nodes' frequent 304 path reads nothing else).

    Every approval and withdrawal bumps the version and its time, so the pair names the content.
    """
    library = session.get(StockLibrary, 1)
    if library is None:
        return '"stock-0"'
    return f'"stock-{library.version}-{int(library.changed_at.timestamp() * 1000)}"'


def manifest(session: Session) -> tuple[StockManifest, str]:
    """The library as nodes receive it, and its ETag (`library_etag`)."""
    library = session.get(StockLibrary, 1)
    rows = session.exec(
        select(StockMessage, AudioAsset)
        .where(col(StockMessage.approved_sha256) == col(AudioAsset.sha256))
        .order_by(col(StockMessage.key), col(StockMessage.language))
    ).all()
    entries = tuple(
        StockEntry(
            key=message.key,
            language=message.language,
            title=message.approved_title[:300],
            sha256=asset.sha256,
            codec="mp3" if asset.codec == "mp3" else "opus",
            url=stock_url(asset.sha256, asset.codec),
            duration_ms=max(asset.duration_ms, 1),
        )
        for message, asset in rows
    )
    version = library.version if library is not None else 0
    generated_at = library.changed_at if library is not None else utc_now()
    return StockManifest(version=version, generated_at=generated_at, entries=entries), library_etag(session)
