"""Daily uptime from state transitions, on plain data: local days, midnight, clusters never seen."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from devices.uptime import day_bounds, local_day, up_seconds

DAY = date(2026, 11, 22)


def test_a_local_day_is_utc_17_to_17() -> None:
    start, end = day_bounds(DAY)
    assert start == datetime(2026, 11, 21, 17, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
    assert local_day(datetime(2026, 11, 21, 17, 0, tzinfo=UTC)) == DAY
    assert local_day(datetime(2026, 11, 21, 16, 59, tzinfo=UTC)) == DAY - timedelta(days=1)


def test_an_online_stretch_across_midnight_is_split_between_the_days() -> None:
    start, end = day_bounds(DAY)
    events = [(start - timedelta(hours=1), "online"), (start + timedelta(hours=2), "offline")]
    yesterday = day_bounds(DAY - timedelta(days=1))
    assert up_seconds(None, events, *yesterday) == 3600
    assert up_seconds("online", events, start, end) == 2 * 3600


def test_up_at_the_start_of_the_day_counts_from_midnight() -> None:
    start, end = day_bounds(DAY)
    assert up_seconds("online", [], start, end) == 24 * 3600
    assert up_seconds("degraded", [(start + timedelta(hours=6), "offline")], start, end) == 6 * 3600


def test_never_seen_and_offline_all_day_are_zero() -> None:
    start, end = day_bounds(DAY)
    assert up_seconds(None, [], start, end) == 0
    assert up_seconds("offline", [], start, end) == 0
    assert up_seconds("unknown", [(start + timedelta(hours=1), "unknown")], start, end) == 0


def test_flapping_within_a_day_adds_up() -> None:
    start, end = day_bounds(DAY)
    h = timedelta(hours=1)
    events = [
        (start + h, "online"),
        (start + 2 * h, "offline"),
        (start + 3 * h, "degraded"),
        (start + 4 * h, "online"),  # degraded counts as up: the stretch continues
        (start + 5 * h, "offline"),
        (end + h, "online"),  # tomorrow: ignored
    ]
    assert up_seconds(None, events, start, end) == 3 * 3600


def test_today_so_far_ends_now() -> None:
    start, _ = day_bounds(DAY)
    now = start + timedelta(minutes=90)
    assert up_seconds("online", [(start + timedelta(minutes=30), "offline")], start, now) == 1800


def test_past_days_are_written_once_from_the_stored_transitions(database_url: str) -> None:
    from sqlmodel import select

    from controller.db import make_engine, session_factory
    from controller.settings import DatabaseSettings
    from devices.health import HealthEvent
    from devices.registry import add_commune, add_device, add_province
    from devices.uptime import UptimeDay, device_up_seconds, devices_up_seconds, finalize_days

    engine = make_engine(DatabaseSettings(url=database_url))
    sessions = session_factory(engine)
    start, end = day_bounds(DAY)
    with sessions() as session:
        commune = add_commune(session, add_province(session, "P", "P"), "XA", "Xã")
        seen, never = (add_device(session, commune, code, hash_iterations=101)[0] for code in ("S1", "N1"))
        assert seen.id is not None and never.id is not None
        # Online from 22:00 the day before until 03:00, then again from 23:00 on (across midnight again).
        for at, state in (
            (start - timedelta(hours=2), "online"),
            (start + timedelta(hours=3), "offline"),
            (end - timedelta(hours=1), "online"),
        ):
            session.add(HealthEvent(device_id=seen.id, at=at, state=state))
        session.commit()
        now = end + timedelta(hours=5)  # 05:00 the next local day
        assert finalize_days(session, [seen.id, never.id], now) == 2
        assert finalize_days(session, [seen.id, never.id], now) == 0
        rows = {row.day: row.up_s for row in session.exec(select(UptimeDay))}
        assert rows == {DAY - timedelta(days=1): 2 * 3600, DAY: 4 * 3600}
        assert device_up_seconds(session, seen.id, end, now) == 5 * 3600
        assert device_up_seconds(session, never.id, end, now) == 0
        # The dashboard's batch form agrees with the one-cluster form.
        for window in ((start, end), (end, now), (start, now)):
            expected = {d: device_up_seconds(session, d, *window) for d in (seen.id, never.id)}
            assert devices_up_seconds(session, [seen.id, never.id], *window) == expected
        assert devices_up_seconds(session, [], start, now) == {}
    engine.dispose()
