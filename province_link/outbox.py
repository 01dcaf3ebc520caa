"""Results out: what loaxa tells the province's source systems, through an outbox in the database.

A report is a row of `source_outbox`, written in the same transaction as the change it reports (a proof of
play: `enqueue_play`, which the uplink calls before it commits the play), so a report exists exactly when
its change does. `OutboxSender` posts waiting reports in batches to each source's `report_url`, signed with
loaxa's own key, and marks a report sent only when the source acknowledges its id; the rest are tried
again after `retry_min_s`, doubling up to `retry_max_s`. A report being sent is leased, not locked: a
controller killed between sending and marking sends it again once the lease ends, and the source keeps
reports by id, so nothing is lost or doubled. Wire format: `docs/source-link.md`, "Results out".

Reports about a *subject* (a station, a cluster, a bulletin: `report`) coalesce. Each report of a subject
has its own id, `<subject>:<UTC time of the state, to the microsecond>`, never reused (a source keeps ids
forever, so a reused id would be dropped as a duplicate). While a subject's newest row has not been
offered to a sender (`offered_at` null), a newer state rewrites that row (its id, body and time) instead of
adding one: an upstream down for hours gets one report per subject, with the latest state. Once a sender
took the row, its body is frozen (the source may already hold it under that id) and the next change adds a
new row. The rewrite is a conditional UPDATE (`WHERE offered_at IS NULL`), so a sender leasing the row at
the same moment makes the writer add a new row instead of changing what is being sent.
Acknowledged rows are deleted after `report_retention_days` (`prune`); waiting ones are never deleted.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Text, delete, insert, update
from sqlmodel import Field, Session, SQLModel, UniqueConstraint, col, or_, select

from audio_library import AudioAsset
from audio_library.timestamps import UtcDateTime, utc_now
from devices.command_signing import CommandSigner
from devices.proof_of_play import PlayRecord
from devices.registry import Commune, Device
from province_link.item import SourceItemBulletin, SourceItemRecord
from province_link.settings import SourceLinkSettings
from province_link.source import SIGNATURE_HEADER, SourceSystem
from schedules.bulletin import Bulletin, airs_in

log = logging.getLogger(__name__)

KEY_ID_HEADER = "X-Loaxa-Key-Id"


class OutboxMessage(SQLModel, table=True):
    """One report waiting for (or acknowledged by) one source system."""

    __tablename__ = "source_outbox"
    __table_args__ = (UniqueConstraint("source_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source_system.id", index=True)
    kind: str = Field(max_length=16, description="play, station, cluster or bulletin")
    key: str = Field(max_length=100, description="The message id on the wire; one per change and source.")
    # What the report is about ("cluster:<code>", "station:<code>", "bulletin:<id>"), for coalescing;
    # None for reports that never coalesce (proof of play).
    subject: str | None = Field(default=None, max_length=100, index=True)
    # When a sender first took it to send; from then on its body is frozen (see the module's docstring).
    offered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    body: str = Field(sa_type=Text, description="The message as JSON, built when the change was made.")
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UtcDateTime, index=True)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime, index=True)
    last_error: str = Field(default="", max_length=500)


def enqueue(session: Session, province_id: int, kind: str, key: str, payload: dict[str, Any], *, now: datetime) -> int:
    """Add the report for every active source of the province that takes reports; how many were added."""
    sources = session.exec(
        select(SourceSystem).where(
            SourceSystem.province_id == province_id,
            col(SourceSystem.active),
            col(SourceSystem.report_url).is_not(None),
        )
    ).all()
    message = json.dumps({"id": key, "kind": kind, "created_at": now.isoformat(), kind: payload}, ensure_ascii=False)
    for source in sources:
        assert source.id is not None
        session.add(OutboxMessage(source_id=source.id, kind=kind, key=key, body=message, next_attempt_at=now))
    return len(sources)


def reporting_sources(session: Session, province_id: int) -> list[int]:
    """The ids of the province's active sources that take reports."""
    found = session.exec(
        select(SourceSystem.id).where(
            SourceSystem.province_id == province_id,
            col(SourceSystem.active),
            col(SourceSystem.report_url).is_not(None),
        )
    ).all()
    return [source_id for source_id in found if source_id is not None]


def report(
    session: Session, province_id: int, kind: str, subject: str, payload: dict[str, Any], *, now: datetime
) -> int:
    """The subject's newest state, for every source of the province that takes reports; how many sources.

    Written with plain SQL statements in the caller's transaction, so it may run inside a flush
    (`province_link.change_report`).
    """
    sources = reporting_sources(session, province_id)
    for source_id in sources:
        put(session, source_id, kind, subject, payload, now=now)
    return len(sources)


