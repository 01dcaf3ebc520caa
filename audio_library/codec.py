"""Running ffmpeg and ffprobe: bounded in time, errors turned into `InvalidAudio`."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

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
