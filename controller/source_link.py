"""Wiring the source link (`province_link`) into the controller: audit and republication around each item
taken, pushed (`controller.api.source_link`) or pulled from a feed (the poller started with the app)."""

from __future__ import annotations

from sqlmodel import Session

from controller import audit
from controller.accounts import User
from controller.bulletin_workflow import communes_scheduling
from controller.services import Services
from devices.command_signing import CommandSigner
from devices.registry import Commune
from province_link import FeedHooks, FeedPoller, IntakeResult, OutboxSender, SourceSystem


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


def start_feed_poller(services: Services) -> FeedPoller:
    hooks = FeedHooks(
        before_commit=audit_intake,
        after_commit=lambda session, result: republish_off_air(services, session, result),
    )
    poller = FeedPoller(services.sessions, services.settings.source_link, hooks)
    poller.start()
    return poller


def report_signer(services: Services) -> CommandSigner:
    """loaxa's key for what it sends upstream; its own file, apart from the command-signing key nodes trust."""
    return CommandSigner.load_or_create(services.settings.source_link.signing_key_file)


def start_report_sender(services: Services) -> OutboxSender:
    sender = OutboxSender(services.sessions, services.settings.source_link, report_signer(services))
    sender.start()
    return sender
