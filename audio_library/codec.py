"""Turning raw speech into broadcast audio with ffmpeg: loudness normalisation and Opus encoding."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

from audio_library.errors import AudioToolMissing, InvalidAudio
from audio_library.settings import AudioSettings


@dataclass(frozen=True)
class EncodedAudio:
    data: bytes
    codec: str
    duration_ms: int


def _run(args: list[str], data: bytes, timeout_s: float) -> bytes:
    if shutil.which(args[0]) is None:
        raise AudioToolMissing(f"{args[0]} is not installed (run scripts/bootstrap.sh)")
    try:
        done = subprocess.run(args, input=data, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise InvalidAudio(f"{args[0]} did not finish within {timeout_s} s") from exc
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise InvalidAudio(f"{args[0]} failed: {' | '.join(tail)[:500]}")
    return done.stdout


def probe_duration_ms(data: bytes, settings: AudioSettings) -> int:
    """Duration of encoded audio as ffprobe measures it."""
    # A seekable file, not a pipe: Ogg keeps the duration in its last page.
    with tempfile.NamedTemporaryFile(prefix="loaxa-probe-") as handle:
        handle.write(data)
        handle.flush()
        probe = [settings.ffprobe_path, "-v", "error", "-show_entries", "format=duration", "-of", "json"]
        out = _run([*probe, handle.name], b"", settings.ffmpeg_timeout_s)
    try:
        seconds = float(json.loads(out)["format"]["duration"])
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidAudio("ffprobe found no duration") from exc
    if seconds <= 0:
        raise InvalidAudio("audio has no duration")
    return round(seconds * 1000)


def encode_broadcast(source: bytes, settings: AudioSettings) -> EncodedAudio:
    """Loudness-normalise any audio ffmpeg can read and encode it as mono Opus for the nodes."""
    if not source:
        raise InvalidAudio("empty audio")
    audio_filter = f"loudnorm=I={settings.target_lufs}:TP={settings.true_peak_dbtp}:LRA=11"
    encoded = _run(
        [
            settings.ffmpeg_path,
            "-hide_banner",
            "-nostdin",
            "-v",
            "error",
            "-i",
            "pipe:0",
            "-af",
            audio_filter,
            "-ac",
            "1",
            "-ar",
            "48000",
            "-c:a",
            "libopus",
            "-b:a",
            f"{settings.opus_bitrate_kbps}k",
            "-application",
            "voip",
            # Reproducible bytes: the same speech must hash to the same asset.
            "-map_metadata",
            "-1",
            "-fflags",
            "+bitexact",
            "-flags:a",
            "+bitexact",
            "-f",
            "ogg",
            "pipe:1",
        ],
        source,
        settings.ffmpeg_timeout_s,
    )
    return EncodedAudio(data=encoded, codec="opus", duration_ms=probe_duration_ms(encoded, settings))
