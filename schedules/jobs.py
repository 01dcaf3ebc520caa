"""APScheduler 3 wiring: persistent jobs that publish each commune's playlist ahead of its airtimes.

Two kinds of job, both module-level functions taking only strings (so the SQLAlchemy job store can
persist them in the project's database and a restarted controller finds them):
- `republish_every_commune`, every `republish_interval_s` and once at start-up: recompiles every
  playlist as the horizon moves, and plans each commune's next publication;
- `publish_commune`, one per commune (id `publish:<commune>`), at the next airtime beyond the published
  horizon minus `publish_lead_min`.

Restart safety rests on three things: jobs coalesce and run late within `misfire_grace_s`; publishing is
idempotent (same content, same version and ETag: `publish_playlist`), so a job run twice changes nothing;
and the jobs are derived state: at start-up every playlist is recompiled from the database, every
commune's next job is planned again and every current version is announced again (retained), so a
kill between storing a version and announcing it, or while a job ran, loses nothing.

Only the leader runs the scheduler (`schedules.lease`); each job publishes under the leader's fence, so a
job still running in a deposed leader stores nothing, and makes its instance step down.

A job finds the controller's sessions and notifier through a context registered under a key (a hash of
the database URL) by the process that runs the scheduler: APScheduler stores only a reference to the
function and its arguments, never live objects.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from audio_library.errors import LoaxaError
from audio_library.timestamps import utc_now
from devices.registry import Commune, get_commune
from schedules.clock import Clock
from schedules.lease import Fence, Lease, NotLeader
from schedules.planning import Planning
from schedules.publication import Notifier, announce_all, notice_for, publish_playlist, republish_all
from schedules.published_item import prune_published_items
from schedules.settings import SchedulerSettings
from schedules.timetable import commune_timetable

log = logging.getLogger(__name__)

REPUBLISH_JOB_ID = "republish-all"
# Beyond the published horizon, look this far for the next airtime to plan a publication for; a commune
# with nothing in that day is planned again by the next periodic pass.
PLANNING_LOOKAHEAD = timedelta(days=1)


@dataclass(frozen=True)
class JobContext:
    sessions: Callable[[], Session]
    notify: Notifier
    clock: Clock
    settings: SchedulerSettings
    # The leader's lease (None: a scheduler that publishes unfenced, e.g. in a test of its own).
    lease: Lease | None = None
    # Called when a job finds this instance no longer leads: the controller stops its singleton jobs.
    step_down: Callable[[], None] = lambda: None

    def fence(self) -> Fence | None:
        """The fence to publish under; NotLeader if this instance has a lease but no longer holds it."""
        if self.lease is None:
            return None
        fence = self.lease.fence
        if fence is None:
            raise NotLeader(f"{self.lease.holder} does not hold lease {self.lease.name!r}")
        return fence

    @property
    def horizon(self) -> timedelta:
        return timedelta(hours=self.settings.playlist_horizon_h)

    @property
    def lookback(self) -> timedelta:
        return timedelta(minutes=self.settings.max_item_duration_min)

    @property
    def planning(self) -> Planning:
        return self.settings.planning()


_contexts: dict[str, JobContext] = {}
_schedulers: dict[str, PlaylistScheduler] = {}


def context_key(database_url: str) -> str:
    """Stable across restarts of one installation, distinct between databases (and never the URL itself)."""
    return hashlib.sha256(database_url.encode()).hexdigest()[:16]


def publish_commune(key: str, commune_code: str) -> None:
    """Job: publish the commune's playlist (a no-op if nothing changed), then plan its next publication."""
    context, scheduler = _contexts.get(key), _schedulers.get(key)
    if context is None or scheduler is None:
        log.warning("publication job for %s has no running controller (key %s)", commune_code, key)
        return
    try:
        with context.sessions() as session:
            commune = get_commune(session, commune_code)
            stored, changed = publish_playlist(
                session,
                commune,
                now=context.clock(),
                horizon=context.horizon,
                lookback=context.lookback,
                planning=context.planning,
                fence=context.fence(),
            )
            session.commit()
        if changed:
            context.notify(notice_for(commune, stored))
            log.info("published %s v%d ahead of airtime", commune_code, stored.version)
    except NotLeader as exc:
        log.warning("publication of %s refused, stepping down: %s", commune_code, exc)
        context.step_down()
        return
    except Exception:
        log.exception("publication job for %s failed", commune_code)
    scheduler.plan(commune_code)


