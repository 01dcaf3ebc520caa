"""A ceiling on how fast one address may read the public site, in this process's memory.

The login throttle (`controller.access.throttle`) keeps a database row per wrong password, which suits a
rare, security-relevant event. Public reads are the opposite: frequent, anonymous and harmless one by one,
so a database write per read would let anyone turn page views into write load. This counts in memory,
per fixed window, per controller instance. Behind N instances each sees about 1/N of an address's
requests, so the installation's limit is counted where every request passes: the load balancer
(`systemd/haproxy-loaxa.cfg`, a stick table with the same limit and window), and this count is what a
single instance without one relies on. The address is the one uvicorn settled on (forwarded headers only from
`web.trusted_proxies`), as for the login throttle.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from public_site.errors import TooManyRequests
from public_site.settings import PublicSiteSettings


@dataclass
class VisitorRate:
    """At most `limit` requests per address within each window of `window_s` seconds."""

    limit: int
    window_s: float
    clock: Callable[[], float] = time.monotonic
    _window: int = -1
    _counts: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_settings(cls, settings: PublicSiteSettings, clock: Callable[[], float] = time.monotonic) -> VisitorRate:
        return cls(settings.rate_limit_requests, settings.rate_limit_window_s, clock)

    def check(self, address: str) -> None:
        """Count one request; TooManyRequests (with Retry-After) once the address is over the limit."""
        now = self.clock()
        window = math.floor(now / self.window_s)
        with self._lock:
            if window != self._window:
                # A new window forgets every address: memory holds one window's visitors at most.
                self._window, self._counts = window, {}
            count = self._counts.get(address[:64], 0) + 1
            self._counts[address[:64]] = count
        if count > self.limit:
            raise TooManyRequests((window + 1) * self.window_s - now)
