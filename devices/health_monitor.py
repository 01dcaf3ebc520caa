"""Heartbeat ingest and the periodic health sweep.

Cost model (10,000 nodes at 30 s: ~330 heartbeats/s). Ingest (`record`, called by the uplink handler for
each heartbeat) only replaces one entry of an in-memory dict: no database write at all. Everything that
touches the database happens in the sweep, every `health_sweep_interval_s`, in a few batched statements:
- one SELECT of the active clusters with their health rows;
- `device_health` rows written only for clusters whose state or reported fields changed (a fault, a new
  playlist version...), or whose stored heartbeat time is older than `health_persist_s`;
- one `health_event` row per state transition (the source of uptime);
- one `heartbeat_sample` per cluster per `history_sample_s` period;
- alerts opened and resolved as conditions appear and clear.

Each controller instance subscribes to every heartbeat (a plain MQTT subscription, unlike the shared one
of the other channels: `devices.protocol`), so each has the full in-memory picture, and an instance elected
leader sweeps at once with it. Only the leader sweeps (`schedules.lease`); the sweep is idempotent anyway:
a transition is written by a conditional UPDATE (`WHERE state = <old>`), and only the instance whose
UPDATE changed the row records the event and opens the alert; alerts are de-duplicated by a unique key.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, col, select

from devices.alerts import Alert, AlertKind, AlertWebhook, WebhookPayload, open_alert, resolve_alert, subject_key
from devices.health import (
    DeviceHealth,
    Evidence,
    HealthEvent,
    HeartbeatSample,
    Thresholds,
    commune_down,
    evaluate,
    problems,
    wanted_alerts,
)
from devices.protocol import Heartbeat, decode
from devices.registry import Commune, Device
from devices.settings import FleetSettings
from devices.uptime import finalize_days, local_day

log = logging.getLogger(__name__)

# An extra check run after each sweep (the play audit of schedules/): (session, now, monitor).
SweepCheck = Callable[[Session, datetime, "HealthMonitor"], object]

# Alerts the sweep manages: opened while their condition holds, resolved when it clears.
_CONDITION_KINDS = ("offline", "amplifier_fault", "speaker_line", "low_storage", "clock_drift", "high_temperature")
# Heartbeat fields whose change is written at once (the others ride along with the periodic refresh).
_SIGNIFICANT = ("firmware", "amplifier", "speaker_line", "network", "playlist_version", "current_item", "volume")


@dataclass(frozen=True)
class Heard:
    heartbeat: Heartbeat
    received_at: datetime


def thresholds(settings: FleetSettings) -> Thresholds:
    return Thresholds(
        heartbeat_interval_s=settings.heartbeat_interval_s,
        offline_after_missed=settings.offline_after_missed,
        storage_low_mb=settings.storage_low_mb,
        clock_drift_max_ms=settings.clock_drift_max_ms,
        temperature_max_c=settings.temperature_max_c,
    )


class HealthMonitor:
    def __init__(
        self,
        sessions: Callable[[], Session],
        settings: FleetSettings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        webhook: AlertWebhook | None = None,
    ) -> None:
        self._sessions = sessions
        self.settings = settings
        self.limits = thresholds(settings)
        self._clock = clock
        self.webhook = webhook
        self._latest: dict[int, Heard] = {}
        self._lock = threading.Lock()
        self.watching_since = clock()
        self._checks: list[tuple[SweepCheck, timedelta]] = []
        self._checked_at: dict[int, datetime] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._finalized_day: date | None = None
        self._sampled_period: datetime | None = None
        self._sampled: set[int] = set()
        self.sweeps = 0
        self._raised_once: set[str] = set()

    # -- ingest ------------------------------------------------------------------------------------

    def handle_heartbeat(self, session: Session, device: Device, payload: bytes) -> None:
        """The uplink handler for the `heartbeat` channel; raises ProtocolError on a bad payload."""
        heartbeat = decode(Heartbeat, payload)
        assert device.id is not None
        self.record(device.id, heartbeat)

    def record(self, device_id: int, heartbeat: Heartbeat) -> None:
        """Keep the heartbeat in memory. A heartbeat that may change the cluster's state (its first, the
        first of a new session or after a silence, or one whose reported fields changed) wakes the sweep,
        so states follow within a moment; the steady stream of unchanged ones does not."""
        heard = Heard(heartbeat, self._clock())
        with self._lock:
            previous = self._latest.get(device_id)
            # A delayed heartbeat of an older session must not replace a newer one.
            if previous is not None and heartbeat.session_seq < previous.heartbeat.session_seq:
                return
            self._latest[device_id] = heard
        if (
            previous is None
            or previous.heartbeat.session_seq != heartbeat.session_seq
            or heard.received_at - previous.received_at > self.limits.offline_after
            or problems(previous.heartbeat, self.limits) != problems(heartbeat, self.limits)
        ):
            self._wake.set()

    def latest(self, device_id: int) -> Heard | None:
        with self._lock:
            return self._latest.get(device_id)

    # -- the sweep ---------------------------------------------------------------------------------

    def add_check(self, check: SweepCheck, *, every_s: float = 0.0) -> None:
        """Run `check` after a sweep, at most every `every_s` seconds (0: after every sweep)."""
        self._checks.append((check, timedelta(seconds=every_s)))

    def start(self) -> None:
        """Start the alert webhook and the sweep (a lone controller; several instances sweep on the leader only)."""
        if self.webhook is not None:
            self.webhook.start()
        self.start_sweep()

    def start_sweep(self) -> None:
        """Start sweeping in a background thread (again after `stop_sweep`: leadership comes and goes).

        Heartbeats are recorded whether or not this instance sweeps, so a newly elected leader starts with
        the picture of the fleet and marks no cluster offline for the heartbeats it did not see.
        """
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="health-sweep", daemon=True)
        self._thread.start()

    def stop_sweep(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def stop(self) -> None:
        self.stop_sweep()
        if self.webhook is not None:
            self.webhook.stop()

    def _run(self) -> None:
        interval_s = self.settings.health_sweep_interval_s
        while not self._stop.is_set():
            self._wake.wait(interval_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.sweep()
            except Exception:  # a loop edge: one failed pass (database down...) must not end monitoring
                log.exception("health sweep failed; next pass in %.1f s", interval_s)
            # Woken sweeps come at most five times per interval (a fleet reconnecting after a broker
            # restart wakes it thousands of times).
            self._stop.wait(interval_s / 5)

    def sweep(self) -> None:
        now = self._clock()
        with self._sessions() as session:
            open_by_device: dict[int, dict[str, Alert]] = {}
            for alert in session.exec(
                select(Alert).where(col(Alert.open_key).is_not(None), col(Alert.kind).in_(_CONDITION_KINDS))
            ):
                if alert.device_id is not None:
                    open_by_device.setdefault(alert.device_id, {})[alert.kind] = alert
            states, changing = self._quiet_pass(session, now, open_by_device)
            # Only the clusters with something to write are loaded as objects: in a steady fleet of ten
            # thousand, loading every one each pass was most of the controller's CPU.
            for start in range(0, len(changing), 500):
                rows = session.exec(
                    select(Device, DeviceHealth)
                    .join(DeviceHealth, col(DeviceHealth.device_id) == col(Device.id), isouter=True)
                    .where(col(Device.id).in_(changing[start : start + 500]))
                ).all()
                self._missing_rows(session, [device for device, health in rows if health is None], now)
                for device, health in rows:
                    assert device.id is not None
                    state = self._sweep_device(session, device, health, now, open_by_device.get(device.id, {}))
                    states[device.id] = (device.commune_id, state)
            session.commit()
            self._commune_rule(session, states, now)
            self._sample(session, states, now)
            if self._finalized_day != local_day(now):
                try:
                    finalize_days(session, list(states), now)
                except IntegrityError:
                    session.rollback()  # another instance wrote the same day; the next pass fills any gap
                self._finalized_day = local_day(now)
            for index, (check, every) in enumerate(self._checks):
                last = self._checked_at.get(index)
                if last is None or now - last >= every:
                    self._checked_at[index] = now
                    check(session, now, self)
        self.sweeps += 1

    @staticmethod
    def _heard_at(heard: Heard | None, stored_at: datetime | None) -> datetime | None:
        """When the cluster was last heard: the heartbeat in memory, or the stored one when that is newer
        (heard by another instance, or before a restart)."""
        if heard is None or (stored_at is not None and stored_at > heard.received_at):
            return stored_at
        return heard.received_at

    def _judge(
        self,
        connection: str,
        connection_at: datetime | None,
        heard: Heard | None,
        heard_at: datetime | None,
        now: datetime,
    ) -> tuple[str, list[str]]:
        """A cluster's state and problems now, from its connection and its newest heartbeat."""
        evidence = Evidence(
            connection=connection,
            connection_at=connection_at,
            heartbeat=heard.heartbeat if heard is not None else None,
            heartbeat_at=heard_at,
            watching_since=self.watching_since,
        )
        return evaluate(evidence, now, self.limits)

    def _quiet_pass(
        self, session: Session, now: datetime, open_by_device: dict[int, dict[str, Alert]]
    ) -> tuple[dict[int, tuple[int, str]], list[int]]:
        """Every active cluster's state, read as plain columns; and the clusters `_sweep_device` must see:
        a new one, or one whose state, problems, stored heartbeat or condition alerts would change."""
        columns = [getattr(DeviceHealth, name) for name in _SIGNIFICANT]
        # Rows with a column per name (Row); typed loosely, as select() of this many columns has no overload.
        rows: list[Any] = list(
            session.exec(
                select(  # type: ignore[call-overload]
                    Device.id,
                    Device.commune_id,
                    Device.state,
                    Device.state_changed_at,
                    col(DeviceHealth.device_id).label("health_id"),
                    col(DeviceHealth.state).label("health_state"),
                    DeviceHealth.state_since,
                    DeviceHealth.problems,
                    DeviceHealth.last_heartbeat_at,
                    *columns,
                )
                .join(DeviceHealth, col(DeviceHealth.device_id) == col(Device.id), isouter=True)
                .where(col(Device.revoked_at).is_(None))
            ).all()
        )
        states: dict[int, tuple[int, str]] = {}
        changing: list[int] = []
        for row in rows:
            heard = self.latest(row.id)
            if row.health_id is None:
                changing.append(row.id)
                continue
            heard_at = self._heard_at(heard, row.last_heartbeat_at)
            state, found = self._judge(row.state, row.state_changed_at, heard, heard_at, now)
            open_now = open_by_device.get(row.id, {})
            wanted = wanted_alerts(row.health_state, found, row.state_since, now, self.settings.offline_alert_after_s)
            stale = open_now.keys() - wanted
            if row.health_state == "offline":
                stale = {kind for kind in stale if kind == "offline"}
            if (
                state != row.health_state
                or ",".join(found) != row.problems
                or (heard is not None and self._worth_writing(row, heard, now))
                or wanted - open_now.keys()
                or stale
            ):
                changing.append(row.id)
            else:
                states[row.id] = (row.commune_id, row.health_state)
        return states, changing

    def _sweep_device(
        self,
        session: Session,
        device: Device,
        health: DeviceHealth | None,
        now: datetime,
        open_now: dict[str, Alert],
    ) -> str:
        assert device.id is not None
        heard = self.latest(device.id)
        heard_at = self._heard_at(heard, health.last_heartbeat_at if health is not None else None)
        state, found = self._judge(device.state, device.state_changed_at, heard, heard_at, now)
        if health is None:  # created by `_missing_rows` in the same pass
            health = session.get(DeviceHealth, device.id)
            assert health is not None
        if state != health.state:
            # The transition's time: for a silent death, the last sign of life, not the detection.
            at = now
            if state == "offline" and heard_at is not None and device.state != "offline":
                at = min(now, heard_at)
            elif state == "offline" and device.state == "offline" and device.state_changed_at is not None:
                at = device.state_changed_at
            # Never before the state it ends (a stale stored heartbeat from an older session), so that
            # transitions stay in order for uptime accounting.
            at = max(at, health.state_since)
            won = session.execute(
                update(DeviceHealth)
                .where(col(DeviceHealth.device_id) == device.id, col(DeviceHealth.state) == health.state)
                .values(state=state, state_since=at, problems=",".join(found))
                # The row is refreshed just below; letting the ORM "synchronize" instead scans every
                # object in the session for each update, quadratic in the fleet at start-up.
                .execution_options(synchronize_session=False)
            )
            if won.rowcount:  # type: ignore[attr-defined]
                session.add(HealthEvent(device_id=device.id, at=at, state=state))
            session.commit()
            session.refresh(health)
        elif ",".join(found) != health.problems:
            health.problems = ",".join(found)
            session.add(health)
            session.commit()
        if heard is not None and self._worth_writing(health, heard, now):
            self._copy(health, heard)
            session.add(health)  # committed with the pass's next commit, at the latest at its end
        self._condition_alerts(session, device, health, found, now, open_now)
        return health.state

    @staticmethod
    def _missing_rows(session: Session, devices: list[Device], now: datetime) -> None:
        """A `device_health` row (state unknown) for each new cluster, in one commit."""
        if not devices:
            return
        for device in devices:
            assert device.id is not None
            session.add(DeviceHealth(device_id=device.id, state="unknown", state_since=now))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()  # another instance created some of them: add the rest one by one
            for device in devices:
                if session.get(DeviceHealth, device.id) is None:
                    session.add(DeviceHealth(device_id=device.id or 0, state="unknown", state_since=now))
                    with contextlib.suppress(IntegrityError):
                        session.commit()
                    session.rollback()

    def _worth_writing(self, health: Any, heard: Heard, now: datetime) -> bool:
        """Whether to store the heartbeat in `health` (the row, or its columns as read by `_quiet_pass`)."""
        if health.last_heartbeat_at is not None and heard.received_at <= health.last_heartbeat_at:
            return False
        if health.last_heartbeat_at is None or now - health.last_heartbeat_at >= timedelta(
            seconds=self.settings.health_persist_s
        ):
            return True
        hb = heard.heartbeat
        return any(getattr(hb, name) != getattr(health, name) for name in _SIGNIFICANT)

    @staticmethod
    def _copy(health: DeviceHealth, heard: Heard) -> None:
        hb = heard.heartbeat
        health.last_heartbeat_at = heard.received_at
        for name in (
            "session_seq",
            "uptime_s",
            "firmware",
            "volume",
            "amplifier",
            "speaker_line",
            "temperature_c",
            "network",
            "signal_dbm",
            "storage_free_mb",
            "clock_offset_ms",
            "current_item",
            "playlist_version",
        ):
            setattr(health, name, getattr(hb, name))

    def _condition_alerts(
        self,
        session: Session,
        device: Device,
        health: DeviceHealth,
        found: list[str],
        now: datetime,
        open_now: dict[str, Alert],
    ) -> None:
        assert device.id is not None
        wanted = wanted_alerts(health.state, found, health.state_since, now, self.settings.offline_alert_after_s)
        for kind in wanted - open_now.keys():
            self.raise_alert(
                session, kind, commune_id=device.commune_id, device_id=device.id, subject=device.code, now=now
            )
        stale = [open_now[kind] for kind in open_now.keys() - wanted]
        if health.state == "offline":
            stale = [a for a in stale if a.kind == "offline"]  # an offline node cannot report its repair
        for alert in stale:
            resolve_alert(session, alert, now)
        if stale:
            session.commit()

    def _commune_rule(self, session: Session, states: dict[int, tuple[int, str]], now: datetime) -> None:
        """`commune_down`: more than `commune_down_pct` of a commune's clusters offline."""
        by_commune: dict[int, list[str]] = {}
        for commune_id, state in states.values():
            by_commune.setdefault(commune_id, []).append(state)
        open_now = {
            a.commune_id: a
            for a in session.exec(select(Alert).where(Alert.kind == "commune_down", col(Alert.open_key).is_not(None)))
        }
        for commune_id, commune_states in by_commune.items():
            down = commune_down(commune_states, self.settings.commune_down_pct)
            if down and commune_id not in open_now:
                commune = session.get(Commune, commune_id)
                code = commune.code if commune is not None else str(commune_id)
                detail = f"({commune_states.count('offline')}/{len(commune_states)} cụm)"
                self.raise_alert(
                    session, "commune_down", commune_id=commune_id, device_id=None, subject=code, now=now, detail=detail
                )
            elif not down and commune_id in open_now:
                resolve_alert(session, open_now[commune_id], now)
                session.commit()

    def _sample(self, session: Session, states: dict[int, tuple[int, str]], now: datetime) -> None:
        """One `heartbeat_sample` per cluster per period: the first heartbeat heard in it.

        Which clusters have theirs is kept in memory (loaded from the table once per period, so a
        restarted or second instance does not write them again).
        """
        period_s = self.settings.history_sample_s
        period = datetime.fromtimestamp(now.timestamp() // period_s * period_s, UTC)
        if self._sampled_period != period:
            self._sampled = set(session.exec(select(HeartbeatSample.device_id).where(HeartbeatSample.at == period)))
            self._sampled_period = period
        added: list[int] = []
        for device_id, (_, state) in states.items():
            heard = self.latest(device_id)
            if device_id in self._sampled or heard is None or heard.received_at < period:
                continue
            hb = heard.heartbeat
            session.add(
                HeartbeatSample(
                    device_id=device_id,
                    at=period,
                    state=state,
                    temperature_c=hb.temperature_c,
                    signal_dbm=hb.signal_dbm,
                    storage_free_mb=hb.storage_free_mb,
                    clock_offset_ms=hb.clock_offset_ms,
                    volume=hb.volume,
                )
            )
            added.append(device_id)
        if not added:
            return
        try:
            session.commit()
        except IntegrityError:
            session.rollback()  # another instance sampled some of them at the same moment
            self._sampled_period = None  # reload who has one on the next pass
            return
        self._sampled.update(added)

    # -- alerts ------------------------------------------------------------------------------------

    def device_alarm(self, session: Session, device: Device, kind: AlertKind, detail: str) -> None:
        """A `DeviceAlarm` for message ingest: an alert about this cluster, one open at a time."""
        assert device.id is not None
        self.raise_alert(
            session,
            kind,
            commune_id=device.commune_id,
            device_id=device.id,
            subject=device.code,
            now=self._clock(),
            detail=detail,
        )

    def raise_alert(
        self,
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
        """Open an alert (de-duplicated, see devices/alerts.py) and queue its webhook if it is new."""
        key = subject_key(kind, device_id, commune_id, extra)
        if once and key in self._raised_once:
            return None  # known without asking the database (the play audit asks every pass)
        try:
            alert = open_alert(
                session,
                kind,
                commune_id=commune_id,
                device_id=device_id,
                subject=subject,
                now=now,
                extra=extra,
                detail=detail,
                once=once,
            )
        except SQLAlchemyError as exc:
            session.rollback()
            log.warning("alert %s for %s not stored: %s", kind, subject, str(exc)[:200])
            return None
        if once:
            self._raised_once.add(key)
        if alert is not None:
            log.warning("alert: %s", alert.message)
            if self.webhook is not None:
                commune = session.get(Commune, commune_id)
                device = session.get(Device, device_id) if device_id is not None else None
                assert alert.id is not None
                self.webhook.send(
                    WebhookPayload(
                        id=alert.id,
                        kind=alert.kind,
                        severity=alert.severity,
                        message=alert.message,
                        commune=commune.code if commune is not None else "",
                        device=device.code if device is not None else None,
                        opened_at=alert.opened_at,
                    )
                )
        return alert