def republish_every_commune(key: str) -> None:
    """Job: recompile every commune's playlist as the horizon moves, and plan each one's next publication."""
    context, scheduler = _contexts.get(key), _schedulers.get(key)
    if context is None or scheduler is None:
        log.warning("republication job has no running controller (key %s)", key)
        return
    now = context.clock()
    try:
        republish_all(
            context.sessions,
            context.notify,
            now=now,
            horizon=context.horizon,
            lookback=context.lookback,
            planning=context.planning,
            fence=_fence_of(context) if context.lease is not None else None,
        )
    except NotLeader as exc:
        log.warning("republication refused, stepping down: %s", exc)
        context.step_down()
        return
    scheduler.plan_all()
    try:
        with context.sessions() as session:
            retention = timedelta(days=context.settings.published_item_retention_days)
            if pruned := prune_published_items(session, before=now - retention):
                log.info("forgot %d published items older than %s", pruned, retention)
            session.commit()
    except Exception:
        log.exception("pruning published items failed; next try at the next republication")


def _fence_of(context: JobContext) -> Callable[[], Fence]:
    def current() -> Fence:
        fence = context.fence()
        assert fence is not None
        return fence

    return current


def next_publication(context: JobContext, session: Session, commune: Commune) -> datetime | None:
    """When the commune's next airtime beyond the published horizon must be published (its start - lead)."""
    now = context.clock()
    start = now + context.horizon
    timetable = commune_timetable(
        session, commune, start=start, end=start + PLANNING_LOOKAHEAD, planning=context.planning
    )
    upcoming = [item.starts_at for item in timetable.items if item.starts_at >= start]
    if not upcoming:
        return None
    return max(now, min(upcoming) - timedelta(minutes=context.settings.publish_lead_min))


class PlaylistScheduler:
    """A BackgroundScheduler whose jobs live in the project's database (`apscheduler_jobs`, migration 0003)."""

    def __init__(self, engine: Engine, database_url: str, context: JobContext) -> None:
        self.key = context_key(database_url)
        self.context = context
        settings = context.settings
        self._scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename="apscheduler_jobs")},
            job_defaults={"coalesce": True, "misfire_grace_time": settings.misfire_grace_s, "max_instances": 1},
            timezone=ZoneInfo(settings.timezone),
        )

    def start(self) -> None:
        """Register the context, announce every current version again, start jobs (missed ones run now)."""
        _contexts[self.key] = self.context
        _schedulers[self.key] = self
        announce_all(self.context.sessions, self.context.notify)
        self._scheduler.start()
        self._scheduler.add_job(
            republish_every_commune,
            "interval",
            seconds=self.context.settings.republish_interval_s,
            args=[self.key],
            id=REPUBLISH_JOB_ID,
            replace_existing=True,
            next_run_time=utc_now(),  # the start-up pass
        )

    def shutdown(self) -> None:
        self._scheduler.shutdown(wait=False)
        if _schedulers.get(self.key) is self:
            del _schedulers[self.key]
            del _contexts[self.key]

    def _real_time(self, moment: datetime) -> datetime:
        """APScheduler runs on the real clock: move a moment of the injected clock onto it."""
        return moment - (self.context.clock() - utc_now())

    def plan(self, commune_code: str) -> None:
        """(Re)plan the commune's next publication job; none when nothing is due beyond the horizon."""
        job_id = f"publish:{commune_code}"
        try:
            with self.context.sessions() as session:
                due = next_publication(self.context, session, get_commune(session, commune_code))
        except (LoaxaError, SQLAlchemyError) as exc:
            # The change itself is stored and published; the next periodic pass plans again.
            log.warning("cannot plan the next publication of %s: %s", commune_code, exc)
            due = None
        if due is None:
            if self._scheduler.get_job(job_id) is not None:
                self._scheduler.remove_job(job_id)
            return
        self._scheduler.add_job(
            publish_commune,
            "date",
            run_date=self._real_time(due),
            args=[self.key, commune_code],
            id=job_id,
            replace_existing=True,
        )

    def plan_all(self) -> None:
        with self.context.sessions() as session:
            codes = [c.code for c in session.exec(select(Commune))]
        for code in codes:
            self.plan(code)
