"""The thread that seals new proof of play into the as-run log's chain every `seal_interval_s`, and rolls up
the planned items of days that are over (`reports.planned`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from audio_library.timestamps import utc_now
from reports.ledger import seal_plays
from reports.periodic import Periodic
from reports.planned import RollupCollision, roll_up_planned
from reports.settings import ReportSettings

log = logging.getLogger(__name__)


class PlaySealer:
    """Seals plays in batches until none is left, each batch in its own transaction; then waits."""

    def __init__(self, sessions: Callable[[], Session], settings: ReportSettings, zone: ZoneInfo) -> None:
        self._sessions = sessions
        self._settings = settings
        self._zone = zone
        interval = settings.seal_interval_s
        self._worker = Periodic("as-run-sealer", self.seal_once, interval_s=interval, first_delay_s=interval)
        self._stop = self._worker.stopping

    def start(self) -> None:
        self._worker.start()

    def stop(self) -> None:
        self._worker.stop()

    def seal_once(self) -> int:
        """Seal every play waiting; how many. Another controller sealing the same plays makes this round stop
        (its commit fails on the chain's unique place); what is left is sealed on the next."""
        sealed = 0
        while not self._stop.is_set():
            with self._sessions() as session:
                try:
                    count = seal_plays(session, self._zone, limit=self._settings.seal_batch)
                    session.commit()
                except IntegrityError:
                    session.rollback()
                    log.info("as-run sealing collided with another controller; retrying next round")
                    return sealed
            sealed += count
            if count < self._settings.seal_batch:
                break
        self.roll_up_planned()
        return sealed

    def roll_up_planned(self) -> None:
        """Roll up the planned items of the days that are over, in their own transaction."""
        with self._sessions() as session:
            try:
                roll_up_planned(session, self._zone, today=utc_now().astimezone(self._zone).date())
                session.commit()
            except (IntegrityError, RollupCollision):
                session.rollback()
                log.info("planned roll-up collided with another controller; it has rolled those days up")
