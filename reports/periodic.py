"""A background thread that does one round of work every so often until stopped (the sealer, the filer)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    """Runs `round` after `first_delay_s`, then every `interval_s`; a failed round is logged and the next one
    tries again, so the controller keeps serving."""

    def __init__(self, name: str, round: Callable[[], object], *, interval_s: float, first_delay_s: float) -> None:
        self._round = round
        self._interval_s = interval_s
        self._first_delay_s = first_delay_s
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def _run(self) -> None:
        delay = self._first_delay_s
        while not self.stopping.wait(delay):
            delay = self._interval_s
            try:
                self._round()
            except Exception:
                log.exception("%s: a round failed; the next one tries again", self._thread.name)
