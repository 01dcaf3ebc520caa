"""Benchmark: a live broadcast's audio path, and how many nodes one Icecast holds on a live mount.

1. **Mouth to horn** (`--latency-s`): the path a live broadcast's audio takes after the nodes were told
   to listen, with loaxa's own parts: a "browser" (ffmpeg encoding pulses of a tone to WebM/Opus in real
   time, 100 ms clusters, as MediaRecorder does) → the controller's pipeline (`controller.live.pipeline`:
   ffmpeg, Opus copied into Ogg pages of 100 ms) → a private Icecast → `--listeners` node relays
   (`firmware_sim.relay.StreamRelay` with the node's live buffer, paced onto a recorded output as on a
   node). Each pulse's onset is timed from when it was "spoken" to when its first 100 ms window left a
   node's output: p50 / p99 / max over every pulse and node. (The signed MQTT commands and Icecast's
   listener check happen once per broadcast, before any audio: not in this figure.)
2. **Listeners** (`--nodes`): one Icecast, one live mount fed at 32 kbit/s, then N plain HTTP listeners
   (asyncio, reading and discarding) connecting in waves; over `--hold-s` seconds, how many listeners
   received at least 90 % of the stream's bytes, and Icecast's CPU (% of one core) and memory.

Usage: .venv/bin/python -m bench.live [--latency-s 30] [--listeners 5] [--nodes 2000] [--hold-s 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from bench.process_stats import cpu_percent, sample
from controller.live.pipeline import LivePipeline
from devices.icecast import IcecastServer, IcecastSettings
from devices.protocol import PlaylistItem, StreamSpec, stream_asset_sha256
from firmware_sim.relay import TICK_MS, RelayTiming, StreamRelay
from tests.live_audio import mouth_to_horn_s, onsets, pulse_filter

BITRATE_BPS = 32_000
LIVE_TIMING = RelayTiming(
    reconnect_min_s=0.5, reconnect_max_s=2.0, stall_timeout_s=5.0, buffer_ms=400, check_timeout_s=5
)


def _raise_file_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _browser(seconds: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["ffmpeg", "-nostdin", "-v", "error", "-re", "-f", "lavfi", "-i", pulse_filter(), "-t", str(seconds),
         "-ac", "1", "-c:a", "libopus", "-b:a", "32k", "-frame_duration", "20", "-f", "webm",
         "-cluster_time_limit", "100", "-flush_packets", "1", "pipe:1"],
        stdout=subprocess.PIPE,
    )  # fmt: skip


async def _speak(pipeline: LivePipeline, seconds: float) -> float:
    """Feed the browser's stream into the pipeline as it comes; the wall time of position 0."""
    browser = _browser(seconds)
    started = time.time()
    assert browser.stdout is not None
    fd = browser.stdout.fileno()
    loop = asyncio.get_running_loop()
    while piece := await loop.run_in_executor(None, os.read, fd, 65536):
        await asyncio.to_thread(pipeline.feed, piece)
    browser.wait()
    return started


async def _node(url: str, seconds: float) -> tuple[float, bytes]:
    """One node's relay of the mount: its output's PCM and the wall time its first tick left."""
    item = PlaylistItem(
        item_id="live-bench",
        title="bench",
        asset_sha256=stream_asset_sha256(url),
        asset_url=url,
        duration_ms=int(seconds * 1000),
        starts_at=datetime.now(UTC),
        stream=StreamSpec(url=url, source="bench"),
    )
    relay = StreamRelay(item, LIVE_TIMING, fill_pcm=None, now=lambda: datetime.now(UTC), give_up_after_s=10)
    stop = asyncio.Event()
    pcm = bytearray()
    started = time.time()
    chunks: AsyncIterator[bytes] = relay.chunks(stop)
    async for chunk in chunks:
        pcm += chunk
    return started, bytes(pcm)


async def latency(seconds: float, listeners: int, work: Path) -> list[float]:
    with IcecastServer(IcecastSettings(directory=work / "icecast", max_clients=listeners + 10)) as server:
        pipeline = LivePipeline(
            server.source_url("/live/bench.ogg"), work / "recording.ogg", silence_db=-50, silence_s=3600
        )
        pipeline.start()
        speaking = asyncio.create_task(_speak(pipeline, seconds))
        await asyncio.sleep(0.5)  # the nodes are commanded once the first audio has reached the controller
        nodes = [asyncio.create_task(_node(server.mount_url("/live/bench.ogg"), seconds)) for _ in range(listeners)]
        spoken_at = await speaking
        heard = await asyncio.gather(*nodes)
        await asyncio.to_thread(pipeline.finish, 10)
    samples: list[float] = []
    for started, pcm in heard:
        samples += mouth_to_horn_s([started + i * TICK_MS / 1000 for i in onsets(pcm)], spoken_at)
    return samples


