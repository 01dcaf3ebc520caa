"""The leader lease against a real database: takeover of a lapsed lease, renewal, and the fence that keeps a
deposed leader's publication out (SQLite, and PostgreSQL when LOAXA_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from audio_library.timestamps import utc_now
from controller.db import make_engine, session_factory
from controller.settings import DatabaseSettings
from devices.registry import add_commune, add_province, get_commune
from schedules import current_playlist, publish_playlist, schedule_broadcast
from schedules.lease import Fence, LeaderLease, Lease, LeaseKeeper, NotLeader, hold
from tests.harness import wait_until
from tests.schedules.test_publication import approved_bulletin, quiet_hours_away_from

HORIZON = timedelta(hours=24)
LOOKBACK = timedelta(hours=2)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(DatabaseSettings(url=database_url))
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> Callable[[], Session]:
    return session_factory(engine)


def test_the_first_claim_takes_the_lapsed_lease_and_a_second_instance_waits(sessions: Callable[[], Session]) -> None:
    first = Lease(sessions, duration_s=30, holder="a")
    second = Lease(sessions, duration_s=30, holder="b")
    fence = first.claim()
    assert fence == Fence("leader", "a", 1)
    assert second.claim() is None
    assert first.claim() == fence, "a renewal keeps the token"
    with sessions() as session:
        row = session.get(LeaderLease, "leader")
        assert row is not None and (row.holder, row.token) == ("a", 1)


def test_a_lapsed_lease_is_taken_over_with_the_next_token_and_the_old_holder_is_fenced_out(
    sessions: Callable[[], Session],
) -> None:
    old = Lease(sessions, duration_s=0.3, holder="old")
    new = Lease(sessions, duration_s=30, holder="new")
    stale = old.claim()
    assert stale is not None
    assert new.claim() is None
    time.sleep(0.4)  # the old leader stops renewing (killed, paused): its lease lapses by the database's clock
    taken = new.claim()
    assert taken == Fence("leader", "new", stale.token + 1)
    assert old.claim() is None, "the old holder cannot renew once another holds the lease"
    with sessions() as session:
        with pytest.raises(NotLeader):
            hold(session, stale)
        session.rollback()
        hold(session, taken)
        session.commit()


def test_release_lets_the_next_instance_take_over_at_once(sessions: Callable[[], Session]) -> None:
    first = Lease(sessions, duration_s=60, holder="a")
    second = Lease(sessions, duration_s=60, holder="b")
    assert first.claim() is not None
    first.release()
    assert first.fence is None
    fence = second.claim()
    assert fence is not None and fence.token == 2


def test_a_forced_claim_takes_the_lease_at_once(sessions: Callable[[], Session]) -> None:
    """SQLite: the instance holding the lock beside the database takes over from one killed unreleased."""
    assert Lease(sessions, duration_s=60, holder="killed").claim() is not None
    fence = Lease(sessions, duration_s=60, holder="restarted").claim(force=True)
    assert fence == Fence("leader", "restarted", 2)


def test_a_publication_under_a_stale_fence_stores_nothing(sessions: Callable[[], Session], tmp_path: Path) -> None:
    now = utc_now()
    with sessions() as session:
        commune = add_commune(session, add_province(session, "P", "Tỉnh"), "XA", "Xã")
        bulletin = approved_bulletin(session, commune, tmp_path)
        quiet_hours_away_from(session, commune, now + timedelta(hours=1))
        schedule_broadcast(
            session,
            bulletin,
            commune,
            now + timedelta(hours=1),
            created_by=bulletin.author_id,
            now=now,
            lookback=LOOKBACK,
        )
        session.commit()
    old = Lease(sessions, duration_s=0.2, holder="old")
    stale = old.claim()
    assert stale is not None
    time.sleep(0.3)
    current = Lease(sessions, duration_s=30, holder="new").claim()
    assert current is not None
    with sessions() as session:
        commune = get_commune(session, "XA")
        with pytest.raises(NotLeader):
            publish_playlist(session, commune, now=now, horizon=HORIZON, lookback=LOOKBACK, fence=stale)
        session.rollback()
        assert current_playlist(session, commune) is None, "the stale leader's playlist was not stored"
        stored, changed = publish_playlist(session, commune, now=now, horizon=HORIZON, lookback=LOOKBACK, fence=current)
        session.commit()
        assert changed and stored.version == 1


def test_the_keeper_elects_one_instance_and_the_other_takes_over_when_it_stops_renewing(
    sessions: Callable[[], Session],
) -> None:
    changes: dict[str, list[Fence | None]] = {"a": [], "b": []}
    lock = threading.Lock()

    def listener(name: str) -> Callable[[Fence | None], None]:
        def changed(fence: Fence | None) -> None:
            with lock:
                changes[name].append(fence)

        return changed

    a = LeaseKeeper(Lease(sessions, duration_s=0.6, holder="a"), renew_s=0.1, on_change=listener("a"))
    b = LeaseKeeper(Lease(sessions, duration_s=0.6, holder="b"), renew_s=0.1, on_change=listener("b"))
    a.start()
    b.start()
    try:
        assert a.leading is not None and b.leading is None
        time.sleep(1.0)  # several renewals: a keeps leading, b keeps waiting
        assert changes == {"a": [a.leading], "b": []}
        a.stop()  # a clean stop releases the lease
        assert wait_until(lambda: b.leading is not None, timeout_s=5)
        assert b.leading is not None and b.leading.token == 2
        assert changes["a"][-1] is None
    finally:
        a.stop()
        b.stop()


def test_a_stepped_down_keeper_leads_again_only_under_a_new_token(
    sessions: Callable[[], Session],
) -> None:
    keeper = LeaseKeeper(Lease(sessions, duration_s=0.3, holder="a"), renew_s=0.1, on_change=lambda fence: None)
    keeper.start()
    try:
        assert keeper.leading is not None
        keeper.step_down()
        assert keeper.leading is None
        time.sleep(0.5)  # its own lease lapses first: then it takes it again
        assert wait_until(lambda: keeper.leading is not None, timeout_s=5)
        assert keeper.leading is not None and keeper.leading.token == 2
    finally:
        keeper.stop()


def test_an_instance_whose_jobs_do_not_start_gives_the_lease_away(sessions: Callable[[], Session]) -> None:
    def jobs_fail(fence: Fence | None) -> None:
        if fence is not None:
            raise RuntimeError("the scheduler's job store is unreachable")

    broken = LeaseKeeper(Lease(sessions, duration_s=30, holder="broken"), renew_s=0.1, on_change=jobs_fail)
    healthy = LeaseKeeper(Lease(sessions, duration_s=30, holder="healthy"), renew_s=0.1, on_change=lambda fence: None)
    broken.start()
    try:
        assert broken.leading is None, "elected, its jobs failed, it released the lease"
        healthy.start()
        # The broken one claims again every round and gives way again: the healthy one gets in between.
        assert wait_until(lambda: healthy.leading is not None, timeout_s=5)
    finally:
        broken.stop()
        healthy.stop()
