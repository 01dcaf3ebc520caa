"""Noticing a cluster's MQTT identity used from two places at once (a stolen node password).

mosquitto binds the client id to the username, so a second client logging in with a node's password
takes the session over: the broker drops the real node, which reconnects and takes it back, and so on,
every few seconds. Each time the real node comes back it publishes a birth (`state` "online") with a
new `session_seq`; an impostor running a node agent publishes its own. The signal is therefore the
number of distinct births (session number and time) heard for one cluster within a sliding window.

A normal restart or reconnect is one birth; a reboot command, one; even a poor 4G link needs a
keep-alive timeout (1.5 x 30 s) to notice a drop, so a genuine cluster seldom reconnects more than a
handful of times in five minutes, while a takeover fight makes one birth every second or two. A
retained birth delivered again (the controller reconnected) has the same session number and time and
is not counted twice. Kept in memory: each controller instance hears every birth.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime


class IdentityWatch:
    """`birth(device_id, session_seq, at)` returns how many distinct births fell within the window when
    that reaches `births_max`, else None."""

    def __init__(self, *, window_s: float, births_max: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self.births_max = births_max
        self._clock = clock
        self._births: dict[int, deque[tuple[float, tuple[int, datetime | None]]]] = {}
        self._lock = threading.Lock()

    def birth(self, device_id: int, session_seq: int, at: datetime | None) -> int | None:
        now = self._clock()
        key = (session_seq, at)
        with self._lock:
            # At most births_max kept: enough to count up to the alert, and a flood of births costs no more.
            births = self._births.setdefault(device_id, deque(maxlen=self.births_max))
            while births and now - births[0][0] > self.window_s:
                births.popleft()
            if any(seen == key for _, seen in births):
                return None  # the same birth again (retained, or a retried batch)
            births.append((now, key))
            count = len(births)
        return count if count >= self.births_max else None
