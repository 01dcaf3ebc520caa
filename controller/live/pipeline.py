"""The browser's audio on its way to the horns: one ffmpeg per WebSocket connection of a live session.

ffmpeg reads the browser's MediaRecorder stream (WebM/Opus from Chromium, Ogg/Opus from Firefox) on its
stdin and, without re-encoding the Opus (no added delay, almost no CPU):
- pushes it as Ogg/Opus to the session's Icecast mount, in 100 ms pages (Ogg's default is one second,
  which would add up to a second of delay before Icecast can pass a page on);
- writes the same pages to the recording file;
- decodes it once more through `silencedetect`, whose "silence_start" (printed once the audio has been
  quieter than the threshold for the whole timeout) ends the session.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import subprocess
import threading
from pathlib import Path

log = logging.getLogger(__name__)

# What a MediaRecorder stream starts with: the EBML magic of WebM/Matroska, or an Ogg page.
_AUDIO_MAGIC = (b"\x1a\x45\xdf\xa3", b"OggS")
_SILENCE_START = re.compile(r"silence_start:\s*(-?[0-9.]+)")
_SILENCE_END = re.compile(r"silence_end:")
_ERROR_LINES = 5
# ffmpeg's words when the streaming server, not the browser's data, is the problem.
_SERVER_TROUBLE = re.compile(r"icecast|connection refused|server returned|connection reset|broken pipe", re.I)


def looks_like_audio(first_chunk: bytes) -> bool:
    """True when the first bytes of a browser's stream are a WebM or Ogg container."""
    return first_chunk.startswith(_AUDIO_MAGIC)


class PipelineBroken(Exception):
    """ffmpeg stopped taking audio (it exited: the data was not audio it could read, or Icecast refused)."""


class LivePipeline:
    """`ffmpeg -i pipe:0` → Icecast mount + recording file + silence detector."""

    def __init__(self, source_url: str, recording: Path, *, silence_db: float, silence_s: float) -> None:
        self.source_url = source_url
        self.recording = recording
        self.silence_db = silence_db
        self.silence_s = silence_s
        self.process: subprocess.Popen[bytes] | None = None
        self.silent = False
        self._errors: list[str] = []
        self._reader: threading.Thread | None = None
        self._lock = threading.Lock()

    def command(self) -> list[str]:
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise PipelineBroken("ffmpeg is not installed")
        return [
            ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-loglevel", "info",
            # Start from the first packets: the container header names the codec, nothing to analyse.
            "-fflags", "nobuffer", "-probesize", "4096", "-analyzeduration", "0",
            "-i", "pipe:0",
            "-map", "0:a:0", "-c:a", "copy", "-f", "ogg", "-page_duration", "100000", "-flush_packets", "1",
            "-content_type", "application/ogg", "-ice_name", "loaxa live", self.source_url,
            "-map", "0:a:0", "-c:a", "copy", "-f", "ogg", str(self.recording),
            "-map", "0:a:0", "-af", f"silencedetect=n={self.silence_db}dB:d={self.silence_s}", "-f", "null", "-",
        ]  # fmt: skip

    def start(self) -> None:
        self.recording.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            self.command(), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self._reader = threading.Thread(target=self._read_log, name="live-ffmpeg-log", daemon=True)
        self._reader.start()

    def _read_log(self) -> None:
        process = self.process
        assert process is not None and process.stderr is not None
        for raw in process.stderr:
            line = raw.decode(errors="replace").strip()
            if _SILENCE_START.search(line):
                self.silent = True
            elif _SILENCE_END.search(line):
                self.silent = False
            elif "error" in line.lower() or "invalid" in line.lower():
                with self._lock:
                    self._errors = [*self._errors[-(_ERROR_LINES - 1) :], line[:300]]

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def failure(self) -> str:
        """Why ffmpeg stopped: "error" when it could not push to Icecast, else "not_audio" (it could not read
        what the browser sent)."""
        with self._lock:
            return "error" if any(_SERVER_TROUBLE.search(line) for line in self._errors) else "not_audio"

    @property
    def error(self) -> str:
        with self._lock:
            return self._errors[-1] if self._errors else ""

    def feed(self, data: bytes) -> None:
        """Hand one chunk of the browser's stream to ffmpeg; PipelineBroken if it no longer takes it."""
        process = self.process
        if process is None or process.stdin is None or process.poll() is not None:
            raise PipelineBroken(self.error or "ffmpeg exited")
        try:
            process.stdin.write(data)
            process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise PipelineBroken(self.error or str(exc)) from exc

    def finish(self, timeout_s: float) -> int | None:
        """End of the audio: let ffmpeg close the mount and the recording; its exit code (None: killed)."""
        process = self.process
        if process is None:
            return None
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            code = process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            code = None
        if self._reader is not None:
            self._reader.join(timeout=2)
        return code


def join_recordings(parts: list[Path], output: Path) -> bool:
    """One Ogg/Opus file from the recordings of a session's connections (stream copy); False if none usable."""
    usable = [part for part in parts if part.is_file() and part.stat().st_size > 0]
    if not usable:
        return False
    if len(usable) == 1:
        usable[0].replace(output)
        return True
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return False
    listing = output.with_suffix(".txt")
    listing.write_text("".join(f"file '{part}'\n" for part in usable))
    done = subprocess.run(
        [ffmpeg, "-nostdin", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy",
         "-f", "ogg", str(output)],
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    listing.unlink(missing_ok=True)
    return done.returncode == 0 and output.is_file()


def duration_ms(path: Path) -> int:
    """The recording's length, from ffprobe (0 when it cannot tell)."""
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        return 0
    done = subprocess.run(
        [ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True, timeout=30, check=False,
    )  # fmt: skip
    try:
        return round(float(done.stdout.decode().strip()) * 1000)
    except ValueError:
        return 0
