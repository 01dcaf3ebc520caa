"""Audio asset metadata, stored in the database; the bytes live in the `AssetStore`."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, Session, SQLModel

from audio_library.chain import BroadcastAudio
from audio_library.codec import EncodedAudio
from audio_library.store import AssetStore
from audio_library.timestamps import UtcDateTime, utc_now


class AudioAssetBase(SQLModel):
    sha256: str = Field(primary_key=True, max_length=64)
    codec: str = Field(max_length=8)
    duration_ms: int
    size_bytes: int
    source: str = Field(max_length=16, description="tts or upload")
    engine: str = Field(default="", max_length=32)
    voice: str = Field(default="", max_length=64)
    loudness_lufs: float | None = Field(default=None, description="Integrated loudness as measured (EBU R128).")
    true_peak_dbtp: float | None = None
    mp3_sha256: str | None = Field(
        default=None, max_length=64, index=True, description="The MP3 rendition for legacy nodes."
    )


class AudioAsset(AudioAssetBase, table=True):
    __tablename__ = "audio_asset"

    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class AudioAssetPublic(AudioAssetBase):
    created_at: datetime


def save_asset(
    session: Session,
    store: AssetStore,
    audio: EncodedAudio,
    *,
    source: str,
    engine: str = "",
    voice: str = "",
    loudness_lufs: float | None = None,
    true_peak_dbtp: float | None = None,
    mp3_sha256: str | None = None,
) -> AudioAsset:
    """Store the bytes and their metadata; the same bytes give back the existing asset."""
    stored = store.put(audio.data, audio.codec)
    existing = session.get(AudioAsset, stored.sha256)
    if existing is not None:
        return existing
    asset = AudioAsset(
        sha256=stored.sha256,
        codec=audio.codec,
        duration_ms=audio.duration_ms,
        size_bytes=stored.size_bytes,
        source=source,
        engine=engine,
        voice=voice,
        loudness_lufs=loudness_lufs,
        true_peak_dbtp=true_peak_dbtp,
        mp3_sha256=mp3_sha256,
    )
    session.add(asset)
    session.flush()
    return asset


def save_broadcast(
    session: Session, store: AssetStore, audio: BroadcastAudio, *, source: str, engine: str = "", voice: str = ""
) -> AudioAsset:
    """Store both renditions of a chain result; the Opus asset (what nodes play by default) is returned."""
    legacy = save_asset(session, store, audio.mp3, source=source, engine=engine, voice=voice)
    return save_asset(
        session,
        store,
        audio.opus,
        source=source,
        engine=engine,
        voice=voice,
        loudness_lufs=audio.loudness.integrated_lufs,
        true_peak_dbtp=audio.loudness.true_peak_dbtp,
        mp3_sha256=legacy.sha256,
    )
