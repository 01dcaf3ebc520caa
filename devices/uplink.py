"""What the controller does with messages from nodes: connection state and proof of play."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from devices.proof_of_play import PlayRecord
from devices.protocol import DeviceChannel, NodeState, PlayReport, ProtocolError, decode, parse_device_topic
from devices.registry import Commune, Device

log = logging.getLogger(__name__)

# Handles one decoded-topic message from a known, active device, inside an open database session.
ChannelHandler = Callable[[Session, Device, bytes], None]


class UplinkHandler:
    """Called by the MQTT link for every message on a device uplink topic.

    A message that does not decode, or comes from an unknown or revoked device, is logged and dropped.
    """

    def __init__(self, session_factory: Callable[[], Session], *, retry_max_s: float = 5.0) -> None:
        self._session_factory = session_factory
        self._retry_max_s = retry_max_s
        self._channels: dict[DeviceChannel, ChannelHandler] = {
            "state": lambda session, device, payload: self._state(session, device, decode(NodeState, payload)),
            "play": lambda session, device, payload: self._play(session, device, decode(PlayReport, payload)),
        }

    def register(self, channel: DeviceChannel, handler: ChannelHandler) -> None:
        """Route a device channel (heartbeat, ack, result...) to `handler`; it may raise ProtocolError."""
        self._channels[channel] = handler

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
        while done < len(messages):
            try:
                with self._session_factory() as session:
                    devices = self._devices(session, messages[done:])
                    for topic, payload in messages[done:]:
                        self._handle(session, devices, topic, payload)
                        done += 1
            except OperationalError as exc:
                topic = messages[done][0]
                log.warning("database unavailable for %s, retrying in %.1f s: %s", topic[:200], delay, str(exc)[:200])
                time.sleep(delay)
                delay = min(delay * 2, self._retry_max_s)

    @staticmethod
    def _devices(session: Session, messages: Sequence[tuple[str, bytes]]) -> dict[str, Device]:
        codes = set()
        for topic, _ in messages:
            with contextlib.suppress(ProtocolError):
                codes.add(parse_device_topic(topic)[0])
        if not codes:
            return {}
        return {device.code: device for device in session.exec(select(Device).where(col(Device.code).in_(codes)))}

    def _handle(self, session: Session, devices: dict[str, Device], topic: str, payload: bytes) -> None:
        try:
            code, channel = parse_device_topic(topic)
            device = devices.get(code)
            if device is None or device.revoked_at is not None:
                log.warning("message from unknown or revoked device %r dropped", code)
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
        session.commit()

    def _play(self, session: Session, device: Device, report: PlayReport) -> None:
        commune = session.get(Commune, device.commune_id)
        if commune is None or commune.code != report.commune:
            log.warning("device %s reported play for commune %r, not its own; dropped", device.code, report.commune)
            return
        if session.exec(select(PlayRecord).where(PlayRecord.report_id == report.report_id)).first() is not None:
            return  # a retry of a report we already have
        assert device.id is not None
        delta = report.started_at - report.scheduled_start
        session.add(
            PlayRecord(
                report_id=report.report_id,
                device_id=device.id,
                commune_code=report.commune,
                playlist_version=report.playlist_version,
                item_id=report.item_id,
                asset_sha256=report.asset_sha256,
                played_sha256=report.played_sha256,
                scheduled_start=report.scheduled_start,
                started_at=report.started_at,
                ended_at=report.ended_at,
                start_error_ms=round(delta.total_seconds() * 1000),
                outcome=report.outcome,
                detail=report.detail,
            )
        )
        try:
            session.commit()
        except IntegrityError:
            session.rollback()  # the same report raced in through another controller instance
