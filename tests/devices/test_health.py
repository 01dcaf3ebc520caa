"""Health state evaluation on plain data: online, degraded, offline, unknown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from devices.health import Evidence, Thresholds, commune_down, evaluate, problems, wanted_alerts
from devices.protocol import Heartbeat

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
LIMITS = Thresholds(heartbeat_interval_s=30, offline_after_missed=2)
START = T0 - timedelta(hours=1)  # the controller has been watching for an hour


def beat(**fields: object) -> Heartbeat:
    values: dict[str, object] = {
        "session_seq": 1,
        "sent_at": T0,
        "uptime_s": 100,
        "firmware": "fw",
        "volume": 80,
        "storage_free_mb": 5000,
        "speaker_line": "ok",
        "clock_offset_ms": 12,
    }
    values.update(fields)
    return Heartbeat.model_validate(values)


def evidence(heartbeat: Heartbeat | None = None, heard_at: datetime | None = None, **kw: object) -> Evidence:
    values: dict[str, object] = {
        "connection": "online",
        "connection_at": T0 - timedelta(minutes=5),
        "heartbeat": heartbeat,
        "heartbeat_at": heard_at,
        "watching_since": START,
    }
    values.update(kw)
    return Evidence(**values)  # type: ignore[arg-type]


def test_a_fresh_heartbeat_is_online() -> None:
    assert evaluate(evidence(beat(), T0), T0 + timedelta(seconds=10), LIMITS) == ("online", [])


def test_offline_after_two_missed_intervals_even_without_a_last_will() -> None:
    e = evidence(beat(), T0)
    assert evaluate(e, T0 + timedelta(seconds=59), LIMITS)[0] == "online"
    assert evaluate(e, T0 + timedelta(seconds=61), LIMITS)[0] == "offline"


def test_a_last_will_after_the_last_heartbeat_is_offline_at_once() -> None:
    e = evidence(beat(), T0, connection="offline", connection_at=T0 + timedelta(seconds=1))
    assert evaluate(e, T0 + timedelta(seconds=2), LIMITS) == ("offline", [])


def test_a_heartbeat_after_a_last_will_wins() -> None:
    e = evidence(beat(), T0 + timedelta(seconds=5), connection="offline", connection_at=T0)
    assert evaluate(e, T0 + timedelta(seconds=6), LIMITS)[0] == "online"


def test_never_heard_is_unknown() -> None:
    e = evidence(connection="unknown", connection_at=None)
    assert evaluate(e, T0, LIMITS) == ("unknown", [])


def test_a_birth_without_heartbeats_is_online_until_two_intervals_pass() -> None:
    e = evidence(connection_at=T0)
    assert evaluate(e, T0 + timedelta(seconds=30), LIMITS)[0] == "online"
    assert evaluate(e, T0 + timedelta(seconds=90), LIMITS)[0] == "offline"


def test_after_a_controller_restart_an_old_stored_heartbeat_gets_a_fresh_window() -> None:
    e = evidence(beat(), T0 - timedelta(minutes=4), watching_since=T0)
    assert evaluate(e, T0 + timedelta(seconds=30), LIMITS)[0] == "online"
    assert evaluate(e, T0 + timedelta(seconds=61), LIMITS)[0] == "offline"


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"amplifier": "fault"}, "amplifier_fault"),
        ({"speaker_line": "open"}, "speaker_line"),
        ({"speaker_line": "short"}, "speaker_line"),
        ({"storage_free_mb": 199}, "low_storage"),
        ({"clock_offset_ms": -2001}, "clock_drift"),
        ({"temperature_c": 80.0}, "high_temperature"),
    ],
)
def test_each_problem_degrades(fields: dict[str, object], problem: str) -> None:
    state, found = evaluate(evidence(beat(**fields), T0), T0, LIMITS)
    assert (state, found) == ("degraded", [problem])


def test_limits_are_not_problems() -> None:
    assert problems(beat(storage_free_mb=200, clock_offset_ms=2000, temperature_c=75.0), LIMITS) == []
    assert problems(beat(clock_offset_ms=None, speaker_line="unknown", amplifier="off"), LIMITS) == []


def test_condition_alerts_follow_the_state() -> None:
    since = T0
    assert wanted_alerts("degraded", ["amplifier_fault", "low_storage"], since, T0, 600) == {
        "amplifier_fault",
        "low_storage",
    }
    assert wanted_alerts("online", [], since, T0, 600) == set()
    # Offline: an alert only once it has lasted offline_alert_after_s; its stale problems are not news.
    assert wanted_alerts("offline", [], since, T0 + timedelta(seconds=599), 600) == set()
    assert wanted_alerts("offline", [], since, T0 + timedelta(seconds=600), 600) == {"offline"}


def test_commune_down_is_more_than_the_share() -> None:
    assert not commune_down([], 50)
    assert not commune_down(["offline", "online"], 50)
    assert commune_down(["offline", "offline", "online"], 50)
    assert not commune_down(["unknown", "unknown", "offline", "online"], 50)
