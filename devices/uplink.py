"""What the controller does with messages from nodes: connection state and proof of play."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from devices.alerts import AlertKind, DeviceAlarm
from devices.identity_watch import IdentityWatch
from devices.proof_of_play import FLAG_LABELS, PlayRecord
from devices.protocol import (
    DeviceChannel,
    NodeState,
    PlayReport,
    ProtocolError,
    RelayCheck,
    decode,
    parse_device_topic,
)
from devices.registry import Commune, Device

log = logging.getLogger(__name__)

# Handles one decoded-topic message from a known, active device, inside an open database session.
ChannelHandler = Callable[[Session, Device, bytes], None]
# Handles all the messages of its channels in one batch at once, in arrival order, inside an open session;
# it drops what it cannot decode itself (command acks and results: `CommandCenter.on_answers`).
BatchChannelHandler = Callable[[Session, list[tuple[Device, Any, bytes]]], None]
# Why a play report is not proof of play (a FlagReason), or None: schedules/play_verification.py.
PlayCheck = Callable[[Session, Device, PlayReport], str | None]
# Told of each new proof of play (not a flagged report) in its own transaction, before the commit: what it
# adds is stored exactly when the play is (the source link's outbox).
PlayListener = Callable[[Session, Device, PlayRecord], None]


class UplinkHandler:
    """Called by the MQTT link for every message on a device uplink topic.

    A message that does not decode, or comes from an unknown or revoked device, is logged and dropped.
    A play report that does not match what the device was sent (`play_check`) is stored flagged, and
    `alarm` raises a `suspect_report` alert; births coming too fast (`identity_watch`) raise
    `identity_contested`.
    """

    def __init__(
        self,
        session_factory: Callable[[], Session],
        *,
        retry_max_s: float = 5.0,
        play_check: PlayCheck | None = None,
        identity_watch: IdentityWatch | None = None,
        alarm: DeviceAlarm | None = None,
        on_play: PlayListener | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._on_play = on_play
        self._retry_max_s = retry_max_s
        self._play_check = play_check
        self._identity_watch = identity_watch
        self._alarm = alarm
        self._batch_channels: dict[DeviceChannel, BatchChannelHandler] = {}
        self._channels: dict[DeviceChannel, ChannelHandler] = {
            "state": lambda session, device, payload: self._state(session, device, decode(NodeState, payload)),
            "play": lambda session, device, payload: self._play(session, device, decode(PlayReport, payload)),
            "relay": lambda session, device, payload: self._relay(session, device, decode(RelayCheck, payload)),
        }

    def register(self, channel: DeviceChannel, handler: ChannelHandler) -> None:
        """Route a device channel (heartbeat, ack, result...) to `handler`; it may raise ProtocolError."""
        self._channels[channel] = handler

    def register_batch(self, channels: Sequence[DeviceChannel], handler: BatchChannelHandler) -> None:
        """Route these channels to `handler`, called once per batch with all their messages (after the
        batch's other messages): for answers that come in thousands at once and are stored in one commit."""
        for channel in channels:
            self._batch_channels[channel] = handler

    def __call__(self, topic: str, payload: bytes) -> None:
        """Handle one message (see `handle_batch`)."""
        self.handle_batch([(topic, payload)])

    def handle_batch(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """Handle messages in order, in one database session with one lookup of their devices.

        While the database is unreachable, keep retrying from the first message not yet handled instead
        of dropping it: the broker gets its acknowledgements only when this returns, so blocking here
        holds the reports in the broker (and in the nodes' outboxes) until they are stored. A message
        handled twice after such a retry changes nothing (every handler is idempotent).
        """
        done = 0
        delay = 0.1
        deferred: dict[int, tuple[BatchChannelHandler, list[tuple[Device, Any, bytes]]]] = {}
        while True:
            try:
                with self._session_factory() as session:
                    devices = self._devices(session, messages[done:] if done < len(messages) else messages)
                    for topic, payload in messages[done:]:
                        self._handle(session, devices, topic, payload, deferred)
                        done += 1
                    while deferred:
                        key = next(iter(deferred))
                        self._handle_deferred(session, *deferred[key])
                        del deferred[key]
                return
            except OperationalError as exc:
                where = messages[done][0] if done < len(messages) else "command answers"
                log.warning("database unavailable for %s, retrying in %.1f s: %s", where[:200], delay, str(exc)[:200])
                time.sleep(delay)
                delay = min(delay * 2, self._retry_max_s)

    def _handle_deferred(
        self, session: Session, handler: BatchChannelHandler, batch: list[tuple[Device, Any, bytes]]
    ) -> None:
        try:
            handler(session, batch)
        except OperationalError:
            raise  # the database is away: handle_batch retries
        except Exception:
            # A bug in the batch handler: try its messages one by one, so one cannot cost the others.
            session.rollback()
            if len(batch) == 1:
                log.exception("%s message from %s could not be handled; dropped", batch[0][1], batch[0][0].code)
                return
            log.exception("%d messages could not be handled together; handling them one by one", len(batch))
            for one in batch:
                self._handle_deferred(session, handler, [one])

    @staticmethod
    def _devices(session: Session, messages: Sequence[tuple[str, bytes]]) -> dict[str, Device]:
        codes = set()
        for topic, _ in messages:
            with contextlib.suppress(ProtocolError):
                codes.add(parse_device_topic(topic)[0])
        if not codes:
            return {}
        return {device.code: device for device in session.exec(select(Device).where(col(Device.code).in_(codes)))}

    def _handle(
        self,
        session: Session,
        devices: dict[str, Device],
        topic: str,
        payload: bytes,
        deferred: dict[int, tuple[BatchChannelHandler, list[tuple[Device, Any, bytes]]]],
    ) -> None:
        try:
            code, channel = parse_device_topic(topic)
            device = devices.get(code)
            if device is None or device.revoked_at is not None:
                log.warning("message from unknown or revoked device %r dropped", code)
                return
            batch_handler = self._batch_channels.get(channel)
            if batch_handler is not None:
                deferred.setdefault(id(batch_handler), (batch_handler, []))[1].append((device, channel, payload))
                return
            handler = self._channels.get(channel)
            if handler is None:
                log.debug("no handler for %s messages; %r dropped", channel, code)
                return
            handler(session, device, payload)
        except ProtocolError as exc:
            session.rollback()  # whatever the handler had begun is not kept
            log.warning("invalid message on %s dropped: %s", topic[:200], str(exc)[:300])
        except OperationalError:
            raise  # the database is away: handle_batch retries from this message
        except Exception:
            # A bug in one handler must not cost the messages after it in the batch.
            session.rollback()
            log.exception("message on %s could not be handled; dropped", topic[:200])

    def _state(self, session: Session, device: Device, state: NodeState) -> None:
        # A last will from an older session must not mark a newer session offline. A birth is always
        # current (it comes over the live connection), even if the node lost its counter with its disk.
        if state.state == "offline" and state.session_seq < device.session_seq:
            return
        device.state = state.state
        device.session_seq = state.session_seq
        device.state_changed_at = datetime.now(UTC)
        if state.firmware:
            device.firmware = state.firmware
        session.add(device)
        if state.state != "online" or self._identity_watch is None:
            session.commit()
        else:
            assert device.id is not None
            # Stores the birth with the new state, in one commit.
            births = self._identity_watch.birth(session, device.id, state.session_seq, state.at)
            if births is not None:
                window = self._identity_watch.window_s
                log.warning(
                    "device %s: %d births within %.0f s, its identity is used twice", device.code, births, window
                )
                self._raise(
                    session,
                    device,
                    "identity_contested",
                    f"({births} lần kết nối lại trong {window:g} giây; hãy đổi mật khẩu của cụm loa.)",
                )

    def _raise(self, session: Session, device: Device, kind: AlertKind, detail: str) -> None:
        if self._alarm is not None:
            self._alarm(session, device, kind, detail)

    def _relay(self, session: Session, device: Device, check: RelayCheck) -> None:
        """A relay's source did not answer the node ahead of its slot: an alert for the commune's officers."""
        if check.reachable:
            log.info("device %s: relay source of %s answers again", device.code, check.item_id[:64])
            return
        log.warning("device %s: relay source %s unreachable: %s", device.code, check.url[:200], check.detail[:200])
        at = check.starts_at.isoformat(timespec="minutes")
        self._raise(
            session, device, "relay_unreachable", f"(mục “{check.item_id[:64]}” lúc {at}: {check.detail[:200]})"
        )

    def _play(self, session: Session, device: Device, report: PlayReport) -> None:
        if session.exec(select(PlayRecord).where(PlayRecord.report_id == report.report_id)).first() is not None:
            return  # a retry of a report we already have
        commune = session.get(Commune, device.commune_id)
        own_commune = commune.code if commune is not None else report.commune
        flag: str | None
        if own_commune != report.commune:
            flag = "other_commune"
        else:
            flag = self._play_check(session, device, report) if self._play_check is not None else None
        detail = report.detail
        if flag == "other_commune":
            # Filed under the cluster's own commune, never in the listing of the commune it names.
            detail = f"[xã {report.commune}] {detail}"[:500]
        assert device.id is not None
        delta = report.started_at - report.scheduled_start
        record = PlayRecord(
            report_id=report.report_id,
            device_id=device.id,
            commune_code=own_commune,
            playlist_version=report.playlist_version,
            item_id=report.item_id,
            asset_sha256=report.asset_sha256,
            played_sha256=report.played_sha256,
            scheduled_start=report.scheduled_start,
            started_at=report.started_at,
            ended_at=report.ended_at,
            start_error_ms=round(delta.total_seconds() * 1000),
            outcome=report.outcome,
            detail=detail,
            flag_reason=flag,
            relayed_ms=report.relayed_ms,
            interruptions=(
                [i.model_dump(mode="json") for i in report.interruptions] if report.interruptions is not None else None
            ),
        )
        session.add(record)
        try:
            if flag is None and self._on_play is not None:
                session.flush()
                self._on_play(session, device, record)
            session.commit()
        except IntegrityError:
            session.rollback()  # the same report raced in through another controller instance
            return
        if flag is not None:
            log.warning(
                "device %s: play report %s (item %r at %s, audio %s) is not proof of play: %s",
                device.code,
                report.report_id,
                report.item_id[:64],
                report.scheduled_start.isoformat(),
                report.asset_sha256[:16],
                flag,
            )
            label = FLAG_LABELS.get(flag, flag)
            self._raise(session, device, "suspect_report", f"(báo cáo phát “{report.item_id[:64]}”: {label})")
