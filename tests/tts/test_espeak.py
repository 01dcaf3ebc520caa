"""The offline engine, the real espeak-ng."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from audio_library import AudioSettings, encode_broadcast
from tts.errors import SynthesisFailed, TextRejected
from tts.espeak import EspeakSynthesizer
from tts.settings import TtsSettings
from tts.synthesizer import Dialect, Synthesizer


def test_is_a_synthesizer() -> None:
    assert isinstance(EspeakSynthesizer(TtsSettings()), Synthesizer)


@pytest.mark.parametrize(("dialect", "voice"), [("north", "vi"), ("south", "vi-vn-x-south")])
def test_speaks_vietnamese_as_wav(dialect: Dialect, voice: str) -> None:
    speech = asyncio.run(EspeakSynthesizer(TtsSettings()).synthesize("Kính thưa bà con, xin chào.", dialect=dialect))
    assert speech.audio[:4] == b"RIFF" and speech.engine == "espeak" and speech.voice == voice
    encoded = encode_broadcast(speech.audio, AudioSettings())
    assert 800 < encoded.duration_ms < 6000


@pytest.mark.parametrize("text", ["", "   \n"])
def test_empty_text_is_rejected(text: str) -> None:
    with pytest.raises(TextRejected):
        asyncio.run(EspeakSynthesizer(TtsSettings()).synthesize(text, dialect="north"))


def test_overlong_text_is_rejected() -> None:
    with pytest.raises(TextRejected):
        asyncio.run(EspeakSynthesizer(TtsSettings(max_text_chars=10)).synthesize("a" * 11, dialect="north"))


def test_a_missing_engine_is_a_clear_error() -> None:
    with pytest.raises(SynthesisFailed, match="not installed"):
        asyncio.run(EspeakSynthesizer(TtsSettings(espeak_path="no-such-espeak")).synthesize("a", dialect="north"))


def test_a_hung_engine_times_out(tmp_path: Path) -> None:
    hung = tmp_path / "hung-espeak"
    hung.write_text("#!/bin/sh\nexec sleep 30\n")
    hung.chmod(0o755)
    settings = TtsSettings(espeak_path=str(hung), synthesis_timeout_s=0.3)
    with pytest.raises(SynthesisFailed, match="longer than"):
        asyncio.run(EspeakSynthesizer(settings).synthesize("xin chào", dialect="north"))
