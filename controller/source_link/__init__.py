"""Wiring the source link (`province_link`) into the controller: audit and republication around each item
taken, pushed (`controller.api.source_link`) or pulled from a feed (the poller started with the app).
CAP alerts taken and aired: `cap_alerts`; their commands: `cli_cap`."""

from __future__ import annotations

import asyncio
import logging

from sqlmodel import Session

from audio_library import InvalidAudio, save_broadcast
from controller import audit
from controller.accounts import User
from controller.bulletin_workflow import bulletin_speech, communes_scheduling, process_recording, scheduled_anywhere
from controller.services import Services
from devices.command_signing import CommandSigner
from devices.registry import Commune
from province_link import (
    FeedHooks,
    FeedPoller,
    IntakeResult,
    ItemAudio,
    ItemRefused,
    OutboxSender,
    RecordingLoader,
    SourceSystem,
    fetch_recording,
    housekeeping,
    still_as_signed,
)
from schedules import AudioSource, approve_at_source
from tts.errors import TtsError

log = logging.getLogger(__name__)


def recording_loader(services: Services) -> RecordingLoader:
    """How an item's recording is stored: fetched and checked (`province_link.fetch_recording`), then through
    the same broadcast chain as an officer's upload (trim, high-pass, loudness), within `audio.upload_max_bytes`."""

    def load(session: Session, audio: ItemAudio) -> str:
        settings = services.settings
        data = fetch_recording(
            audio, max_bytes=settings.audio.upload_max_bytes, timeout_s=settings.source_link.recording_timeout_s
        )
        try:
            processed = process_recording(services, data)
        except InvalidAudio as exc:  # not audio, a format nobody uploads, too long: the sender hears why
            raise ItemRefused(
                f"recording at {audio.url[:300]}: {exc.detail or exc.code}"[:2000],
                message_vi=f"Tệp ghi âm kèm bản tin không dùng được: {exc.message_vi}",
            ) from exc
        return save_broadcast(session, services.store, processed, source="upload").sha256

    return load


def audit_intake(session: Session, source: SourceSystem, result: IntakeResult) -> None:
    """An audit entry for an item that changed something, written by the source's service account."""
    receipt = result.receipt
    if receipt is None or receipt.duplicate:
        return
    audit.record(
        session,
        session.get(User, source.author_id),
        "source.item",
        f"source:{source.code} item {receipt.item_id}",
        f"version {receipt.version} {receipt.status}; bulletins {receipt.bulletin_ids}",
    )


def republish_off_air(services: Services, session: Session, result: IntakeResult) -> None:
    """After the commit: the playlists of the communes where a bulletin that lost its approval was scheduled."""
    communes: dict[int | None, Commune] = {}
    for bulletin in result.off_air:
        communes.update({c.id: c for c in communes_scheduling(session, bulletin)})
    if communes:
        services.publish_each(session, list(communes.values()))


def approve_from_source(services: Services, session: Session, source: SourceSystem, result: IntakeResult) -> None:
    """After the commit: approve the bulletins a named approver signed at the source, once their speech exists.

    The province chose (audited, `PUT /source-systems/{code}/approval`) that this approver's signature
    counts as approval. Speech that cannot be made now leaves the bulletin pending for loaxa's approvers.
    Runs in a plain thread (the push route's worker or the feed poller), so the renderer gets its own loop.
    """
    if result.approved_by is None:
        return
    author = session.get(User, source.author_id)
    republish: dict[int | None, Commune] = {}
    for pending in result.to_approve:
        signed = result.signed.get(pending.id or 0)
        bulletin = still_as_signed(session, pending.id or 0, signed) if signed is not None else None
        session.commit()  # release the lock while the speech is made (seconds)
        if bulletin is None or signed is None:
            log.info(
                "bulletin %s changed since %s signed it: left for loaxa's approvers", pending.id, result.approved_by
            )
            continue
        if bulletin.audio_source == AudioSource.RECORDING and bulletin.audio_sha256 is not None:
            audio_sha256, spoken = bulletin.audio_sha256, ""  # the signed recording, aired as it is
        else:
            try:
                rendered = asyncio.run(services.speech.render(bulletin_speech(session, services, bulletin)))
            except TtsError as exc:
                log.warning("bulletin %s approved at source %s, but no speech yet: %s", bulletin.id, source.code, exc)
                continue
            audio_sha256, spoken = rendered.asset_sha256, rendered.spoken_text
        # Checked again under a lock: the speech was made from the signed text, and nothing changed meanwhile.
        bulletin = still_as_signed(session, bulletin.id or 0, signed)
        if bulletin is None:
            session.rollback()
            continue
        bulletin.spoken_text = spoken
        approve_at_source(bulletin, result.approved_by, audio_sha256)
        audit.record(
            session,
            author,
            "source.approve",
            f"bulletin:{bulletin.id} «{bulletin.title[:120]}»",
            f"approved at source {source.code} by {result.approved_by}; audio {audio_sha256}",
        )
        session.commit()
        if scheduled_anywhere(session, bulletin):
            republish.update({c.id: c for c in communes_scheduling(session, bulletin)})
    if republish:
        services.publish_each(session, list(republish.values()))


def after_intake(services: Services, session: Session, source: SourceSystem, result: IntakeResult) -> None:
    """Everything that follows a committed intake: playlists of what went off air, approvals at the source."""
    republish_off_air(services, session, result)
    approve_from_source(services, session, source, result)


def start_feed_poller(services: Services) -> FeedPoller:
    hooks = FeedHooks(
        before_commit=audit_intake,
        after_commit=lambda session, source, result: after_intake(services, session, source, result),
        recordings=recording_loader(services),
    )
    poller = FeedPoller(services.sessions, services.settings.source_link, hooks)
    poller.start()
    return poller


def report_signer(services: Services) -> CommandSigner:
    """loaxa's key for what it sends upstream; its own file, apart from the command-signing key nodes trust."""
    return CommandSigner.load_or_create(services.settings.source_link.signing_key_file)


def start_report_sender(services: Services) -> OutboxSender:
    settings = services.settings.source_link
    sender = OutboxSender(services.sessions, settings, report_signer(services), housekeeping=housekeeping(settings))
    sender.start()
    return sender
