"""Faults a test or demo can inject into a running node agent, the way they happen in the field.

The agent consults this object at the points where the real fault would bite: the network link, the
next audio download, its own clock, and the amplifier. Changing a field takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass
class Faults:
    # Until this instant (UTC) the node has no network: MQTT and HTTP both fail.
    network_cut_until: datetime | None = None
    # Added to the node's clock reading (a node whose RTC drifted, or whose NTP is wrong).
    clock_skew_s: float = 0.0
    # The amplifier reports a fault and plays nothing.
    amplifier_failed: bool = False
    # The next N audio downloads arrive with flipped bytes (a bad link or a broken proxy).
    corrupt_downloads: int = 0
    history: list[str] = field(default_factory=list)

    def cut_network(self, seconds: float) -> None:
        self.network_cut_until = datetime.now(UTC) + timedelta(seconds=seconds)
        self.history.append(f"network cut for {seconds:g} s")

    def network_down(self) -> bool:
        return self.network_cut_until is not None and datetime.now(UTC) < self.network_cut_until

    def take_corruption(self) -> bool:
        """True (once per injected corruption) when the download now arriving must be damaged."""
        if self.corrupt_downloads <= 0:
            return False
        self.corrupt_downloads -= 1
        return True
