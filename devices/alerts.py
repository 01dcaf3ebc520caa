"""Alerts: stored in the app, de-duplicated, resolved when their cause clears, and sent to a webhook.

De-duplication: `open_key` ("<kind>:<subject>") is unique while the alert is open and NULL once it is
resolved, so there is at most one open alert per kind per cluster (or commune), even with several
controller instances sweeping at once: the second INSERT fails on the constraint and is dropped.
`key` stays set forever, for event alerts (failed to play) that must never be raised twice.

Only the instance whose INSERT succeeded sends the webhook, so a receiver gets each alert once.
The webhook runs on its own thread behind a bounded queue: ingest and the sweep never wait for it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Literal

import httpx
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from audio_library.timestamps import UtcDateTime

if TYPE_CHECKING:
    from devices.registry import Device

log = logging.getLogger(__name__)

AlertKind = Literal[
    "offline",
    "amplifier_fault",
    "speaker_line",
    "low_storage",
    "clock_drift",
    "high_temperature",
    "failed_to_play",
    "commune_down",
    "suspect_report",
    "identity_contested",
    "relay_unreachable",
]
Severity = Literal["critical", "warning"]

SEVERITY: dict[str, Severity] = {
    "offline": "critical",
    "amplifier_fault": "critical",
    "speaker_line": "critical",
    "commune_down": "critical",
    "failed_to_play": "critical",
    "identity_contested": "critical",
    "suspect_report": "warning",
    "relay_unreachable": "warning",
    "low_storage": "warning",
    "clock_drift": "warning",
    "high_temperature": "warning",
}

# What an officer reads (Vietnamese); `{}` is the cluster code (or commune code for commune_down).
MESSAGES: dict[str, str] = {
    "offline": "Cụm loa {} mất kết nối quá lâu.",
    "amplifier_fault": "Cụm loa {}: bộ khuếch đại bị lỗi.",
    "speaker_line": "Cụm loa {}: đường dây loa bị hở mạch hoặc chập.",
    "low_storage": "Cụm loa {}: bộ nhớ sắp đầy.",
    "clock_drift": "Cụm loa {}: đồng hồ lệch giờ so với máy chủ.",
    "high_temperature": "Cụm loa {}: nhiệt độ thiết bị quá cao.",
    "failed_to_play": "Cụm loa {} không phát được nội dung theo lịch.",
    "commune_down": "Xã {}: quá nhiều cụm loa mất kết nối.",
    "suspect_report": "Cụm loa {} gửi báo cáo không khớp với những gì đã gửi cho nó.",
    "identity_contested": "Danh tính cụm loa {} đang kết nối từ hai nơi.",
    "relay_unreachable": "Cụm loa {} không kết nối được nguồn tiếp sóng trước giờ phát.",
}
# Alerts about one event rather than a lasting condition: acknowledging them closes them.
EVENT_KINDS = ("failed_to_play", "suspect_report", "identity_contested", "relay_unreachable")

# How message ingest raises an alert about one cluster: (session, device, kind, detail). The composition
# root binds it to `HealthMonitor.raise_alert`, which stores it (one open per kind and cluster) and sends
# the webhook.
DeviceAlarm = Callable[["Session", "Device", AlertKind, str], None]


class AlertBase(SQLModel):
    kind: str = Field(max_length=32, index=True)
    severity: str = Field(max_length=16)
    device_id: int | None = Field(default=None, foreign_key="device.id", index=True)
    commune_id: int = Field(foreign_key="commune.id", index=True)
    message: str = Field(max_length=500)
    opened_at: datetime = Field(sa_type=UtcDateTime, index=True)
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    acknowledged_by: str | None = Field(default=None, max_length=64)


class Alert(AlertBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, index=True)
    open_key: str | None = Field(default=None, max_length=200, unique=True)


class AlertPublic(AlertBase):
    id: int
    device_code: str | None = None
    commune_code: str = ""


def subject_key(kind: str, device_id: int | None, commune_id: int, extra: str = "") -> str:
    subject = f"d{device_id}" if device_id is not None else f"c{commune_id}"
    return f"{kind}:{subject}{':' + extra if extra else ''}"


def open_alert(
    session: Session,
    kind: str,
    *,
    commune_id: int,
    device_id: int | None,
    subject: str,
    now: datetime,
    extra: str = "",
    detail: str = "",
    once: bool = False,
) -> Alert | None:
    """Open an alert unless one is open for the same kind and subject; commits. Returns the new alert.

    `once`: never raise it again, even after it was resolved (event alerts: one failed item).
    `subject` is the code put in the Vietnamese message; `detail` is appended to it.
    """
    key = subject_key(kind, device_id, commune_id, extra)
    existing = select(Alert.id).where(Alert.key == key)
    if not once:
        existing = existing.where(col(Alert.open_key).is_not(None))
    if session.exec(existing).first() is not None:
        return None
    message = MESSAGES[kind].format(subject) + (f" {detail}" if detail else "")
    alert = Alert(
        kind=kind,
        severity=SEVERITY[kind],
        device_id=device_id,
        commune_id=commune_id,
        message=message[:500],
        opened_at=now,
        key=key,
        open_key=key,
    )
    session.add(alert)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # another controller instance opened it first
        return None
    session.refresh(alert)
    return alert


def resolve_alert(session: Session, alert: Alert, now: datetime) -> None:
    """Close an alert (its cause cleared, or it was acknowledged); the caller commits."""
    alert.resolved_at = now
    alert.open_key = None
    session.add(alert)


def open_alerts(session: Session, *, device_id: int | None = None, commune_id: int | None = None) -> list[Alert]:
    query = select(Alert).where(col(Alert.open_key).is_not(None))
    if device_id is not None:
        query = query.where(Alert.device_id == device_id)
    if commune_id is not None:
        query = query.where(Alert.commune_id == commune_id)
    return list(session.exec(query.order_by(col(Alert.opened_at).desc())))


def acknowledge(session: Session, alert: Alert, username: str, now: datetime) -> None:
    """Someone saw it. An event alert (failed to play, a suspect report, an identity seen from two places)
    is thereby closed; a condition stays open until its cause clears (acknowledging a dead amplifier does
    not repair it). The caller commits."""
    alert.acknowledged_at = now
    alert.acknowledged_by = username
    if alert.kind in EVENT_KINDS:
        resolve_alert(session, alert, now)
    session.add(alert)


class WebhookPayload(BaseModel):
    """What the webhook receives (JSON), once per opened alert."""

    id: int
    kind: str
    severity: str
    message: str
    commune: str
    device: str | None
    opened_at: datetime


class AlertWebhook:
    """POSTs alerts to `url` from a background thread; bounded retries, never blocks the caller."""

    def __init__(self, url: str, *, timeout_s: float, retries: int, backoff_s: float, queue_max: int) -> None:
        self.url = url
        self._timeout_s = timeout_s
        self._retries = retries
        self._backoff_s = backoff_s
        self._queue: queue.Queue[WebhookPayload | None] = queue.Queue(maxsize=queue_max)
        self._thread = threading.Thread(target=self._run, name="alert-webhook", daemon=True)
        self.sent = 0
        self.failed = 0

    def start(self) -> None:
        self._thread.start()

    def send(self, payload: WebhookPayload) -> None:
        try:
            self._queue.put_nowait(payload)
        except queue.Full:
            log.error("alert webhook queue full; alert %d not sent (it is stored)", payload.id)

    def stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(self._timeout_s + 1)

    def _run(self) -> None:
        with httpx.Client(timeout=self._timeout_s) as client:
            while (payload := self._queue.get()) is not None:
                self._deliver(client, payload)

    def _deliver(self, client: httpx.Client, payload: WebhookPayload) -> None:
        body = payload.model_dump(mode="json")
        for attempt in range(self._retries + 1):
            try:
                client.post(self.url, json=body).raise_for_status()
                self.sent += 1
                return
            except httpx.HTTPError as exc:
                log.warning("alert webhook attempt %d for alert %d failed: %s", attempt + 1, payload.id, exc)
                if attempt < self._retries:
                    time.sleep(self._backoff_s * 2**attempt)
        self.failed += 1
