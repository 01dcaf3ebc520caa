"""Audio outputs: a sound card through pyaudio, or a file sink that records what played and when.

Both play in real time (a call returns when the item has finished), so airtime, overlaps and
pre-emption behave the same in a test as on a horn speaker.
"""

from __future__ import annotations

import array
import asyncio
import hashlib
import json
import shutil
import subprocess
import sys
import threading
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from devices.protocol import PlaylistItem
from firmware_sim.state import write_atomically


@dataclass(frozen=True)
class PlayedAudio:
    started_at: datetime
    ended_at: datetime
    played_sha256: str
    # True when `stop` cut it before its end (an emergency pre-empted it).
    interrupted: bool = False


class AudioSink(Protocol):
    async def prepare(self, item: PlaylistItem, audio: bytes) -> None:
        """Do any slow work (decoding) before airtime; called a moment before `play`."""
        ...

    async def play(self, item: PlaylistItem, audio: bytes, stop: asyncio.Event) -> PlayedAudio:
        """Play `item.duration_ms` of `audio` from `item.offset_ms`; return early once `stop` is set."""
        ...

    async def play_stream(self, item: PlaylistItem, pcm: AsyncIterator[bytes], stop: asyncio.Event) -> PlayedAudio:
        """Play a relay: 16-bit mono 48 kHz PCM as `pcm` yields it, paced in real time by the relay."""
        ...


async def _until_stopped(stop: asyncio.Event, duration_s: float) -> bool:
    """Wait `duration_s` or until `stop` is set; True when stopped early."""
    try:
        await asyncio.wait_for(stop.wait(), duration_s)
    except TimeoutError:
        return False
    return True


