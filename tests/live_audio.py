"""What a browser's MediaRecorder sends on the live page, made by ffmpeg: WebM/Opus of a known tone,
sent over the live WebSocket in 100 ms pieces at the pace it was "recorded"."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

from tests.tone_source import TONE_HZ, tone_windows

CHUNK_S = 0.1


def webm_tone(path: Path, seconds: float, *, frequency_hz: int = TONE_HZ) -> Path:
    """WebM/Opus as Chromium's MediaRecorder writes it (mono, 48 kHz)."""
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=f={frequency_hz}:d={seconds}",
         "-ac", "1", "-c:a", "libopus", "-b:a", "32k", "-f", "webm", str(path)],
        check=True, timeout=60,
    )  # fmt: skip
    return path


def open_socket(base_url: str, audio_socket: str, token: str) -> ClientConnection:
    url = base_url.replace("http://", "ws://") + audio_socket + f"?token={token}"
    return connect(url, open_timeout=10, max_size=2**20)


def send_paced(socket: ClientConnection, data: bytes, seconds: float) -> None:
    """`data` (`seconds` long) in 100 ms pieces, each when it would have been recorded."""
    pieces = max(1, round(seconds / CHUNK_S))
    size = -(-len(data) // pieces)
    start = time.monotonic()
    for index in range(pieces):
        socket.send(data[index * size : (index + 1) * size])
        time.sleep(max(0.0, start + (index + 1) * CHUNK_S - time.monotonic()))


def messages(socket: ClientConnection, timeout_s: float = 5.0) -> list[dict[str, Any]]:
    """Every JSON message the server sent until it closed (or `timeout_s` passed)."""
    out = []
    deadline = time.monotonic() + timeout_s
    try:
        while (left := deadline - time.monotonic()) > 0:
            raw = socket.recv(timeout=left)
            if isinstance(raw, str):
                out.append(json.loads(raw))
    except (TimeoutError, Exception):
        pass
    return out


# The "speech" of a live test: the tone for TONE_ON_S, then silence, every PERIOD_S; onsets at
# TONE_FIRST_S + k * PERIOD_S. Each onset is a moment whose journey from mouth to horn can be timed.
PERIOD_S, TONE_ON_S, TONE_FIRST_S = 3.0, 1.0, 1.0


def pulse_filter(frequency_hz: int = TONE_HZ) -> str:
    """The pulses as an ffmpeg lavfi source (48 kHz mono)."""
    gate = f"if(between(mod(t-{TONE_FIRST_S},{PERIOD_S}),0,{TONE_ON_S})*gte(t,{TONE_FIRST_S}),1,0)"
    return f"sine=f={frequency_hz}:r=48000:samples_per_frame=480,volume='{gate}':eval=frame"


def pulse_wav(path: Path, seconds: float) -> Path:
    """The pulses as a WAV file (what Chromium's fake microphone plays)."""
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", pulse_filter(), "-t", str(seconds),
         "-ac", "1", "-ar", "48000", str(path)],
        check=True, timeout=60,
    )  # fmt: skip
    return path


class Microphone:
    """A browser speaking the pulses: ffmpeg encodes them in real time (`-re`) to WebM/Opus in 100 ms
    clusters, as MediaRecorder does, and each piece goes to the live socket as soon as it is out."""

    def __init__(self, socket: ClientConnection, seconds: float) -> None:
        self.socket = socket
        self.seconds = seconds
        self.started_at = 0.0  # wall clock (time.time) when the audio began: position 0 of the pulses
        self._thread = threading.Thread(target=self._run, name="microphone", daemon=True)
        self.error: BaseException | None = None

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout_s: float) -> None:
        self._thread.join(timeout_s)

    def _run(self) -> None:
        process = subprocess.Popen(
            ["ffmpeg", "-nostdin", "-v", "error", "-re", "-f", "lavfi", "-i", pulse_filter(), "-t", str(self.seconds),
             "-ac", "1", "-c:a", "libopus", "-b:a", "32k", "-frame_duration", "20", "-f", "webm",
             "-cluster_time_limit", "100", "-flush_packets", "1", "pipe:1"],
            stdout=subprocess.PIPE,
        )  # fmt: skip
        self.started_at = time.time()
        assert process.stdout is not None
        try:
            # os.read: whatever ffmpeg has written so far, without waiting for a full buffer.
            while piece := os.read(process.stdout.fileno(), 65536):
                self.socket.send(piece)
        except BaseException as exc:
            self.error = exc
        finally:
            process.kill()
            process.wait()


def onsets(pcm: bytes, window_ms: int = 100) -> list[int]:
    """Indexes of the windows where the tone begins (after at least three windows without it)."""
    heard = tone_windows(pcm, window_ms=window_ms)
    return [i for i in range(3, len(heard)) if heard[i] and not any(heard[i - 3 : i])]


def mouth_to_horn_s(horn_onsets_at: list[float], mouth_started_at: float) -> list[float]:
    """For each onset heard at a horn (wall clock), how long after it was spoken: the latest onset spoken before."""
    out = []
    for at in horn_onsets_at:
        position = at - mouth_started_at
        spoken = TONE_FIRST_S + ((position - TONE_FIRST_S) // PERIOD_S) * PERIOD_S
        if position >= TONE_FIRST_S:
            out.append(position - spoken)
    return out
