"""The MP3 rendition of a stored asset, made once and kept: what any phone or podcast client can play.

Every asset the broadcast chain made since the chain existed already has one (`AudioAsset.mp3_sha256`);
an Opus asset stored without it (an older asset, or one stored by other means) is transcoded here with
ffmpeg on first request, stored by content like any other asset, and linked from the original so the
next listener gets the stored file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlmodel import Session

from audio_library.asset import AudioAsset, save_asset
from audio_library.chain import MP3_SAMPLE_RATE
from audio_library.codec import EncodedAudio, run_tool
from audio_library.settings import AudioSettings
from audio_library.store import AssetStore

# ffmpeg's limit grows with the audio, as the chain's does: 10 s per minute on top of the base timeout.
_TIMEOUT_S_PER_MINUTE = 10.0


def mp3_rendition(session: Session, store: AssetStore, asset: AudioAsset, settings: AudioSettings) -> AudioAsset:
    """The MP3 asset of `asset` (itself when it is MP3), transcoding and linking it when there is none.

    The caller commits (the link written on `asset` is part of its transaction).
    """
    if asset.codec == "mp3":
        return asset
    if asset.mp3_sha256 is not None:
        existing = session.get(AudioAsset, asset.mp3_sha256)
        if existing is not None:
            return existing
    source = store.open_path(asset.sha256, asset.codec)
    timeout = settings.ffmpeg_timeout_s + _TIMEOUT_S_PER_MINUTE * asset.duration_ms / 60_000
    with tempfile.TemporaryDirectory(prefix="loaxa-mp3-") as scratch:
        target = Path(scratch) / "rendition.mp3"
        run_tool(
            [settings.ffmpeg_path, "-hide_banner", "-nostdin", "-v", "error", "-y", "-i", str(source),
             "-ar", str(MP3_SAMPLE_RATE), "-c:a", "libmp3lame", "-b:a", f"{settings.mp3_bitrate_kbps}k",
             "-id3v2_version", "0", "-write_xing", "0", "-map_metadata", "-1",
             "-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", "mp3", str(target)],
            timeout,
        )  # fmt: skip
        data = target.read_bytes()
    rendition = save_asset(
        session,
        store,
        EncodedAudio(data=data, codec="mp3", duration_ms=asset.duration_ms),
        source=asset.source,
        engine=asset.engine,
        voice=asset.voice,
        loudness_lufs=asset.loudness_lufs,
        true_peak_dbtp=asset.true_peak_dbtp,
    )
    asset.mp3_sha256 = rendition.sha256
    session.add(asset)
    return rendition
