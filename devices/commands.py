"""Commands to clusters, as the controller tracks them: one row per cluster, from sent to its outcome.

A command to one cluster goes to that device's `cmd` topic; a commune-wide one goes once to the
commune's `cmd` topic, with a row for every active cluster of the commune so each node's ack and
result are followed. Rows that see no result within `fleet.command_timeout_s` become `timed_out`.

A node can publish any ack or result on its own topics. An answer counts only from a device the
command was sent to (its own row) and in order: a result only after that device accepted the command.
Anything else changes nothing, is logged, and raises a `suspect_report` alert (`alarm`).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from audio_library.timestamps import UtcDateTime, utc_now
from devices.alerts import DeviceAlarm
from devices.command_signing import CommandSigner
from devices.errors import BrokerUnavailable
from devices.protocol import (
    CommandAck,
    CommandBody,
    CommandName,
    CommandResult,
    LiveSpec,
    PlaylistItem,
    ProtocolError,
    commune_command_topic,
    decode,
    device_command_topic,
    encode,
)
from devices.registry import Device

log = logging.getLogger(__name__)

CommandStatus = Literal["sent", "acked", "refused", "succeeded", "failed", "timed_out"]
# Still waiting for the node: the timeout sweep looks only at these.
OPEN_STATUSES: tuple[CommandStatus, ...] = ("sent", "acked")

Publish = Callable[[str, bytes], None]
# The two channels a node answers a command on.
AnswerKind = Literal["ack", "result"]


class DeviceCommand(SQLModel, table=True):
    """One command as one cluster sees it."""

    __tablename__ = "device_command"
    __table_args__ = (UniqueConstraint("command_id", "device_id", name="uq_device_command_command_device"),)

    id: int | None = Field(default=None, primary_key=True)
    # The id on the wire; a commune-wide command shares it across its clusters' rows.
    command_id: str = Field(index=True, max_length=64)
    device_id: int = Field(foreign_key="device.id", index=True)
    commune_code: str = Field(max_length=64)
    scope: str = Field(max_length=16)
    name: str = Field(max_length=32)
    parameters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # play_now only: the audio the node may then download (see the node audio endpoint).
    asset_sha256: str | None = Field(default=None, max_length=64, index=True)
    issued_by: str = Field(default="", max_length=64)
    issued_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime, index=True)
    status: str = Field(default="sent", max_length=16, index=True)
    reason: str | None = Field(default=None, max_length=32)
    detail: str = Field(default="", max_length=500)
    acked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


def new_command_body(
    name: CommandName,
    *,
    scope: Literal["device", "commune"],
    target: str,
    now: datetime,
    volume: int | None = None,
    item: PlaylistItem | None = None,
    live: LiveSpec | None = None,
    command_id: str | None = None,
) -> CommandBody:
    return CommandBody(
        command_id=command_id or uuid.uuid4().hex,
        name=name,
        scope=scope,
        target=target,
        issued_at=now,
        nonce=uuid.uuid4().hex,
        volume=volume,
        item=item,
        live=live,
    )


def awaits_play_now(session: Session, device: Device, asset_sha256: str) -> bool:
    """True while a play_now command for this device with this audio is still open (so it may fetch it)."""
    row = session.exec(
        select(DeviceCommand.id).where(
            DeviceCommand.device_id == device.id,
            DeviceCommand.asset_sha256 == asset_sha256,
            col(DeviceCommand.status).in_(OPEN_STATUSES),
        )
    ).first()
    return row is not None


class CommandCenter:
    """Signs and sends commands, stores their rows, ingests acks and results, and times them out."""

    def __init__(
        self,
        sessions: Callable[[], Session],
        signer: CommandSigner,
        publish: Publish | None,
        *,
        timeout_s: float,
        alarm: DeviceAlarm | None = None,
    ) -> None:
        self._sessions = sessions
        self.signer = signer
        self._publish = publish
        self.timeout = timedelta(seconds=timeout_s)
        self._alarm = alarm

    def issue(
        self, session: Session, body: CommandBody, devices: Sequence[Device], *, commune_code: str, issued_by: str
    ) -> list[DeviceCommand]:
        """Store one row per device, commit, then send. If the broker is unreachable the rows fail at once."""
        rows = []
        parameters = body.model_dump(mode="json", include={"volume", "item", "live"}, exclude_none=True)
        for device in devices:
            assert device.id is not None
            rows.append(
                DeviceCommand(
                    command_id=body.command_id,
                    device_id=device.id,
                    commune_code=commune_code,
                    scope=body.scope,
                    name=body.name,
                    parameters=parameters,
                    asset_sha256=body.item.asset_sha256 if body.item is not None else None,
                    issued_by=issued_by,
                    issued_at=body.issued_at,
                )
            )
        session.add_all(rows)
        session.commit()
        topic = device_command_topic(body.target) if body.scope == "device" else commune_command_topic(body.target)
        try:
            if self._publish is None:
                raise BrokerUnavailable("the controller has no broker connection")
            self._publish(topic, encode(self.signer.sign(body)))
        except BrokerUnavailable as exc:
            log.warning("command %s not sent: %s", body.command_id, exc)
            now = datetime.now(UTC)
            for row in rows:
                row.status, row.finished_at = "failed", now
                row.detail = "Không gửi được lệnh: máy chủ MQTT không phản hồi."
                session.add(row)
            session.commit()
        # The rows as they are now (some nodes may have answered already), in one query.
        return list(
            session.exec(
                select(DeviceCommand)
                .where(DeviceCommand.command_id == body.command_id)
                .order_by(col(DeviceCommand.id))
                .execution_options(populate_existing=True)
            )
        )

    def _suspect(self, session: Session, device: Device, what: str, detail: str) -> None:
        log.warning("device %s: %s; its status is unchanged", device.code, what)
        if self._alarm is not None:
            self._alarm(session, device, "suspect_report", detail)

    def on_ack(self, session: Session, device: Device, payload: bytes) -> None:
        """One ack (see `on_answers`)."""
        self.on_answers(session, [(device, "ack", payload)])

    def on_result(self, session: Session, device: Device, payload: bytes) -> None:
        """One result (see `on_answers`)."""
        self.on_answers(session, [(device, "result", payload)])

    def on_answers(self, session: Session, answers: Sequence[tuple[Device, AnswerKind, bytes]]) -> None:
        """Acks and results from nodes, in the order they arrived: one query finds their rows, one commit
        stores them all (an emergency brings one ack and one result from every cluster within seconds;
        a query and a commit each would make the controller, not the network, the slow part).

        An answer that does not decode is logged and dropped without touching the others.
        """
        decoded: list[tuple[Device, CommandAck | CommandResult]] = []
        for device, kind, payload in answers:
            try:
                answer: CommandAck | CommandResult = (
                    decode(CommandAck, payload) if kind == "ack" else decode(CommandResult, payload)
                )
                decoded.append((device, answer))
            except ProtocolError as exc:
                log.warning("device %s: invalid %s dropped: %s", device.code, kind, str(exc)[:300])
        if not decoded:
            return
        rows = self._rows(session, decoded)
        suspects: list[tuple[Device, str, str]] = []
        now = datetime.now(UTC)
        for device, answer in decoded:
            row = rows.get((answer.command_id, device.id))
            kind = "ack" if isinstance(answer, CommandAck) else "result"
            if row is None:
                suspects.append(
                    (
                        device,
                        f"{kind} for command {answer.command_id[:64]!r}, never sent to it",
                        f"(trả lời lệnh “{answer.command_id[:64]}” chưa từng gửi cho cụm loa này)",
                    )
                )
            elif isinstance(answer, CommandAck):
                self._take_ack(session, device, row, answer, now)
            else:
                suspect = self._take_result(session, device, row, answer, now)
                if suspect is not None:
                    suspects.append((device, *suspect))
        session.commit()
        for device, what, detail in suspects:
            self._suspect(session, device, what, detail)

    @staticmethod
    def _rows(
        session: Session, answers: Sequence[tuple[Device, CommandAck | CommandResult]]
    ) -> dict[tuple[str, int | None], DeviceCommand]:
        # Matched on the device too: a node can only ever answer for itself, and only what it was sent.
        command_ids = {answer.command_id for _, answer in answers}
        device_ids = {device.id for device, _ in answers}
        found = session.exec(
            select(DeviceCommand).where(
                col(DeviceCommand.command_id).in_(command_ids), col(DeviceCommand.device_id).in_(device_ids)
            )
        )
        return {(row.command_id, row.device_id): row for row in found}

    @staticmethod
    def _take_ack(session: Session, device: Device, row: DeviceCommand, ack: CommandAck, now: datetime) -> None:
        if row.status == "timed_out" and row.acked_at is None and ack.accepted:
            # The node got the command late (a slow link): its result may follow and still tells the truth.
            row.acked_at = now
            session.add(row)
            return
        if row.status != "sent":
            # Typically a replay of this command, refused by the node: the original outcome stands.
            if ack.reason == "replayed":
                log.warning("device %s refused a replayed copy of command %s", device.code, row.command_id)
            log.info(
                "device %s: ack %s for command %s (%s) noted only", device.code, ack.reason, row.command_id, row.status
            )
            return
        row.acked_at = now
        if ack.accepted:
            row.status = "acked"
        else:
            row.status, row.reason, row.finished_at = "refused", ack.reason or "malformed", now
            row.detail = f"Cụm loa từ chối lệnh ({ack.reason})."
        session.add(row)

    @staticmethod
    def _take_result(
        session: Session, device: Device, row: DeviceCommand, result: CommandResult, now: datetime
    ) -> tuple[str, str] | None:
        """Store a result; (what, detail) of a suspect answer instead, or None."""
        if row.status in ("succeeded", "failed"):
            # A QoS 1 redelivery of the result already stored: the first one stands.
            log.info("device %s: result for command %s (%s) ignored", device.code, row.command_id, row.status)
            return None
        if row.acked_at is None or row.status == "refused":
            # A result without the node first accepting the command: never how the agent answers
            # (it acks before it runs anything), so it does not decide what the operator sees.
            return (
                f"result for command {row.command_id} it had not accepted ({row.status})",
                f"(kết quả lệnh “{row.command_id}” khi cụm loa chưa nhận lệnh)",
            )
        # A late result still tells the operator what really happened, even after the timeout.
        row.status = "succeeded" if result.ok else "failed"
        row.detail = result.detail
        row.finished_at = now
        session.add(row)
        return None

    def sweep(self, now: datetime | None = None) -> int:
        """Mark commands with no result within the timeout as timed out; return how many."""
        now = now or datetime.now(UTC)
        with self._sessions() as session:
            rows = session.exec(
                select(DeviceCommand).where(
                    col(DeviceCommand.status).in_(OPEN_STATUSES), DeviceCommand.issued_at < now - self.timeout
                )
            ).all()
            for row in rows:
                row.status, row.finished_at = "timed_out", now
                row.detail = f"Cụm loa không báo kết quả sau {self.timeout.total_seconds():g} giây."
                session.add(row)
            session.commit()
        return len(rows)


class TimeoutSweeper:
    """Runs `CommandCenter.sweep` every `interval_s` in a daemon thread until stopped."""

    def __init__(self, center: CommandCenter, interval_s: float) -> None:
        self._center = center
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="command-timeouts", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self._center.sweep()
            except Exception:
                log.exception("command timeout sweep failed; next one in %.1f s", self._interval_s)


__all__ = [
    "OPEN_STATUSES",
    "CommandCenter",
    "CommandStatus",
    "DeviceCommand",
    "TimeoutSweeper",
    "awaits_play_now",
    "new_command_body",
]
