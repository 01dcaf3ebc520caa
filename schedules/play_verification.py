"""Is a play report proof of play? Only if it matches what the controller actually sent that cluster.

A node's own password lets it publish any report on its own `play` topic. A report counts only when it
names, for the cluster's own commune:
- an item recorded in `published_item` (any published version) with this id and scheduled start, that
  targets this cluster, with this audio (its Opus file, or its MP3 rendition for a legacy node); an
  emergency reaches nodes the same way, through the playlist;
- or a play_now command sent to this very device (its `device_command` row) with this item and audio,
  whose start the node put near the command's issue time.

Anything else gets a flag reason (devices/proof_of_play.py) and is kept for investigation. It lives in
schedules/ because it reads the published items; the uplink handler (devices/) is handed it as a callback.
Cost: one indexed lookup per report, plus one when the audio differs (MP3 rendition) or nothing was
published (play_now rows of that device).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from audio_library.asset import AudioAsset
from devices.commands import DeviceCommand
from devices.proof_of_play import FlagReason
from devices.protocol import PlayReport
from devices.registry import Commune, Device
from schedules.published_item import published_matches


class PlayVerifier:
    """`flag(session, device, report)`: None when the report is proof of play, else why it is not.

    `clock_slack`: how far a node's clock may be from the controller's for its play_now report to
    count; `command_timeout`: how long after issue a play_now may still start.
    """

    def __init__(
        self,
        *,
        clock_slack: timedelta,
        command_timeout: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.clock_slack = clock_slack
        self.command_timeout = command_timeout
        self._clock = clock  # real time: nodes report what they aired by their (synchronised) real clock

    def flag(self, session: Session, device: Device, report: PlayReport) -> FlagReason | None:
        commune = session.get(Commune, device.commune_id)
        if commune is None or commune.code != report.commune:
            return "other_commune"
        matches = published_matches(session, device.commune_id, report.item_id, report.scheduled_start)
        mine = [m for m in matches if m.is_for(device.code)]
        if mine:
            shas = {m.asset_sha256 for m in mine}
            if report.asset_sha256 in shas or self._is_mp3_of(session, report.asset_sha256, shas):
                return self._airing(report)
        if self._sent_by_play_now(session, device, report) or self._sent_by_live(session, device, report):
            return self._airing(report)
        if mine:
            return "wrong_audio"
        return "other_cluster" if matches else "not_sent"

    def _airing(self, report: PlayReport) -> FlagReason | None:
        """For a report of something sent to this node: did it air then, and was it that audio?"""
        if self._implausible_time(report, self._clock()):
            return "implausible_time"
        # A relay has no file to hash: the stream it names (asset_sha256) was matched to what was published.
        relay = report.relayed_ms is not None
        if not relay and report.outcome in ("played", "interrupted") and report.played_sha256 != report.asset_sha256:
            return "wrong_audio"  # a node hashes the whole file it played: it must be the file it was sent
        return None

    def _implausible_time(self, report: PlayReport, now: datetime) -> bool:
        """Aired in the future (by more than the clock slack), or started further than that from its start.

        A node starts an item at most its late-start tolerance (seconds) after the start, and its clock is
        within `clock_slack` of ours; a report beyond both was not made by a node airing that item.
        """
        future = now + self.clock_slack
        if max(report.scheduled_start, report.started_at, report.ended_at) > future:
            return True
        aired = report.outcome in ("played", "interrupted")
        return aired and abs(report.started_at - report.scheduled_start) > self.clock_slack

    @staticmethod
    def _is_mp3_of(session: Session, sha256: str, originals: set[str]) -> bool:
        row = session.exec(
            select(AudioAsset.sha256).where(col(AudioAsset.sha256).in_(originals), AudioAsset.mp3_sha256 == sha256)
        ).first()
        return row is not None

    def _sent_by_live(self, session: Session, device: Device, report: PlayReport) -> bool:
        """A live broadcast (`live-{session}`, protocol 1.6): a live_start of that session reached this node
        before it started (a normal broadcast may wait for the item on air, up to the item's length)."""
        if not report.item_id.startswith("live-") or report.relayed_ms is None:
            return False
        session_id = report.item_id.removeprefix("live-")
        rows = session.exec(
            select(DeviceCommand).where(
                DeviceCommand.device_id == device.id,
                DeviceCommand.name == "live_start",
                col(DeviceCommand.issued_at) <= report.scheduled_start + self.clock_slack,
            )
        ).all()
        return any((row.parameters.get("live") or {}).get("session_id") == session_id for row in rows)

    def _sent_by_play_now(self, session: Session, device: Device, report: PlayReport) -> bool:
        start: datetime = report.scheduled_start
        rows = session.exec(
            select(DeviceCommand).where(
                DeviceCommand.device_id == device.id,
                DeviceCommand.name == "play_now",
                DeviceCommand.asset_sha256 == report.asset_sha256,
                col(DeviceCommand.issued_at) >= start - self.command_timeout - self.clock_slack,
                col(DeviceCommand.issued_at) <= start + self.clock_slack,
            )
        ).all()
        return any((row.parameters.get("item") or {}).get("item_id") == report.item_id for row in rows)
