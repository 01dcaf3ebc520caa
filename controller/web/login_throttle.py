"""Refusing logins after too many wrong passwords, per username and client address."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    """At most `max_failures` wrong passwords per (username, address) within `window_s`; then wait.

    In memory, per controller process: enough against guessing through one console; the argon2 cost
    slows any single attempt anyway. `clock` is injected so tests need not sleep.
    """

    def __init__(self, max_failures: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        now = self._clock()
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        return failures

    def retry_after_s(self, username: str, address: str) -> float:
        """0 when a login may be tried now; otherwise the seconds until the oldest failure expires."""
        key = (username.strip().lower(), address)
        with self._lock:
            failures = self._recent(key)
            if len(failures) < self.max_failures:
                if not failures:
                    self._failures.pop(key, None)
                return 0.0
            return max(0.0, failures[0] + self.window_s - self._clock())

    def failed(self, username: str, address: str) -> None:
        key = (username.strip().lower(), address)
        with self._lock:
            self._recent(key).append(self._clock())

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop((username.strip().lower(), address), None)