class FileSink:
    """Writes each played item to `<dir>/<started>_<item>.<codec>` and a line to `<dir>/playlog.jsonl`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        # Recorded with each play (a file has no loudness knob); the node sets it from set_volume.
        self.volume_pct = 100

    async def prepare(self, item: PlaylistItem, audio: bytes) -> None:
        return None

    async def play(self, item: PlaylistItem, audio: bytes, stop: asyncio.Event) -> PlayedAudio:
        started = datetime.now(UTC)
        digest = hashlib.sha256(audio).hexdigest()
        stamp = started.strftime("%Y%m%dT%H%M%S.%f")
        path = self.directory / f"{stamp}_{item.item_id}.{item.codec}"
        interrupted = False
        try:
            # Recording runs beside the "playback", as a sound card would, never delaying it.
            _, interrupted = await asyncio.gather(
                asyncio.to_thread(write_atomically, path, audio), _until_stopped(stop, item.duration_ms / 1000)
            )
        finally:
            ended = datetime.now(UTC)
            line = {
                "item_id": item.item_id,
                "sha256": digest,
                "scheduled_start": item.starts_at.isoformat(),
                "started_at": started.isoformat(),
                "ended_at": ended.isoformat(),
                "offset_ms": item.offset_ms,
                "interrupted": interrupted,
                "volume_pct": self.volume_pct,
            }
            with (self.directory / "playlog.jsonl").open("a", encoding="utf-8") as log:
                log.write(json.dumps(line) + "\n")
        return PlayedAudio(started_at=started, ended_at=ended, played_sha256=digest, interrupted=interrupted)

    async def play_stream(self, item: PlaylistItem, pcm: AsyncIterator[bytes], stop: asyncio.Event) -> PlayedAudio:
        """Records the relay as WAV (`<started>_<item>.wav`, what the horns received) and a playlog line."""
        started = datetime.now(UTC)
        digest = hashlib.sha256()
        stamp = started.strftime("%Y%m%dT%H%M%S.%f")
        path = self.directory / f"{stamp}_{item.item_id}.wav"
        try:
            with wave.open(str(path), "wb") as recording:
                recording.setnchannels(1)
                recording.setsampwidth(2)
                recording.setframerate(PCM_RATE_HZ)
                async for chunk in pcm:
                    recording.writeframes(chunk)
                    digest.update(chunk)
        finally:
            ended = datetime.now(UTC)
            line = {
                "item_id": item.item_id,
                "sha256": digest.hexdigest(),
                "scheduled_start": item.starts_at.isoformat(),
                "started_at": started.isoformat(),
                "ended_at": ended.isoformat(),
                "offset_ms": item.offset_ms,
                "interrupted": stop.is_set(),
                "volume_pct": self.volume_pct,
                "stream": item.stream.url if item.stream is not None else None,
                "recording": path.name,
            }
            with (self.directory / "playlog.jsonl").open("a", encoding="utf-8") as log:
                log.write(json.dumps(line) + "\n")
        return PlayedAudio(started, ended, digest.hexdigest(), interrupted=stop.is_set())


# The relay's PCM (firmware_sim.relay): 16-bit mono at this rate.
PCM_RATE_HZ = 48_000


class PyAudioSink:
    """Decodes with ffmpeg to 16-bit mono PCM and writes it to the default sound card."""

    RATE_HZ = 48_000
    FRAMES_PER_CHUNK = 4_800  # 100 ms: small enough to stop promptly, large enough not to underrun

    def __init__(self) -> None:
        self._decoded: dict[str, bytes] = {}
        # The node's volume (set_volume); read for every 100 ms chunk, so a change is heard at once.
        self.volume_pct = 100

    async def prepare(self, item: PlaylistItem, audio: bytes) -> None:
        """Decode before airtime, so the first sample leaves on time."""
        self._decoded = {item.asset_sha256: await asyncio.to_thread(self._decode, audio)}

    def _decode(self, audio: bytes) -> bytes:
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise RuntimeError("ffmpeg is needed to decode audio for the sound card")
        pcm_args = ["-f", "s16le", "-ac", "1", "-ar", str(self.RATE_HZ)]
        done = subprocess.run(
            [ffmpeg, "-v", "error", "-i", "pipe:0", *pcm_args, "pipe:1"],
            input=audio,
            capture_output=True,
            check=True,
            timeout=60,
        )
        return done.stdout

    async def play(self, item: PlaylistItem, audio: bytes, stop: asyncio.Event) -> PlayedAudio:
        digest = hashlib.sha256(audio).hexdigest()
        pcm = self._decoded.pop(item.asset_sha256, None)
        if pcm is None:
            pcm = await asyncio.to_thread(self._decode, audio)
        bytes_per_ms = self.RATE_HZ * 2 // 1000  # 16-bit mono
        first = item.offset_ms * bytes_per_ms
        pcm = pcm[first : first + item.duration_ms * bytes_per_ms]
        halt = threading.Event()  # the writer thread checks this between 100 ms chunks
        relay = asyncio.create_task(stop.wait())
        relay.add_done_callback(lambda _: halt.set())
        started = datetime.now(UTC)
        try:
            await asyncio.to_thread(self._write, pcm, halt)
        finally:
            relay.cancel()
        return PlayedAudio(
            started_at=started, ended_at=datetime.now(UTC), played_sha256=digest, interrupted=stop.is_set()
        )

    async def play_stream(self, item: PlaylistItem, pcm: AsyncIterator[bytes], stop: asyncio.Event) -> PlayedAudio:
        import pyaudio  # imported here: nodes with a file sink need no sound card library

        digest = hashlib.sha256()
        audio = pyaudio.PyAudio()
        started = datetime.now(UTC)
        try:
            output = audio.open(format=pyaudio.paInt16, channels=1, rate=self.RATE_HZ, output=True)
            async for chunk in pcm:
                digest.update(chunk)
                await asyncio.to_thread(output.write, scale_pcm(chunk, self.volume_pct))
            output.stop_stream()
            output.close()
        finally:
            audio.terminate()
        return PlayedAudio(started, datetime.now(UTC), digest.hexdigest(), interrupted=stop.is_set())

    def _write(self, pcm: bytes, halt: threading.Event) -> None:
        import pyaudio  # imported here: nodes with a file sink need no sound card library

        audio = pyaudio.PyAudio()
        try:
            stream = audio.open(format=pyaudio.paInt16, channels=1, rate=self.RATE_HZ, output=True)
            step = self.FRAMES_PER_CHUNK * 2
            for offset in range(0, len(pcm), step):
                if halt.is_set():
                    break
                stream.write(scale_pcm(pcm[offset : offset + step], self.volume_pct))
            stream.stop_stream()
            stream.close()
        finally:
            audio.terminate()


def volume_gain(volume_pct: int) -> float:
    """Amplitude factor for a 0-100 volume: squared, so that the steps sound even (50 is -12 dB, 10 is -40 dB)."""
    return (max(0, min(100, volume_pct)) / 100) ** 2


def scale_pcm(pcm: bytes, volume_pct: int) -> bytes:
    """16-bit little-endian mono samples at `volume_pct` (100 leaves them untouched)."""
    if volume_pct >= 100:
        return pcm
    gain = volume_gain(volume_pct)
    samples = array.array("h", pcm[: len(pcm) // 2 * 2])
    if sys.byteorder == "big":
        samples.byteswap()
    scaled = array.array("h", (round(sample * gain) for sample in samples))
    if sys.byteorder == "big":
        scaled.byteswap()
    return scaled.tobytes()
