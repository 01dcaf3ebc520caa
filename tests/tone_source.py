"""An encoder pushing a known tone into an Icecast mount: ffmpeg, as a radio station's encoder would."""

from __future__ import annotations

import array
import math
import subprocess
import time
import wave
from pathlib import Path

import httpx

from devices.icecast import IcecastServer

# The tone a test listens for: far from the horn band's edges, easy to find in a spectrum.
TONE_HZ = 880


class ToneSource:
    """`ffmpeg -re` encoding a sine of `frequency_hz` to `codec` and pushing it to `mount` on `server`.

    `stop()` and `start()` again make a drop in the middle of a relay.
    """

    def __init__(self, server: IcecastServer, mount: str, *, codec: str = "mp3", frequency_hz: int = TONE_HZ) -> None:
        self.server = server
        self.mount = mount
        self.codec = codec
        self.frequency_hz = frequency_hz
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return self.server.mount_url(self.mount)

    def start(self, *, wait_s: float = 10.0) -> None:
        encode = {
            "mp3": ["-c:a", "libmp3lame", "-b:a", "64k", "-content_type", "audio/mpeg", "-f", "mp3"],
            "ogg": ["-c:a", "libopus", "-b:a", "32k", "-content_type", "audio/ogg", "-f", "ogg"],
            "aac": ["-c:a", "aac", "-b:a", "64k", "-content_type", "audio/aac", "-f", "adts"],
        }[self.codec]
        command = [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-re",
            "-f", "lavfi", "-i", f"sine=frequency={self.frequency_hz}:sample_rate=48000",
            "-ac", "1", *encode, self.server.source_url(self.mount),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                raise RuntimeError(f"ffmpeg source exited: {err[-400:]}")
            if self.is_live():
                return
            time.sleep(0.1)
        raise RuntimeError(f"mount {self.mount} did not go live")

    def is_live(self) -> bool:
        try:
            status = httpx.get(f"{self.server.url}/status-json.xsl", timeout=1).json()
        except (httpx.HTTPError, ValueError):
            return False
        sources = status.get("icestats", {}).get("source", [])
        sources = sources if isinstance(sources, list) else [sources]
        return any(str(s.get("listenurl", "")).endswith(self.mount) for s in sources)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def __enter__(self) -> ToneSource:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def tone_windows(pcm: bytes, *, frequency_hz: int = TONE_HZ, rate_hz: int = 48_000, window_ms: int = 100) -> list[bool]:
    """For each window of 16-bit mono PCM: is it mostly the tone (Goertzel power against the window's energy)?"""
    samples = array.array("h", pcm[: len(pcm) // 2 * 2])
    size = rate_hz * window_ms // 1000
    coefficient = 2 * math.cos(2 * math.pi * frequency_hz / rate_hz)
    found = []
    for start in range(0, len(samples) - size + 1, size):
        window = samples[start : start + size]
        energy = sum(x * x for x in window)
        if energy < size * 100:  # quieter than -50 dBFS: silence
            found.append(False)
            continue
        previous = before = 0.0
        for x in window:
            previous, before = x + coefficient * previous - before, previous
        power = previous * previous + before * before - coefficient * previous * before
        found.append(power / (energy * size / 2) > 0.5)
    return found


def read_wav(path: Path) -> bytes:
    with wave.open(str(path), "rb") as recording:
        assert (recording.getnchannels(), recording.getsampwidth(), recording.getframerate()) == (1, 2, 48_000)
        return recording.readframes(recording.getnframes())
