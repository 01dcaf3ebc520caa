"""A live broadcast on the node (`firmware_sim.live`): a real Icecast fed a tone by ffmpeg stands for the
session's mount, the real decoder and the file sink record what the horns received. The node goes back to
its schedule when the stream is lost, says so, and holds scheduled items while it is live."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from devices.icecast import IcecastServer
from devices.protocol import LiveSpec, PlaylistItem
from firmware_sim.config import NodeSettings
from firmware_sim.live import LiveBroadcasts
from firmware_sim.relay import RelayAccount, RelayTiming
from firmware_sim.sink import FileSink, PlayedAudio
from tests.tone_source import ToneSource, read_wav, tone_windows

TIMING = RelayTiming(reconnect_min_s=0.2, reconnect_max_s=0.5, stall_timeout_s=2.0, buffer_ms=500, check_timeout_s=3)
ItemKey = tuple[str, datetime, str]


class Node:
    """The parts of the agent a live broadcast uses: its output, what is on air, its reports."""

    def __init__(self, directory: Path, *, lost_timeout_s: float) -> None:
        settings = NodeSettings(device_code="LV-01", commune="XA", live_lost_timeout_s=lost_timeout_s)
        self.sink = FileSink(directory)
        self.on_air: dict[ItemKey, tuple[asyncio.Event, datetime]] = {}
        self.reports: list[tuple[str, PlayedAudio | None, str, RelayAccount | None]] = []
        self.live = LiveBroadcasts(
            settings,
            sink=lambda: self.sink,
            on_air=self.on_air,
            stop_on_air=self.stop_on_air,
            report=self.report,
            version=lambda: 1,
            now=lambda: datetime.now(UTC),
            timing=lambda: TIMING,
        )

    def stop_on_air(self) -> int:
        for stop, _ in self.on_air.values():
            stop.set()
        return len(self.on_air)

    async def report(
        self,
        item: PlaylistItem,
        version: int,
        played: PlayedAudio | None,
        detail: str,
        *,
        relay: RelayAccount | None = None,
        failed: bool = False,
    ) -> None:
        del version, failed
        self.reports.append((item.item_id, played, detail, relay))


def _spec(url: str, **fields: Any) -> LiveSpec:
    return LiveSpec(session_id="phien-thu-nghiem", url=url, title="Thông báo", **fields)


def test_a_lost_stream_ends_the_broadcast_and_the_node_says_so(icecast: IcecastServer, tmp_path: Path) -> None:
    node = Node(tmp_path / "rec", lost_timeout_s=1.5)
    station = ToneSource(icecast, "/live/phien.ogg", codec="ogg")
    station.start()

    async def run() -> tuple[bool, str, float]:
        ok, detail = await node.live.start(_spec(station.url))
        await asyncio.sleep(2.5)
        station.stop()  # the controller's encoder is gone: the mount disappears
        lost_at = time.monotonic()
        current = node.live.current
        assert current is not None, node.reports
        await current.task
        return ok, detail, time.monotonic() - lost_at

    try:
        ok, detail, ended_after_s = asyncio.run(run())
    finally:
        station.stop()
    assert ok and "Đang phát trực tiếp" in detail
    assert 1.0 < ended_after_s < 8.0, ended_after_s  # lost_timeout 1.5 s, plus the decoder noticing the loss
    ((item_id, played, said, account),) = node.reports
    assert item_id == "live-phien-thu-nghiem" and played is not None and account is not None
    assert "mất luồng phát trực tiếp" in said and "quay lại lịch phát" in said
    assert account.relayed_ms >= 500 and account.interruptions, account
    assert node.live.history[0][3] == "lost" and not node.live.on_air
    recording = next((tmp_path / "rec").glob("*_live-phien-thu-nghiem.wav"))
    heard = tone_windows(read_wav(recording))
    assert sum(heard) >= account.relayed_ms // 100 - 3, heard  # the tone was on air before the loss


def test_a_normal_broadcast_waits_for_the_item_on_air_and_holds_the_schedule(
    icecast: IcecastServer, tmp_path: Path
) -> None:
    node = Node(tmp_path / "rec", lost_timeout_s=3)
    scheduled = PlaylistItem(
        item_id="p1-0-bantin",
        title="Bản tin",
        asset_sha256="0" * 64,
        asset_url="/x",
        duration_ms=1000,
        starts_at=datetime.now(UTC),
    )

    async def run() -> tuple[str, float, float]:
        item_on_air = asyncio.Event()
        node.on_air[("p0", datetime.now(UTC), "1" * 64)] = (item_on_air, datetime.now(UTC) + timedelta(seconds=1))
        asyncio.get_running_loop().call_later(1.0, lambda: node.on_air.clear())
        started = time.monotonic()
        _, detail = await node.live.start(_spec(station.url))
        current = node.live.current
        assert current is not None
        await current.playing.wait()
        waited_s = time.monotonic() - started
        # A scheduled item due now waits for the broadcast, which ends 1.5 s later.
        asyncio.get_running_loop().call_later(1.5, lambda: asyncio.ensure_future(node.live.stop(_spec(""))))
        held_from = time.monotonic()
        await node.live.hold(scheduled)
        return detail, waited_s, time.monotonic() - held_from

    with ToneSource(icecast, "/live/phien.ogg", codec="ogg") as station:
        detail, waited_s, held_s = asyncio.run(run())
    assert "Chờ mục đang phát kết thúc" in detail
    assert 0.9 < waited_s < 2.0, waited_s
    assert 1.2 < held_s < 3.0, held_s
    ((_, _, said, _),) = node.reports
    assert "kết thúc theo lệnh" in said


def test_an_emergency_item_ends_a_normal_broadcast_instead_of_waiting(icecast: IcecastServer, tmp_path: Path) -> None:
    node = Node(tmp_path / "rec", lost_timeout_s=3)
    emergency = PlaylistItem(
        item_id="e1",
        title="Lũ",
        priority="emergency",
        asset_sha256="0" * 64,
        asset_url="/x",
        duration_ms=1000,
        starts_at=datetime.now(UTC),
    )

    async def run() -> float:
        await node.live.start(_spec(station.url))
        await asyncio.sleep(1.0)
        started = time.monotonic()
        await node.live.hold(emergency)
        return time.monotonic() - started

    with ToneSource(icecast, "/live/phien.ogg", codec="ogg") as station:
        held_s = asyncio.run(run())
    assert held_s < 1.0 and not node.live.on_air
