"""Stock messages from draft to every node: audio, approval, the library's announcement."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from audio_library import BroadcastAudio, save_asset, save_broadcast
from audio_library.tone import silent_tone
from controller import audit
from controller.accounts import User
from controller.services import Services
from devices.errors import BrokerUnavailable
from devices.protocol import StockNotice, commune_stock_topic, encode
from devices.registry import Commune
from schedules.errors import StockNeedsRecording
from schedules.stock_message import (
    STOCK_KEYS,
    TEST_TONE_KEY,
    StockMessage,
    approve,
    attach_audio,
    find_message,
    get_language,
    manifest,
    save_draft,
    withdraw,
)
from tts.errors import NoSpeechEngine
from tts.speech_asset import RenderedSpeech, SpeechRequest

log = logging.getLogger(__name__)

# How long the silent test tone lasts: long enough to see a cluster report it on air, short enough to
# take no airtime worth mentioning.
TEST_TONE_S = 3.0

# What the demo and a new installation start with (title, text), in Vietnamese; the test tone in every
# language. Khmer messages need a recording read by a person (no offline engine speaks Khmer), so the
# seed leaves them to the admin.
DEFAULT_LIBRARY: dict[str, tuple[str, str]] = {
    "storm": (
        "Cảnh báo bão",
        "Thông báo khẩn: bão đang tiến gần địa phương. Bà con chằng chống nhà cửa, "
        "không ra khơi, không ra ngoài khi không cần thiết, và theo dõi thông báo của chính quyền xã.",
    ),
    "flood": (
        "Cảnh báo lũ lụt",
        "Thông báo khẩn: nước lũ đang lên nhanh. Bà con ở vùng trũng, ven sông kê cao tài sản, "
        "đưa người già và trẻ em đến nơi an toàn, không qua sông suối và ngầm tràn.",
    ),
    "fire": (
        "Cảnh báo cháy",
        "Thông báo khẩn: đang có cháy trên địa bàn. Bà con tránh xa khu vực cháy, "
        "nhường đường cho xe chữa cháy, và gọi số một trăm mười bốn khi phát hiện đám cháy.",
    ),
    "evacuation": (
        "Lệnh sơ tán",
        "Lệnh sơ tán khẩn cấp: bà con trong vùng nguy hiểm di chuyển ngay đến điểm sơ tán của xã "
        "theo hướng dẫn của lực lượng chức năng. Mang theo giấy tờ, thuốc men và nước uống.",
    ),
    "all_clear": (
        "Thông báo hết nguy hiểm",
        "Thông báo: tình trạng nguy hiểm đã qua. Bà con có thể trở về nhà, "
        "kiểm tra điện, nước trước khi sử dụng, và báo cho chính quyền xã những thiệt hại.",
    ),
    TEST_TONE_KEY: ("Phát thử không tiếng", ""),
}

# Speaks a request with the controller's renderer (async) from synchronous code: the API's worker threads
# use anyio.from_thread, the command line asyncio.run.
Speak = Callable[[SpeechRequest], RenderedSpeech]


def _grace(services: Services) -> timedelta:
    return timedelta(seconds=services.settings.fleet.command_timeout_s)


def announce_library(services: Services) -> None:
    """Tell every commune's nodes the library's version (retained, so a node connecting later learns it).

    A failure is logged, not raised: the change is stored and nodes also poll for it.
    """
    if services.link is None:
        return
    with services.sessions() as session:
        library, etag = manifest(session)
        codes = list(session.exec(select(Commune.code)))
    notice = encode(StockNotice(version=library.version, etag=etag, issued_at=datetime.now(UTC)))
    try:
        for code in codes:
            services.link.publish(commune_stock_topic(code), notice, retain=True)
    except BrokerUnavailable as exc:
        log.warning("stock library notice v%d not sent, nodes will poll: %s", library.version, exc)


def make_audio(services: Services, user: User | None, key: str, language: str, speak: Speak) -> StockMessage:
    """The draft's audio made by the controller: speech of its text, or the silent tone for the test key.

    A language no offline engine reads (Khmer) fails with `StockNeedsRecording` when no engine could
    speak it: an admin uploads a recording instead. `speak` runs the async renderer from here.
    """
    with services.sessions() as session:
        message = find_message(session, key, language)
        offline = get_language(session, language).offline_speech
        text = message.text
    if key == TEST_TONE_KEY:
        with services.sessions() as session:
            asset = save_asset(
                session, services.store, silent_tone(services.settings.audio, TEST_TONE_S), source="system"
            )
            session.commit()
            sha256, source = asset.sha256, "tone"
    else:
        request = SpeechRequest(text=text, language="km" if language == "km" else "vi")
        if language not in ("vi", "km"):
            raise StockNeedsRecording(f"no speech engine for {language}")
        try:
            rendered = speak(request)
        except NoSpeechEngine as exc:
            if not offline:
                raise StockNeedsRecording(f"no engine speaks {language}: {exc}") from exc
            raise
        sha256, source = rendered.asset_sha256, "speech"
    return _attach(services, user, key, language, sha256, source)


def store_recording(
    services: Services, user: User | None, key: str, language: str, audio: BroadcastAudio
) -> StockMessage:
    """An uploaded recording (already through the broadcast chain) becomes the draft's audio."""
    with services.sessions() as session:
        find_message(session, key, language)
        asset = save_broadcast(session, services.store, audio, source="upload")
        session.commit()
        sha256 = asset.sha256
    return _attach(services, user, key, language, sha256, "upload")


