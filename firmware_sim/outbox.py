"""Proof-of-play reports waiting to be sent: one file each, deleted only after the broker acknowledged it."""

from __future__ import annotations

from pathlib import Path

from devices.protocol import PlayReport, ProtocolError, decode, encode
from firmware_sim.state import write_atomically


class Outbox:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def put(self, report: PlayReport) -> None:
        write_atomically(self.root / f"{report.report_id}.json", encode(report))

    def pending(self) -> list[PlayReport]:
        """Queued reports, oldest first; an unreadable file is set aside, not retried forever."""
        reports: list[tuple[float, PlayReport]] = []
        for path in self.root.glob("*.json"):
            try:
                reports.append((path.stat().st_mtime, decode(PlayReport, path.read_bytes())))
            except (OSError, ProtocolError):
                path.rename(path.with_suffix(".bad"))
        return [report for _, report in sorted(reports, key=lambda pair: pair[0])]

    def done(self, report: PlayReport) -> None:
        (self.root / f"{report.report_id}.json").unlink(missing_ok=True)

    def __len__(self) -> int:
        return sum(1 for _ in self.root.glob("*.json"))