async def _listener(
    host: str, port: int, mount: str, counts: list[int], dropped: set[int], index: int, stop: asyncio.Event
) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        counts[index] = -1
        return
    writer.write(f"GET {mount} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: loaxa-bench\r\n\r\n".encode())
    await writer.drain()
    try:
        while not stop.is_set():
            data = await reader.read(65536)
            if not data:
                dropped.add(index)  # Icecast closed it (a listener too slow for its queue is dropped)
                break
            counts[index] += len(data)
    except OSError:
        pass
    finally:
        writer.close()


async def listeners(nodes: int, hold_s: float, work: Path) -> dict[str, float]:
    settings = IcecastSettings(directory=work / "icecast-many", max_clients=nodes + 100, burst_size_bytes=4096)
    with IcecastServer(settings) as server:
        assert server.process is not None
        source = await asyncio.create_subprocess_exec(
            *["ffmpeg", "-nostdin", "-v", "error", "-re", "-f", "lavfi", "-i", "sine=f=880:r=48000",
             "-ac", "1", "-c:a", "libopus", "-b:a", "32k", "-f", "ogg", "-page_duration", "100000",
             "-content_type", "application/ogg", server.source_url("/live/many.ogg")],
        )  # fmt: skip
        try:
            await asyncio.sleep(2)
            counts = [0] * nodes
            dropped: set[int] = set()
            stop = asyncio.Event()
            tasks = []
            connect_began = time.monotonic()
            for index in range(nodes):  # in waves of 200, as a province's nodes would not all come at once
                listener = _listener("127.0.0.1", server.port, "/live/many.ogg", counts, dropped, index, stop)
                tasks.append(asyncio.create_task(listener))
                if index % 200 == 199:
                    await asyncio.sleep(0.2)
            connect_s = time.monotonic() - connect_began
            await asyncio.sleep(2)  # everyone past the burst
            start_counts = list(counts)
            before, began = sample(server.process.pid), time.monotonic()
            await asyncio.sleep(hold_s)
            after, wall = sample(server.process.pid), time.monotonic() - began
            end_counts = list(counts)
            stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            source.terminate()
            await source.wait()
    received = sorted(b - a for a, b in zip(start_counts, end_counts, strict=True) if a >= 0)
    # The stream's own rate is what the median listener got (Ogg pages and Opus's VBR around 32 kbit/s).
    expected = received[len(received) // 2] if received else BITRATE_BPS / 8 * wall
    full = sum(1 for got in received if got >= 0.9 * expected)
    return {
        "nodes": nodes,
        "connect_s": connect_s,
        "full": full,
        "refused": sum(1 for c in end_counts if c < 0),
        "dropped": len(dropped),
        "cpu_pct": cpu_percent(before, after, wall),
        "rss_mb": after.rss_mb,
        "stream_kbps": expected * 8 / wall / 1000,
        "out_mbps": sum(b - a for a, b in zip(start_counts, end_counts, strict=True) if a >= 0) * 8 / wall / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-s", type=float, default=30.0)
    parser.add_argument("--listeners", type=int, default=5)
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--hold-s", type=float, default=20.0)
    args = parser.parse_args()
    _raise_file_limit()
    print(f"{platform.node()}: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="loaxa-bench-live-") as tmp:
        work = Path(tmp)
        if args.latency_s > 0:
            samples = sorted(asyncio.run(latency(args.latency_s, args.listeners, work)))
            p99 = samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]
            print(
                f"mouth to horn, {len(samples)} pulses over {args.listeners} nodes: "
                f"p50 {statistics.median(samples):.2f} s, p99 {p99:.2f} s, max {samples[-1]:.2f} s",
                flush=True,
            )
        if args.nodes > 0:
            figures = asyncio.run(listeners(args.nodes, args.hold_s, work))
            print(
                f"listeners: {figures['full']:.0f}/{figures['nodes']:.0f} received the whole stream over "
                f"{args.hold_s:.0f} s ({figures['refused']:.0f} refused, {figures['dropped']:.0f} dropped; "
                f"connected in {figures['connect_s']:.1f} s); "
                f"Icecast CPU {figures['cpu_pct']:.0f}% of one core, {figures['rss_mb']:.0f} MB, "
                f"out {figures['out_mbps']:.1f} Mbit/s (stream {figures['stream_kbps']:.0f} kbit/s); "
                f"load {os.getloadavg()[0]:.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
