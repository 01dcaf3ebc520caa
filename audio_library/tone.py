"""A silent test tone made with ffmpeg: it exercises a cluster's whole path (cache, decoder, amplifier)
without anyone hearing it. Silence cannot go through the broadcast chain (it refuses silent audio), so it
is encoded directly, in the same format as every broadcast's Opus rendition."""

from __future__ import annotations

import tempfile
from pathlib import Path

from audio_library.chain import SAMPLE_RATE
from audio_library.codec import EncodedAudio, probe_duration_ms, run_tool
from audio_library.settings import AudioSettings


def silent_tone(settings: AudioSettings, seconds: float = 3.0) -> EncodedAudio:
    """`seconds` of digital silence, mono Opus in Ogg at the broadcast bitrate."""
    with tempfile.TemporaryDirectory(prefix="loaxa-tone-") as tmp:
        target = Path(tmp) / "tone.opus"
        run_tool(
            [settings.ffmpeg_path, "-nostdin", "-v", "error", "-f", "lavfi",
             "-i", f"anullsrc=r={SAMPLE_RATE}:cl=mono", "-t", f"{seconds:.3f}",
             "-c:a", "libopus", "-b:a", f"{settings.opus_bitrate_kbps}k", "-map_metadata", "-1",
             "-fflags", "+bitexact", "-flags:a", "+bitexact", str(target)],
            settings.ffmpeg_timeout_s,
        )  # fmt: skip
        data = target.read_bytes()
    return EncodedAudio(data=data, codec="opus", duration_ms=probe_duration_ms(data, settings))
