"""What a browser's MediaRecorder sends on the live page, made by ffmpeg: WebM/Opus of a known tone,
sent over the live WebSocket in 100 ms pieces at the pace it was "recorded"."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

TONE_HZ = 880
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
