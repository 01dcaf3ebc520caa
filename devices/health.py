"""Cluster health: the states online / degraded / offline / unknown, and the tables that keep them.

A cluster's state combines two sources:
- the broker's connection state (birth and last will, `Device.state`, see devices/uplink.py), which
  says at once when a connection dies visibly;
- heartbeats (`Heartbeat`, every `heartbeat_interval_s`), which say how the node is, and whose absence
  for `offline_after_missed` intervals says it is gone even when no last will came (a half-open TCP
  link: the broker notices only after 1.5x the keepalive).

`evaluate` is a pure function of plain data (tested without a database); `devices/health_monitor.py`
keeps the latest heartbeats in memory and runs it in a periodic sweep.

Tables:
- `device_health`: one row per cluster, the latest heartbeat fields and the evaluated state. Written by
  the sweep when the state or a reported field changed, otherwise at most every `health_persist_s`.
- `health_event`: one row per state transition (the source of uptime accounting).
- `heartbeat_sample`: one row per cluster per `history_sample_s` (the history chart).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel import Field, SQLModel, UniqueConstraint

from audio_library.timestamps import UtcDateTime
from devices.protocol import Heartbeat

HealthState = Literal["online", "degraded", "offline", "unknown"]
# Up for uptime accounting: the node is connected and can play (degraded still plays, or tries to).
UP_STATES: frozenset[str] = frozenset({"online", "degraded"})


class DeviceHealth(SQLModel, table=True):
    """The latest known health of one cluster."""

    __tablename__ = "device_health"

    device_id: int = Field(foreign_key="device.id", primary_key=True)
    state: str = Field(default="unknown", max_length=16, index=True)
    state_since: datetime = Field(sa_type=UtcDateTime)
    # Why it is degraded (comma-separated problem names, see `problems`), empty otherwise.
    problems: str = Field(default="", max_length=200)
    last_heartbeat_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    session_seq: int = 0
    uptime_s: int = 0
    firmware: str = Field(default="", max_length=64)
    volume: int = 0
    amplifier: str = Field(default="ok", max_length=16)
    speaker_line: str = Field(default="unknown", max_length=16)
    temperature_c: float | None = None
    network: str = Field(default="unknown", max_length=16)
    signal_dbm: int | None = None
    storage_free_mb: int = 0
    clock_offset_ms: int | None = None
    current_item: str | None = Field(default=None, max_length=64)
    playlist_version: int | None = None


class HealthEvent(SQLModel, table=True):
    """A state transition of a cluster; uptime is integrated from these."""

    __tablename__ = "health_event"

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="device.id", index=True)
    at: datetime = Field(sa_type=UtcDateTime, index=True)
    state: str = Field(max_length=16)


class HeartbeatSample(SQLModel, table=True):
    """A downsampled heartbeat: the first one heard in each `history_sample_s` period of a cluster."""

    __tablename__ = "heartbeat_sample"
    __table_args__ = (UniqueConstraint("device_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="device.id", index=True)
    # The start of the sampling period (UTC), not the heartbeat's own time.
    at: datetime = Field(sa_type=UtcDateTime)
    state: str = Field(max_length=16)
    temperature_c: float | None = None
    signal_dbm: int | None = None
    storage_free_mb: int = 0
    clock_offset_ms: int | None = None
    volume: int = 0


@dataclass(frozen=True)
class Thresholds:
    """The parts of `FleetSettings` that state evaluation needs (plain values, for pure tests)."""

    heartbeat_interval_s: float = 30.0
    offline_after_missed: int = 2
    storage_low_mb: int = 200
    clock_drift_max_ms: int = 2000
    temperature_max_c: float = 75.0

    @property
    def offline_after(self) -> timedelta:
        return timedelta(seconds=self.heartbeat_interval_s * self.offline_after_missed)


@dataclass(frozen=True)
class Evidence:
    """What the controller knows about one cluster at one instant."""

    # The broker's connection state (birth/last will) and when it last changed; "unknown" if never.
    connection: str
    connection_at: datetime | None
    # The latest heartbeat and when the controller received it (None: none since the controller started
    # and none stored).
    heartbeat: Heartbeat | None
    heartbeat_at: datetime | None
    # When this controller started listening: a cluster heard of before a restart gets this much grace.
    watching_since: datetime


def problems(heartbeat: Heartbeat, limits: Thresholds) -> list[str]:
    """Names of what is wrong with a cluster that still reports (each is a degraded reason and an alert)."""
    found = []
    if heartbeat.amplifier == "fault":
        found.append("amplifier_fault")
    if heartbeat.speaker_line in ("open", "short"):
        found.append("speaker_line")
    if heartbeat.storage_free_mb < limits.storage_low_mb:
        found.append("low_storage")
    if heartbeat.clock_offset_ms is not None and abs(heartbeat.clock_offset_ms) > limits.clock_drift_max_ms:
        found.append("clock_drift")
    if heartbeat.temperature_c is not None and heartbeat.temperature_c > limits.temperature_max_c:
        found.append("high_temperature")
    return found


def evaluate(evidence: Evidence, now: datetime, limits: Thresholds) -> tuple[HealthState, list[str]]:
    """The cluster's state and, when degraded, why.

    - offline: the last will came after the latest heartbeat, or nothing (heartbeat or birth) was heard
      for `offline_after_missed` heartbeat intervals;
    - unknown: never heard from at all;
    - degraded: alive, but `problems` found something;
    - online: alive and well (also right after a birth, before its first heartbeat).
    """
    e = evidence
    if e.heartbeat_at is None and e.connection == "unknown":
        return "unknown", []
    signs = [t for t in (e.heartbeat_at, e.connection_at if e.connection == "online" else None) if t is not None]
    last_sign = max(signs) if signs else None
    if (
        e.connection == "offline"
        and e.connection_at is not None
        and (last_sign is None or e.connection_at >= last_sign)
    ):
        return "offline", []
    # After a controller restart the stored heartbeat time may be minutes old (see health_persist_s):
    # give every cluster a fresh window from the moment this controller started listening.
    reference = max(last_sign, e.watching_since) if last_sign is not None else e.watching_since
    if now - reference > limits.offline_after:
        return "offline", []
    if last_sign is None:
        return "unknown", []
    found = problems(e.heartbeat, limits) if e.heartbeat is not None else []
    return ("degraded" if found else "online"), found


def wanted_alerts(
    state: str, found: list[str], state_since: datetime, now: datetime, offline_alert_after_s: float
) -> set[str]:
    """The condition alerts a cluster should have open now: its problems while degraded, and `offline`
    once it has been offline for `offline_alert_after_s`. Pure."""
    wanted = set(found) if state == "degraded" else set()
    if state == "offline" and (now - state_since).total_seconds() >= offline_alert_after_s:
        wanted.add("offline")
    return wanted


def commune_down(states: list[str], down_pct: float) -> bool:
    """More than `down_pct` percent of a commune's clusters offline (never-seen ones count as not down). Pure."""
    return bool(states) and 100 * states.count("offline") / len(states) > down_pct
