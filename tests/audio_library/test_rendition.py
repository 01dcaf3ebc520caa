"""The MP3 rendition of an asset stored without one: transcoded by the real ffmpeg once, then reused."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy import create_engine
from sqlmodel import Session

from audio_library import AssetStore, AudioAsset, AudioSettings, EncodedAudio, save_asset
from audio_library.rendition import mp3_rendition


def _opus_tone(seconds: int) -> bytes:
    return subprocess.run(
        ["ffmpeg", "-hide_banner", "-v", "error", "-f", "lavfi", "-i", f"sine=f=440:r=48000:d={seconds}",
         "-c:a", "libopus", "-b:a", "24k", "-f", "ogg", "pipe:1"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip


def _probe(path: Path) -> tuple[str, float]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=format_name,duration", "-of", "csv=p=0", str(path)],
        capture_output=True, check=True, text=True,
    ).stdout.strip()  # fmt: skip
    name, duration = out.split(",")
    return name, float(duration)


def test_an_opus_asset_gets_one_mp3_rendition_kept_and_linked(tmp_path: Path) -> None:
    engine = create_engine("sqlite://")
    AudioAsset.__table__.create(engine)  # type: ignore[attr-defined]
    store, settings = AssetStore(tmp_path / "audio"), AudioSettings(storage_dir=tmp_path / "audio")
    with Session(engine) as session:
        opus = save_asset(session, store, EncodedAudio(_opus_tone(3), "opus", 3000), source="upload")
        assert opus.mp3_sha256 is None
        mp3 = mp3_rendition(session, store, opus, settings)
        session.commit()
        assert mp3.codec == "mp3" and opus.mp3_sha256 == mp3.sha256 and mp3.duration_ms == 3000
        path = store.open_path(mp3.sha256, "mp3")
        name, duration = _probe(path)
        assert name == "mp3" and abs(duration - 3.0) < 0.2
        assert mp3.size_bytes == path.stat().st_size
        # Asked again (or for the MP3 itself): the stored rendition, not a second transcode.
        path.chmod(0o444)
        assert mp3_rendition(session, store, opus, settings).sha256 == mp3.sha256
        assert mp3_rendition(session, store, mp3, settings) is mp3
