"""From bulletin text to a stored broadcast asset: normalise, synthesise, run the audio chain, store."""

from __future__ import annotations

import asyncio

from sqlmodel import Session

from audio_library import AssetStore, AudioAsset, AudioSettings, encode_broadcast, save_asset
from tts.normalizer import normalize
from tts.synthesizer import Dialect, Synthesizer


async def render_speech(
    text: str,
    *,
    synthesizer: Synthesizer,
    dialect: Dialect,
    session: Session,
    store: AssetStore,
    audio: AudioSettings,
    lexicon: dict[str, str] | None = None,
) -> AudioAsset:
    """Speak `text` as a broadcast-ready Opus asset. The caller commits the session."""
    spoken = normalize(text, dialect=dialect, lexicon=lexicon)
    speech = await synthesizer.synthesize(spoken, dialect=dialect)
    encoded = await asyncio.to_thread(encode_broadcast, speech.audio, audio)
    return save_asset(session, store, encoded, source="tts", engine=speech.engine, voice=speech.voice)
