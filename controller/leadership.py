"""Which singleton jobs run on the leader, started when this instance is elected and stopped when it is not.

The lease itself lives in `schedules.lease` (publication checks its fence there). Every instance serves
HTTP and takes its share of node messages; only the leader runs, at most once in the installation:
- the publication jobs (APScheduler: the periodic republication and each commune's next publication),
  with the start-up announcement of every current playlist version;
- the health sweep with the play audit (heartbeats are recorded by every instance);
- the command timeout sweep;
- the source link's outbox sender and feed poller;
- the as-run sealer and the report filer.
"""

from __future__ import annotations

import logging
import threading

from controller.reports import start_play_sealer, start_report_filer
from controller.services import Services
from controller.source_link import start_feed_poller, start_report_sender
from devices.commands import TimeoutSweeper
from schedules.lease import Fence, Lease, LeaseKeeper

log = logging.getLogger(__name__)


class SingletonJobs:
    """Starts and stops the leader's jobs on `services` as leadership comes and goes."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._lock = threading.Lock()
        self.running = False

    def __call__(self, fence: Fence | None) -> None:
        """Start the jobs on election (all or none: a failure stops those started, and raises), stop them on
        deposition."""
        with self._lock:
            if fence is not None and not self.running:
                self.running = True
                try:
                    self._start()
                except BaseException:
                    self.running = False
                    self._stop()
                    raise
            elif fence is None and self.running:
                self.running = False
                self._stop()

    def _start(self) -> None:
        services = self._services
        services.start_scheduler()
        if services.commands is not None:
            sweeper = TimeoutSweeper(services.commands, services.settings.fleet.command_sweep_interval_s)
            sweeper.start()
            services.command_sweeper = sweeper
        if services.health is not None:
            services.health.start_sweep()
        services.feeds = start_feed_poller(services)
        services.reports = start_report_sender(services)
        services.sealer = start_play_sealer(services)
        services.filer = start_report_filer(services)

    def _stop(self) -> None:
        services = self._services
        if services.scheduler is not None:
            services.scheduler.shutdown()
            services.scheduler = None
        for name in ("filer", "sealer", "reports", "feeds", "command_sweeper"):
            worker = getattr(services, name)
            if worker is not None:
                worker.stop()
                setattr(services, name, None)
        if services.health is not None:
            services.health.stop_sweep()


def start_leadership(services: Services) -> LeaseKeeper:
    """Claim the lease (on SQLite at once: one instance only runs there) and keep claiming it.

    The first claim happens before this returns, so a lone instance runs its jobs before it serves.
    """
    scheduler = services.settings.scheduler
    lease = Lease(services.sessions, duration_s=scheduler.leader_hold_s)
    keeper = LeaseKeeper(
        lease,
        renew_s=scheduler.leader_renew_s,
        on_change=SingletonJobs(services),
        force=services.engine.dialect.name == "sqlite",
    )
    services.leadership = keeper
    keeper.start()
    return keeper
