"""Audio asset metadata, stored in the database; the bytes live in the `AssetStore`."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, Session, SQLModel

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
    )
    session.add(asset)
    session.flush()
    return asset