def _attach(services: Services, user: User | None, key: str, language: str, sha256: str, source: str) -> StockMessage:
    with services.sessions() as session:
        message = find_message(session, key, language)
        attach_audio(message, sha256, source, by=user.username if user is not None else "")
        audit.record(session, user, "stock.audio", f"stock:{key}/{language}", f"{source} {sha256}")
        session.commit()
        session.refresh(message)
        session.expunge(message)
        return message


def approve_message(session: Session, services: Services, user: User, key: str, language: str) -> StockMessage:
    """Approve the draft into the library, and announce the library's new version to every node."""
    message = find_message(session, key, language)
    version = approve(session, message, by=user.username, now=datetime.now(UTC), grace=_grace(services))
    audit.record(session, user, "stock.approve", f"stock:{key}/{language}", f"v{version} {message.approved_sha256}")
    session.commit()
    session.refresh(message)
    announce_library(services)
    return message


def withdraw_message(session: Session, services: Services, user: User, key: str, language: str) -> int:
    """Remove a message from the library (and its draft); the library's new version."""
    message = find_message(session, key, language)
    version = withdraw(session, message, now=datetime.now(UTC), grace=_grace(services))
    audit.record(session, user, "stock.withdraw", f"stock:{key}/{language}", f"v{version}")
    session.commit()
    announce_library(services)
    return version


def seed_default_library(services: Services, speak: Speak, *, languages: tuple[str, ...] = ("vi",)) -> int:
    """Put the default Vietnamese library (espeak-ng speech, the ffmpeg test tone) in, approved.

    For a new installation and the demo: shipped content, approved by the installation itself (audited
    as the command line's), like the migration's seed data. Messages that exist are left as they are.
    Returns how many were added.
    """
    added = 0
    for language in languages:
        for key, (title, text) in DEFAULT_LIBRARY.items():
            with services.sessions() as session:
                exists = session.exec(
                    select(StockMessage.id).where(StockMessage.key == key, StockMessage.language == language)
                ).first()
                if exists is not None:
                    continue
                save_draft(session, key, language, title=title or STOCK_KEYS[key], text=text, by="")
                session.commit()
            make_audio(services, None, key, language, speak)
            with services.sessions() as session:
                message = find_message(session, key, language)
                approve(session, message, by="loaxa-seed", now=datetime.now(UTC), grace=_grace(services))
                audit.record(session, None, "stock.seed", f"stock:{key}/{language}", str(message.approved_sha256))
                session.commit()
            added += 1
    if added:
        announce_library(services)
    return added
