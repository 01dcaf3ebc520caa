"""An encoder pushing a known tone into an Icecast mount: ffmpeg, as a radio station's encoder would."""

from __future__ import annotations

import subprocess
import time

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
