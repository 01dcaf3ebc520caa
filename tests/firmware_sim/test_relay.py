"""Relaying a live stream on the node: a real Icecast fed a tone by ffmpeg, the real decoder (ffmpeg) and
the file sink recording what the horns received. Short relays, so real time stays small."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from devices.icecast import IcecastServer
from devices.protocol import PlaylistItem, StreamSpec, stream_asset_sha256
from firmware_sim.relay import RelayTiming, StreamRelay, check_stream
from firmware_sim.sink import FileSink, PlayedAudio
from tests.tone_source import ToneSource, read_wav, tone_windows

TIMING = RelayTiming(reconnect_min_s=0.2, reconnect_max_s=0.8, stall_timeout_s=2.0, buffer_ms=500, check_timeout_s=3)


def relay_item(url: str, duration_ms: int) -> PlaylistItem:
    return PlaylistItem(
        item_id="p1-0-relay",
        title="VOV1",
        asset_sha256=stream_asset_sha256(url),
        asset_url=url,
        duration_ms=duration_ms,
        starts_at=datetime.now(UTC),
        stream=StreamSpec(url=url, source="VOV1"),
    )


def relay(
    url: str,
    duration_ms: int,
    directory: Path,
    *,
    fill_pcm: bytes | None = None,
    stop_after_s: float | None = None,
    preroll_s: float = 0.0,
) -> tuple[StreamRelay, PlayedAudio, bytes]:
    item = relay_item(url, duration_ms).model_copy(
        update={"starts_at": datetime.now(UTC) + timedelta(seconds=preroll_s)}
    )
    sink = FileSink(directory)
    streamer = StreamRelay(item, TIMING, fill_pcm=fill_pcm, now=lambda: datetime.now(UTC))

    async def run() -> PlayedAudio:
        if preroll_s:
            streamer.connect()
            await asyncio.sleep(preroll_s)
        stop = asyncio.Event()
        if stop_after_s is not None:
            asyncio.get_running_loop().call_later(stop_after_s, stop.set)
        return await sink.play_stream(item, streamer.chunks(stop), stop)

    played = asyncio.run(run())
    (line,) = [json.loads(x) for x in (directory / "playlog.jsonl").read_text().splitlines()]
    assert line["stream"] == url and line["sha256"] == played.played_sha256
    return streamer, played, read_wav(directory / line["recording"])


def test_a_live_stream_is_relayed_for_its_duration(icecast: IcecastServer, tmp_path: Path) -> None:
    with ToneSource(icecast, "/vov1.mp3") as tone:
        # Connected ahead of the start (as the agent does, `prepare_ahead_s`): on air from the first tick.
        streamer, played, pcm = relay(tone.url, 4000, tmp_path, preroll_s=1.5)
    assert abs(len(pcm) / 96 - 4000) < 100  # the item's duration, paced by the clock, to within one 100 ms tick
    assert abs((played.ended_at - played.started_at).total_seconds() - 4.0) < 0.3
    windows = tone_windows(pcm)
    assert all(windows), "".join("T" if w else "." for w in windows)
    assert streamer.account.relayed_ms >= 3500 and streamer.account.interruptions == []
    assert not played.interrupted


def test_a_drop_is_bridged_and_reported(icecast: IcecastServer, tmp_path: Path) -> None:
    tone = ToneSource(icecast, "/vov1.mp3")
    tone.start()

    def drop() -> None:
        time.sleep(2.0)
        tone.stop()
        time.sleep(2.0)
        tone.start()

    dropper = threading.Thread(target=drop)
    dropper.start()
    try:
        streamer, _, pcm = relay(tone.url, 9000, tmp_path)
    finally:
        dropper.join()
        tone.stop()
    windows = tone_windows(pcm)
    account = streamer.account
    assert len(account.interruptions) == 1, account
    (gap,) = account.interruptions
    assert gap.filled == "silence" and 1000 < gap.duration_ms < 5000, gap
    assert windows[-10:] == [True] * 10, windows  # back on the stream well before the end
    assert windows.count(False) * 100 >= gap.duration_ms - 500
    assert streamer.connections == 2
    assert account.relayed_ms + gap.duration_ms <= 9000 + 200


def test_an_unreachable_source_airs_the_fill_and_an_emergency_stops_it(tmp_path: Path) -> None:
    fill = bytes(range(256)) * 400  # any recognisable PCM
    streamer, played, pcm = relay("http://127.0.0.1:1/vov1.mp3", 10_000, tmp_path, fill_pcm=fill, stop_after_s=1.5)
    assert played.interrupted and abs(len(pcm) / 96 - 1500) < 150
    assert streamer.account.relayed_ms == 0
    (gap,) = streamer.account.interruptions
    assert gap.filled == "stock" and "refused" in gap.reason.lower()
    assert fill[:9600] in pcm  # the fill aired, from its start


def test_check_ahead(icecast: IcecastServer) -> None:
    with ToneSource(icecast, "/vov1.mp3") as tone:
        assert asyncio.run(check_stream(tone.url, 3)) is None
    problem = asyncio.run(check_stream(icecast.mount_url("/vov1.mp3"), 3))
    assert problem is not None and "404" in problem
    assert asyncio.run(check_stream("http://127.0.0.1:1/x.mp3", 3)) is not None


def test_interruptions_are_bounded_in_a_report() -> None:
    from devices.protocol import MAX_RELAY_INTERRUPTIONS, RelayInterruption
    from firmware_sim.relay import RelayAccount

    at = datetime.now(UTC)
    account = RelayAccount(
        interruptions=[
            RelayInterruption(at=at + timedelta(seconds=i), duration_ms=100, reason="mất luồng") for i in range(60)
        ]
    )
    bounded = account.bounded()
    assert len(bounded) == MAX_RELAY_INTERRUPTIONS
    assert bounded[-1].duration_ms == 11 * 100 and bounded[-1].reason.startswith("11 lần ngắt")


def test_the_agent_fills_a_failed_relay_with_the_communes_stock_message(tmp_path: Path) -> None:
    """A source that never answers: the node checks it ahead, airs its pinned stock message instead (looped,
    from the start to the end), and reports a failed relay with the interruption, ready for the controller."""
    from devices.protocol import StockEntry, StockManifest, StockRef
    from firmware_sim import NodeSettings
    from firmware_sim.agent import NodeAgent

    tone = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=880:duration=0.7", "-c:a", "libopus",
         "-f", "ogg", "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    sha = hashlib.sha256(tone).hexdigest()
    agent = NodeAgent(
        NodeSettings(device_code="N-1", commune="XA-A", state_dir=tmp_path / "node", relay_check_timeout_s=1)
    )
    entry = StockEntry(key="flood", language="vi", title="Lũ", sha256=sha, url=f"/s/{sha}.opus", duration_ms=700)
    manifest = StockManifest(version=1, generated_at=datetime.now(UTC), entries=(entry,))
    agent.stock.put(sha, "opus", tone)
    agent.stock.adopt(manifest, manifest.model_dump_json().encode(), '"1"')
    url = "http://127.0.0.1:1/vov1.mp3"
    item = relay_item(url, 2500).model_copy(
        update={
            "starts_at": datetime.now(UTC) + timedelta(seconds=3),
            "stream": StreamSpec(url=url, source="VOV1", fill=StockRef(key="flood", language="vi")),
        }
    )
    asyncio.run(agent._relay_at(item, 7))

    (report,) = agent.outbox.pending()
    assert report.outcome == "failed" and report.relayed_ms == 0 and "bản tin mẫu" in report.detail
    (gap,) = report.interruptions or ()
    assert gap.filled == "stock" and 2000 <= gap.duration_ms <= 2600
    assert report.asset_sha256 == stream_asset_sha256(url) and report.playlist_version == 7
    (line,) = [json.loads(x) for x in (tmp_path / "node" / "recordings" / "playlog.jsonl").read_text().splitlines()]
    heard = tone_windows(read_wav(tmp_path / "node" / "recordings" / line["recording"]))
    assert abs((datetime.fromisoformat(line["started_at"]) - item.starts_at).total_seconds()) < 0.3
    # Until the item's end (it went on air a few ms after its start): the flood message, looped.
    assert len(heard) in (24, 25) and sum(heard) >= 18, heard
