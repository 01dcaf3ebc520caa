"""Finished speech by what produced it: the same words, voice and chain are never synthesised twice.

The key covers everything that changes the audio: the spoken (normalised) text, the language, the
engine, its voice and rate, the audio chain's signature (version and settings) and the chimes. Anything
else (who asked, which bulletin) does not matter, so a preview heard by the officer is the very asset
the approval later airs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

from audio_library import AssetStore, AudioAsset, BroadcastAudio, save_broadcast
from audio_library.timestamps import UtcDateTime, utc_now
from tts.synthesizer import Language, VoiceKey


class SpeechCacheEntry(SQLModel, table=True):
    __tablename__ = "speech_cache"

    key: str = Field(primary_key=True, max_length=64)
    asset_sha256: str = Field(foreign_key="audio_asset.sha256", max_length=64)
    hits: int = 0
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    last_hit_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


@dataclass(frozen=True)
class SpeechKey:
    spoken_text: str
    language: Language
    voice: VoiceKey
    chain: str
    intro_sha256: str = ""
    outro_sha256: str = ""

    def digest(self) -> str:
        fields = [
            self.spoken_text,
            self.language,
            self.voice.engine,
            self.voice.voice,
            self.voice.rate,
            self.voice.options,
            self.chain,
            self.intro_sha256,
            self.outro_sha256,
        ]
        return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()


class SpeechCache:
    """Looks up and records finished speech; each call uses its own short session (safe from worker threads)."""

    def __init__(self, sessions: Callable[[], Session], store: AssetStore) -> None:
        self._sessions = sessions
        self._store = store

    def lookup(self, key: SpeechKey) -> AudioAsset | None:
        """The cached asset, if its row and its file are both still there."""
        with self._sessions() as session:
            entry = session.get(SpeechCacheEntry, key.digest())
            if entry is None:
                return None
            asset = session.get(AudioAsset, entry.asset_sha256)
            if asset is None or not self._store.path_for(asset.sha256, asset.codec).is_file():
                return None
            entry.hits += 1
            entry.last_hit_at = utc_now()
            session.commit()
            session.refresh(asset)
            session.expunge(asset)
            return asset

    def remember(self, key: SpeechKey, audio: BroadcastAudio, *, source: str, engine: str, voice: str) -> AudioAsset:
        """Store the audio and the cache entry together; a concurrent twin's entry is kept as it is."""
        for attempt in range(2):
            with self._sessions() as session:
                try:
                    asset = save_broadcast(session, self._store, audio, source=source, engine=engine, voice=voice)
                    if session.get(SpeechCacheEntry, key.digest()) is None:
                        session.add(SpeechCacheEntry(key=key.digest(), asset_sha256=asset.sha256))
                    session.commit()
                except IntegrityError:
                    # Someone stored the same asset or key between our read and our write: read theirs.
                    session.rollback()
                    if attempt:
                        raise
                    continue
                session.refresh(asset)
                session.expunge(asset)
                return asset
        raise AssertionError("unreachable")
