"""Faults a test or demo can inject into a running node agent, the way they happen in the field.

The agent consults this object at the points where the real fault would bite: the network link, the
next audio download, its own clock, and the amplifier. Changing a field takes effect at once.

From outside the process, write `<state_dir>/faults.json` (`python -m firmware_sim fault ...` does):
the agent applies the file each time it changes (checked every `fault_poll_interval_s`). Keys, all
optional: `network_cut_until` (ISO time, UTC), `clock_skew_s`, `amplifier_failed`, `corrupt_downloads`,
`http_cut_until` (ISO time, UTC: only the controller's HTTP is unreachable).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

FAULTS_FILE = "faults.json"


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
    # Until this instant (UTC) the controller's HTTP is unreachable but the broker is not (a blocked
    # port, a dead web server): only what arrives over MQTT and what is cached can play.
    http_cut_until: datetime | None = None
    history: list[str] = field(default_factory=list)

    def cut_network(self, seconds: float) -> None:
        self.network_cut_until = datetime.now(UTC) + timedelta(seconds=seconds)
        self.history.append(f"network cut for {seconds:g} s")

    def network_down(self) -> bool:
        return self.network_cut_until is not None and datetime.now(UTC) < self.network_cut_until

    def http_down(self) -> bool:
        return self.http_cut_until is not None and datetime.now(UTC) < self.http_cut_until

    def take_corruption(self) -> bool:
        """True (once per injected corruption) when the download now arriving must be damaged."""
        if self.corrupt_downloads <= 0:
            return False
        self.corrupt_downloads -= 1
        return True

    def apply(self, spec: dict[str, Any]) -> None:
        """Set the faults a `faults.json` names; keys it leaves out keep their value."""
        if "network_cut_until" in spec:
            until = spec["network_cut_until"]
            self.network_cut_until = datetime.fromisoformat(until) if until else None
        if "clock_skew_s" in spec:
            self.clock_skew_s = float(spec["clock_skew_s"])
        if "amplifier_failed" in spec:
            self.amplifier_failed = bool(spec["amplifier_failed"])
        if "corrupt_downloads" in spec:
            self.corrupt_downloads = int(spec["corrupt_downloads"])
        if "http_cut_until" in spec:
            until = spec["http_cut_until"]
            self.http_cut_until = datetime.fromisoformat(until) if until else None
        self.history.append(f"applied {json.dumps(spec, sort_keys=True)}")


class FaultsFile:
    """`<state_dir>/faults.json`, read again whenever its modification time changes."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / FAULTS_FILE
        self._seen: int | None = None

    def changed(self) -> bool:
        """Whether the file changed since the last call (a stat; a missing file has not)."""
        try:
            stamp = self.path.stat().st_mtime_ns
        except OSError:
            return False
        if stamp == self._seen:
            return False
        self._seen = stamp
        return True

    def read(self) -> dict[str, Any] | None:
        """The file's content (None if unreadable or not an object)."""
        try:
            spec = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        return spec if isinstance(spec, dict) else None


def fault_spec(
    *,
    cut_network_s: float | None = None,
    clock_skew_s: float | None = None,
    amplifier_failed: bool | None = None,
    corrupt_downloads: int | None = None,
    cut_http_s: float | None = None,
    clear: bool = False,
) -> dict[str, Any]:
    """The content of a `faults.json` for these faults (what the `fault` command writes)."""
    spec: dict[str, Any] = (
        {
            "network_cut_until": None,
            "clock_skew_s": 0.0,
            "amplifier_failed": False,
            "corrupt_downloads": 0,
            "http_cut_until": None,
        }
        if clear
        else {}
    )
    if cut_network_s is not None:
        spec["network_cut_until"] = (datetime.now(UTC) + timedelta(seconds=cut_network_s)).isoformat()
    if clock_skew_s is not None:
        spec["clock_skew_s"] = clock_skew_s
    if amplifier_failed is not None:
        spec["amplifier_failed"] = amplifier_failed
    if corrupt_downloads is not None:
        spec["corrupt_downloads"] = corrupt_downloads
    if cut_http_s is not None:
        spec["http_cut_until"] = (datetime.now(UTC) + timedelta(seconds=cut_http_s)).isoformat()
    # A unique stamp, so that writing the same faults twice (cut again for 60 s) still counts as a change.
    spec["written_at"] = datetime.now(UTC).isoformat()
    return spec
