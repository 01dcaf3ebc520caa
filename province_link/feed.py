"""Pull mode: reading the feed of a source system that only publishes.

`GET {feed_url}?after=<cursor>` answers
`{"messages": [{"seq": 7, "body": "<a message's exact JSON text>", "signature": "<base64>"}], "cursor": 7}`
(`docs/source-link.md`). Each new message is checked with the source's key and taken as a pushed one is
(`province_link.intake.receive`, without the age check: a feed keeps old messages), in its own transaction
together with the cursor past it, so a crash between two messages loses nothing and takes none twice. A
message whose signature fails is kept as refused and passed over: one bad message never stops the feed.
A feed that cannot be read is tried again at the next poll, its reason kept on the source for staff.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session, col, select

from province_link.errors import ItemRefused, SourceNotAuthenticated
from province_link.intake import IntakeResult, receive, record_refused
from province_link.recording import RecordingLoader
from province_link.settings import SourceLinkSettings
from province_link.source import SourceSystem, verify_signature

log = logging.getLogger(__name__)


class FeedMessage(BaseModel):
    seq: int = Field(ge=1, le=2**62)
    body: str = Field(max_length=1024 * 1024)
    signature: str = Field(max_length=200)


class FeedPage(BaseModel):
    messages: list[FeedMessage] = Field(max_length=10_000)
    cursor: int = Field(ge=0, le=2**62)


class FeedUnreadable(Exception):
    """The feed could not be fetched or is not a feed page."""


Fetch = Callable[[str, int], bytes]


def http_fetch(settings: SourceLinkSettings) -> Fetch:
    """Fetch a feed page over HTTP(S), refusing a page larger than `max_feed_bytes`."""

    def fetch(url: str, after: int) -> bytes:
        try:
            with httpx.stream("GET", url, params={"after": after}, timeout=settings.fetch_timeout_s) as response:
                response.raise_for_status()
                data = bytearray()
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > settings.max_feed_bytes:
                        raise FeedUnreadable(f"feed page over {settings.max_feed_bytes} bytes")
                return bytes(data)
        except httpx.HTTPError as exc:
            raise FeedUnreadable(f"{type(exc).__name__}: {exc}") from exc

    return fetch


@dataclass(frozen=True)
class FeedHooks:
    """What the composition root does around each message taken: before its commit (audit) and after (publish),
    and how it stores an item's recording (None: items with a recording are refused)."""

    before_commit: Callable[[Session, SourceSystem, IntakeResult], None]
    after_commit: Callable[[Session, SourceSystem, IntakeResult], None]
    recordings: RecordingLoader | None = None


def pull_feed(
    sessions: Callable[[], Session], source_id: int, fetch: Fetch, hooks: FeedHooks, *, now: Callable[[], datetime]
) -> int:
    """Read one page of the source's feed and take its new messages; how many were taken."""
    with sessions() as session:
        source = session.get(SourceSystem, source_id)
        if source is None or not source.active or not source.feed_url:
            return 0
        url, cursor = source.feed_url, source.feed_cursor
    try:
        page = FeedPage.model_validate_json(fetch(url, cursor))
    except (FeedUnreadable, ValidationError) as exc:
        log.warning("source %s: feed %s unreadable: %s", source_id, url, str(exc)[:300])
        _note(sessions, source_id, f"Không đọc được nguồn tin: {str(exc)[:400]}", now())
        return 0
    taken = 0
    for message in sorted(page.messages, key=lambda m: m.seq):
        if message.seq <= cursor:
            continue
        with sessions() as session:
            source = session.get(SourceSystem, source_id, with_for_update=True)
            if source is None or source.feed_cursor >= message.seq:  # another controller took it meanwhile
                continue
            body = message.body.encode()
            result: IntakeResult | None = None
            try:
                verify_signature(source, message.signature, body)
                result = receive(session, source, body, now=now(), max_age=None, recordings=hooks.recordings)
                hooks.before_commit(session, source, result)
            except SourceNotAuthenticated as exc:
                refusal = ItemRefused(str(exc), message_vi="Chữ ký của bản tin trong nguồn tin không hợp lệ.")
                record_refused(session, source, body, refusal, now=now())
            except Exception as exc:  # one message that breaks the intake must not stop the feed behind it
                log.exception("source %s: feed message %d could not be taken", source_id, message.seq)
                session.rollback()
                source = session.get(SourceSystem, source_id, with_for_update=True)
                assert source is not None
                result = None
                refusal = ItemRefused(f"{type(exc).__name__}: {exc}"[:2000], message_vi="Lỗi khi nhận bản tin này.")
                record_refused(session, source, body, refusal, now=now())
            source.feed_cursor, source.feed_checked_at, source.feed_error = message.seq, now(), ""
            session.commit()
            if result is not None:
                try:
                    hooks.after_commit(session, source, result)
                except Exception:  # the message is taken; what follows (publishing, approval) is retried elsewhere
                    log.exception("source %s: after taking feed message %d", source_id, message.seq)
        taken += 1
    _note(sessions, source_id, "", now())
    return taken


def _note(sessions: Callable[[], Session], source_id: int, error: str, at: datetime) -> None:
    with sessions() as session:
        source = session.get(SourceSystem, source_id)
        if source is not None:
            source.feed_error, source.feed_checked_at = error[:500], at
            session.commit()


class FeedPoller:
    """Reads every active source's feed every `poll_interval_s`, in a daemon thread, until stopped."""

    def __init__(
        self,
        sessions: Callable[[], Session],
        settings: SourceLinkSettings,
        hooks: FeedHooks,
        *,
        fetch: Fetch | None = None,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._hooks = hooks
        self._fetch = fetch or http_fetch(settings)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="source-feeds", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def poll_once(self) -> int:
        """Read each feed once; how many messages were taken in all."""
        with self._sessions() as session:
            ids = session.exec(
                select(SourceSystem.id).where(col(SourceSystem.active), col(SourceSystem.feed_url).is_not(None))
            ).all()
        taken = 0
        for source_id in ids:
            if source_id is None:
                continue
            try:
                taken += pull_feed(self._sessions, source_id, self._fetch, self._hooks, now=lambda: datetime.now(UTC))
            except Exception:  # one source's failure must not stop the others (or the next poll)
                log.exception("source %s: reading its feed failed", source_id)
        return taken

    def _run(self) -> None:
        while not self._stop.wait(self._settings.poll_interval_s):
            try:
                self.poll_once()
            except Exception:
                log.exception("reading the source feeds failed; next try in %.0f s", self._settings.poll_interval_s)
