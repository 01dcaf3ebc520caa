"""From bulletin text to broadcast audio: normalise, synthesise, run the audio chain."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlmodel import Session

from audio_library import AssetStore, AudioAsset, AudioSettings, EncodedAudio, encode_broadcast, save_asset
from tts.normalizer import normalize
from tts.synthesizer import Dialect, Synthesizer


@dataclass(frozen=True)
class SpokenAudio:
    encoded: EncodedAudio
    engine: str
    voice: str


async def speak(
    text: str,
    *,
    synthesizer: Synthesizer,
    dialect: Dialect,
    audio: AudioSettings,
    lexicon: dict[str, str] | None = None,
) -> SpokenAudio:
    """Speak `text` as broadcast-ready Opus (no database work, so it can run on the event loop)."""
    spoken = normalize(text, dialect=dialect, lexicon=lexicon)
    speech = await synthesizer.synthesize(spoken, dialect=dialect)
    encoded = await asyncio.to_thread(encode_broadcast, speech.audio, audio)
    return SpokenAudio(encoded=encoded, engine=speech.engine, voice=speech.voice)


def store_spoken(session: Session, store: AssetStore, spoken: SpokenAudio) -> AudioAsset:
    """Keep the audio as a content-addressed asset; the caller commits the session."""
    return save_asset(session, store, spoken.encoded, source="tts", engine=spoken.engine, voice=spoken.voice)