def report_key(subject: str, now: datetime) -> str:
    """The wire id of a subject's report made at `now`: `cluster:LOA-1:20261203T081501123456Z`."""
    return f"{subject}:{now.astimezone(UTC).strftime('%Y%m%dT%H%M%S%fZ')}"


def put(session: Session, source_id: int, kind: str, subject: str, payload: dict[str, Any], *, now: datetime) -> None:
    """Replace the subject's unsent, not yet offered report to this source, or add a new one."""
    key = report_key(subject, now)
    body = json.dumps(
        {"id": key, "kind": kind, "subject": subject, "created_at": now.isoformat(), kind: payload},
        ensure_ascii=False,
    )
    pending = session.exec(
        select(OutboxMessage.id).where(
            OutboxMessage.source_id == source_id,
            OutboxMessage.subject == subject,
            col(OutboxMessage.sent_at).is_(None),
            col(OutboxMessage.offered_at).is_(None),
        )
    ).first()
    if pending is not None:
        rewritten = session.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.id) == pending,
                col(OutboxMessage.sent_at).is_(None),
                col(OutboxMessage.offered_at).is_(None),
            )
            .values(key=key, body=body, created_at=now, next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(rewritten, "rowcount", 0):
            return
    session.execute(
        insert(OutboxMessage).values(
            source_id=source_id,
            kind=kind,
            key=key,
            subject=subject,
            body=body,
            created_at=now,
            attempts=0,
            next_attempt_at=now,
            last_error="",
        )
    )


def prune(session: Session, *, before: datetime) -> int:
    """Delete reports acknowledged before `before`; the caller commits. How many."""
    result = session.execute(
        delete(OutboxMessage)
        .where(col(OutboxMessage.sent_at).is_not(None), col(OutboxMessage.sent_at) < before)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def enqueue_play(session: Session, device: Device, record: PlayRecord) -> None:
    """Report a proof of play to the province's sources, with the bulletin and the source's item it aired."""
    commune = session.exec(select(Commune).where(Commune.code == record.commune_code)).first()
    if commune is None or commune.id is None or not _takes_reports(session, commune.province_id):
        return
    bulletin = _bulletin_of(session, commune, record.asset_sha256)
    source_item = None
    if bulletin is not None:
        source_item = session.exec(
            select(SourceItemRecord)
            .join(SourceItemBulletin, col(SourceItemBulletin.source_item_id) == col(SourceItemRecord.id))
            .where(SourceItemBulletin.bulletin_id == bulletin.id)
        ).first()
    payload = {
        "commune": commune.code,
        "cluster": device.code,
        "item_id": record.item_id,
        "title": bulletin.title if bulletin is not None else "",
        "bulletin_id": bulletin.id if bulletin is not None else None,
        "source_item": {"id": source_item.external_id, "version": source_item.version} if source_item else None,
        "scheduled_start": record.scheduled_start.isoformat(),
        "started_at": record.started_at.isoformat(),
        "ended_at": record.ended_at.isoformat(),
        "duration_ms": max(0, round((record.ended_at - record.started_at).total_seconds() * 1000)),
        "outcome": record.outcome,
    }
    enqueue(session, commune.province_id, "play", f"play:{record.report_id}", payload, now=utc_now())


def _takes_reports(session: Session, province_id: int) -> bool:
    """Whether any active source of the province takes reports (most plays then cost nothing more)."""
    found = session.exec(
        select(SourceSystem.id).where(
            SourceSystem.province_id == province_id,
            col(SourceSystem.active),
            col(SourceSystem.report_url).is_not(None),
        )
    ).first()
    return found is not None


def _bulletin_of(session: Session, commune: Commune, sha256: str) -> Bulletin | None:
    """The bulletin of the commune (or its province) whose audio, or its MP3 rendition, this is."""
    assert commune.id is not None
    primary = list(session.exec(select(AudioAsset.sha256).where(AudioAsset.mp3_sha256 == sha256)).all())
    candidates = session.exec(
        select(Bulletin)
        .where(or_(col(Bulletin.audio_sha256) == sha256, col(Bulletin.audio_sha256).in_(primary)))
        .order_by(col(Bulletin.id).desc())
    )
    return next((b for b in candidates if airs_in(b, commune.id, commune.province_id)), None)


class ReportNotDelivered(Exception):
    """The source did not answer with an acknowledgement."""


# (url, body, headers) -> the ids the source acknowledged.
Post = Callable[[str, bytes, dict[str, str]], list[str]]


def http_post(timeout_s: float) -> Post:
    def post(url: str, body: bytes, headers: dict[str, str]) -> list[str]:
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=timeout_s)
            response.raise_for_status()
            acked = response.json().get("acked")
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            raise ReportNotDelivered(f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(acked, list):
            raise ReportNotDelivered("the answer has no `acked` list")
        return [str(a) for a in acked]

    return post


class OutboxSender:
    """Sends waiting reports every `report_interval_s`, in a daemon thread, until stopped."""

    def __init__(
        self,
        sessions: Callable[[], Session],
        settings: SourceLinkSettings,
        signer: CommandSigner,
        *,
        post: Post | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        housekeeping: Callable[[Session, datetime], object] | None = None,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._signer = signer
        self._post = post or http_post(settings.report_timeout_s)
        self._clock = clock
        # Run every `housekeeping_interval_s` before sending (snapshots due, pruning: `fleet_report.housekeeping`).
        self._housekeeping = housekeeping
        self._housekept_at: datetime | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="source-reports", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def send_once(self) -> int:
        """One batch to each source with reports due; how many reports were acknowledged."""
        with self._sessions() as session:
            due = session.exec(
                select(OutboxMessage.source_id)
                .where(col(OutboxMessage.sent_at).is_(None), OutboxMessage.next_attempt_at <= self._clock())
                .distinct()
            ).all()
        return sum(self._send_to(source_id) for source_id in due)

    def _backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self._settings.retry_max_s, self._settings.retry_min_s * 2 ** min(attempts, 30)))

    def _send_to(self, source_id: int) -> int:
        settings = self._settings
        now = self._clock()
        with self._sessions() as session:
            source = session.get(SourceSystem, source_id)
            if source is None or not source.active or not source.report_url:
                return 0
            url = source.report_url
            rows = session.exec(
                select(OutboxMessage)
                .where(
                    OutboxMessage.source_id == source_id,
                    col(OutboxMessage.sent_at).is_(None),
                    OutboxMessage.next_attempt_at <= now,
                )
                .order_by(col(OutboxMessage.id))
                .limit(settings.report_batch_max)
                .with_for_update(skip_locked=True)
            ).all()
            # A lease: another controller leaves these alone while this one sends them. httpx's timeout is per
            # phase (connect, write, read), so a slow request may last about three of them.
            lease = now + timedelta(seconds=3 * settings.report_timeout_s + settings.retry_min_s)
            for row in rows:
                row.next_attempt_at = lease
                row.offered_at = row.offered_at or now  # its body is frozen from now on
            batch = [(row.id, row.key, row.body) for row in rows]
            session.commit()
        if not batch:
            return 0
        body = (
            '{"link_version": 1, "sender": "loaxa", "sent_at": '
            + json.dumps(now.isoformat())
            + ', "messages": ['
            + ", ".join(text for _, _, text in batch)
            + "]}"
        ).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: self._signer.sign_bytes(body),
            KEY_ID_HEADER: self._signer.key_id,
        }
        try:
            acked = set(self._post(url, body, headers))
            error = "" if acked else "không có báo nhận"
        except ReportNotDelivered as exc:
            log.warning("reports to source %s not delivered: %s", source_id, str(exc)[:300])
            acked, error = set(), str(exc)
        done = self._clock()
        with self._sessions() as session:
            for row_id, key, _ in batch:
                sent = session.get(OutboxMessage, row_id)
                if sent is None or sent.sent_at is not None:
                    continue
                if key in acked:
                    sent.sent_at = done
                else:
                    sent.attempts += 1
                    sent.next_attempt_at = done + self._backoff(sent.attempts - 1)
                    sent.last_error = (error or "không có báo nhận")[:500]
            session.commit()
        return sum(1 for _, key, _ in batch if key in acked)

    def housekeep(self) -> None:
        """Run the housekeeping if its interval has passed since the last run."""
        now = self._clock()
        every = timedelta(seconds=self._settings.housekeeping_interval_s)
        if self._housekeeping is None or (self._housekept_at is not None and now - self._housekept_at < every):
            return
        self._housekept_at = now
        with self._sessions() as session:
            self._housekeeping(session, now)

    def _run(self) -> None:
        while not self._stop.wait(self._settings.report_interval_s):
            try:
                self.housekeep()
                self.send_once()
            except Exception:  # a database hiccup must not end the sender; the reports wait in the outbox
                log.exception("sending reports failed; next try in %.1f s", self._settings.report_interval_s)
