"""The publication jobs against a real database and a real APScheduler with its SQLAlchemy job store."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from audio_library.timestamps import utc_now
from controller.db import make_engine, session_factory
from controller.settings import DatabaseSettings
from devices.protocol import PlaylistNotice
from devices.registry import Commune, add_commune, add_province, get_commune
from schedules import SchedulerSettings, current_playlist, schedule_broadcast
from schedules.clock import ShiftedClock
from schedules.jobs import JobContext, PlaylistScheduler, next_publication, publish_commune
from schedules.lease import Lease
from tests.harness import wait_until
from tests.schedules.test_publication import approved_bulletin, quiet_hours_away_from

SETTINGS = SchedulerSettings(playlist_horizon_h=24, publish_lead_min=30, republish_interval_s=3600)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(DatabaseSettings(url=database_url))
    yield engine
    engine.dispose()


def _commune_with_airing(sessions: Callable[[], Session], tmp_path: Path, hours_ahead: float) -> None:
    now = utc_now()
    with sessions() as session:
        commune = add_commune(session, add_province(session, "P", "Tỉnh"), "XA", "Xã")
        bulletin = approved_bulletin(session, commune, tmp_path)
        quiet_hours_away_from(session, commune, now + timedelta(hours=hours_ahead))
        schedule_broadcast(
            session,
            bulletin,
            commune,
            now + timedelta(hours=hours_ahead),
            created_by=bulletin.author_id,
            now=now,
            lookback=timedelta(hours=2),
        )
        session.commit()


def test_next_publication_is_the_first_airtime_beyond_the_horizon_minus_the_lead(
    engine: Engine, tmp_path: Path
) -> None:
    sessions = session_factory(engine)
    _commune_with_airing(sessions, tmp_path, hours_ahead=30)
    clock = ShiftedClock()
    context = JobContext(sessions, lambda notice: None, clock, SETTINGS)
    with sessions() as session:
        commune = current_commune(session)
        due = next_publication(context, session, commune)
        assert due is not None
        assert abs((due - (utc_now() + timedelta(hours=29, minutes=30))).total_seconds()) < 5
        # Seven hours later the airing is inside the horizon: nothing further to plan.
        clock.shift = timedelta(hours=7)
        assert next_publication(context, session, commune) is None


def current_commune(session: Session) -> Commune:
    return get_commune(session, "XA")


def test_jobs_are_idempotent_survive_a_bad_commune_and_persist(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    sessions = session_factory(engine)
    _commune_with_airing(sessions, tmp_path, hours_ahead=30)
    notices: list[PlaylistNotice] = []
    scheduler = PlaylistScheduler(engine, database_url, JobContext(sessions, notices.append, ShiftedClock(), SETTINGS))
    scheduler.start()
    try:
        # The start-up pass publishes version 1 (empty: the airing is beyond the horizon) and plans the job.
        assert wait_until(lambda: len(notices) == 1, 10), notices
        publish_commune(scheduler.key, "XA")
        publish_commune(scheduler.key, "XA")  # a job run twice (e.g. after a crash) changes nothing
        publish_commune(scheduler.key, "NO-SUCH-COMMUNE")  # logged, not raised
        publish_commune(scheduler.key, "XA")
        with sessions() as session:
            stored = current_playlist(session, current_commune(session))
            assert stored is not None and stored.version == 1
        assert [n.version for n in notices] == [1]
    finally:
        scheduler.shutdown()
    # The commune's next publication is stored in the database, for the next process to find.
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, next_run_time FROM apscheduler_jobs ORDER BY id")).all()
    jobs = {row[0]: row[1] for row in rows}
    assert set(jobs) == {"publish:XA", "republish-all"}
    expected = (utc_now() + timedelta(hours=29, minutes=30)).timestamp()
    assert abs(jobs["publish:XA"] - expected) < 5


def test_a_scheduler_whose_lease_was_taken_over_publishes_nothing_and_steps_down(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    sessions = session_factory(engine)
    _commune_with_airing(sessions, tmp_path, hours_ahead=2)  # inside the horizon: a publication would store it
    stale = Lease(sessions, duration_s=0.2, holder="paused")
    assert stale.claim() is not None
    time.sleep(0.3)  # the leader was paused past its lease; another instance took over
    assert Lease(sessions, duration_s=60, holder="new").claim() is not None
    stepped_down = threading.Event()
    notices: list[PlaylistNotice] = []
    context = JobContext(sessions, notices.append, ShiftedClock(), SETTINGS, lease=stale, step_down=stepped_down.set)
    scheduler = PlaylistScheduler(engine, database_url, context)
    scheduler.start()  # its start-up pass runs under the fence it still believes it holds
    try:
        assert stepped_down.wait(10), "the refused publication made it step down"
        publish_commune(scheduler.key, "XA")
        with sessions() as session:
            assert current_playlist(session, current_commune(session)) is None, "nothing was stored"
        assert notices == []
    finally:
        scheduler.shutdown()
