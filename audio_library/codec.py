"""Running ffmpeg and ffprobe: bounded in time, errors turned into `InvalidAudio`."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from audio_library.errors import AudioToolMissing, InvalidAudio
from audio_library.settings import AudioSettings


@dataclass(frozen=True)
class EncodedAudio:
    data: bytes
    codec: str
    duration_ms: int


@dataclass(frozen=True)
class MediaInfo:
    """What ffprobe says about a file: container names (comma-separated, as ffprobe gives them)."""

    format_names: frozenset[str]
    duration_ms: int  # 0 when the container does not say
    audio_streams: int


def run_tool(args: list[str], timeout_s: float, data: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg/ffprobe; a missing tool, a timeout or a non-zero exit raises."""
    if shutil.which(args[0]) is None:
        raise AudioToolMissing(f"{args[0]} is not installed (run scripts/bootstrap.sh)")
    try:
        done = subprocess.run(args, input=data, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise InvalidAudio(f"{Path(args[0]).name} did not finish within {timeout_s} s") from exc
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise InvalidAudio(f"{Path(args[0]).name} failed: {' | '.join(tail)[:500]}")
    return done


class Pipeline:
    """A producer's stdout saved to a file and fed, as it comes, to a consumer's stdin (`a | tee file | b`).

    Both processes are bounded by one deadline, `timeout_s`, from the start. A missing tool, the
    deadline or a non-zero exit of either raises, as `run_tool` does. `run` returns the consumer's stderr.
    """

    _CHUNK_BYTES = 64 * 1024

    def __init__(self, producer: list[str], consumer: list[str], timeout_s: float) -> None:
        self._producer = producer
        self._consumer = consumer
        self._timeout_s = timeout_s

    def run(self, target: Path) -> str:
        for tool in (self._producer[0], self._consumer[0]):
            if shutil.which(tool) is None:
                raise AudioToolMissing(f"{tool} is not installed (run scripts/bootstrap.sh)")
        # stderr goes to files, not pipes: nothing has to drain them while the data flows.
        with (
            tempfile.TemporaryFile() as producer_log,
            tempfile.TemporaryFile() as consumer_log,
            target.open("wb") as out,
        ):
            producer = subprocess.Popen(
                self._producer, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=producer_log
            )
            consumer = subprocess.Popen(
                self._consumer, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=consumer_log
            )
            expired = threading.Event()

            def stop() -> None:
                expired.set()
                producer.kill()
                consumer.kill()

            watchdog = threading.Timer(self._timeout_s, stop)
            watchdog.start()
            try:
                self._copy(producer, consumer, out)
                producer.wait()
                consumer.wait()
            finally:
                watchdog.cancel()
                for process in (producer, consumer):
                    if process.poll() is None:  # an error above: leave no orphan behind
                        process.kill()
                        process.wait()
            name = Path(self._producer[0]).name
            if expired.is_set():
                raise InvalidAudio(f"{name} did not finish within {self._timeout_s} s")
            for process, log in ((producer, producer_log), (consumer, consumer_log)):
                if process.returncode != 0:
                    raise InvalidAudio(f"{name} failed: {_tail(log)}")
            consumer_log.seek(0)
            return consumer_log.read().decode(errors="replace")

    def _copy(self, producer: subprocess.Popen[bytes], consumer: subprocess.Popen[bytes], out: IO[bytes]) -> None:
        assert producer.stdout is not None and consumer.stdin is not None
        feeding = True
        with producer.stdout:
            while chunk := producer.stdout.read(self._CHUNK_BYTES):
                out.write(chunk)
                if feeding:
                    try:
                        consumer.stdin.write(chunk)
                    except BrokenPipeError:  # the consumer gave up: its exit status says why
                        feeding = False
        with contextlib.suppress(BrokenPipeError):  # closing flushes what is left
            consumer.stdin.close()


def _tail(log: IO[bytes]) -> str:
    log.seek(0)
    lines = log.read().decode(errors="replace").strip().splitlines()[-3:]
    return " | ".join(lines)[:500]


def probe_file(path: Path, settings: AudioSettings) -> MediaInfo:
    """Container, duration (0 when the container does not say) and audio streams; InvalidAudio if unreadable."""
    done = run_tool(
        [
            settings.ffprobe_path,
            "-v",
            "error",
            "-show_entries",
            "format=format_name,duration:stream=codec_type",
            "-of",
            "json",
            str(path),
        ],
        settings.ffmpeg_timeout_s,
    )
    try:
        info = json.loads(done.stdout)
        fmt = info["format"]
        seconds = float(fmt.get("duration", "0") or "0")
        streams = [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise InvalidAudio("ffprobe could not read the file") from exc
    return MediaInfo(
        format_names=frozenset(str(fmt.get("format_name", "")).split(",")),
        duration_ms=round(seconds * 1000),
        audio_streams=len(streams),
    )


def probe_duration_ms(data: bytes, settings: AudioSettings) -> int:
    """Duration of encoded audio as ffprobe measures it."""
    # A seekable file, not a pipe: Ogg keeps the duration in its last page.
    with tempfile.NamedTemporaryFile(prefix="loaxa-probe-") as handle:
        handle.write(data)
        handle.flush()
        duration_ms = probe_file(Path(handle.name), settings).duration_ms
    if duration_ms <= 0:
        raise InvalidAudio("audio has no duration")
    return duration_ms
