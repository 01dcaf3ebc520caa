"""The offline engine, the real espeak-ng (engine-independent behaviour is in test_synthesizer_contract.py)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from pydub import AudioSegment

from tts.errors import EngineUnavailable, LanguageUnsupported, SynthesisFailed, TextRejected
from tts.espeak import EspeakSynthesizer
from tts.settings import TtsSettings
from tts.synthesizer import Dialect, Synthesizer, VoiceKey


def test_is_a_synthesizer() -> None:
    assert isinstance(EspeakSynthesizer(TtsSettings()), Synthesizer)


@pytest.mark.parametrize(("dialect", "voice"), [("north", "vi"), ("south", "vi-vn-x-south")])
def test_speaks_vietnamese_as_wav(dialect: Dialect, voice: str) -> None:
    speech = asyncio.run(EspeakSynthesizer(TtsSettings()).synthesize("Kính thưa bà con, xin chào.", dialect=dialect))
    assert speech.audio[:4] == b"RIFF" and speech.engine == "espeak" and speech.voice == voice
    assert speech.rate == "140wpm"
    assert 800 < len(AudioSegment.from_file(io.BytesIO(speech.audio), format="wav")) < 6000


@pytest.mark.parametrize(("dialect", "voice"), [("north", "vi"), ("south", "vi-vn-x-south")])
def test_voice_key_follows_dialect_and_rate(dialect: Dialect, voice: str) -> None:
    key = EspeakSynthesizer(TtsSettings(espeak_rate_wpm=120)).voice_key(dialect=dialect, language="vi")
    assert key == VoiceKey(engine="espeak", voice=voice, rate="120wpm")


def test_khmer_is_unsupported_without_running_espeak() -> None:
    engine = EspeakSynthesizer(TtsSettings(espeak_path="no-such-espeak"))
    with pytest.raises(LanguageUnsupported):
        engine.voice_key(dialect="south", language="km")
    with pytest.raises(LanguageUnsupported):
        asyncio.run(engine.synthesize("សួស្តី", dialect="south", language="km"))


@pytest.mark.parametrize("text", ["", "   \n"])
def test_empty_text_is_rejected(text: str) -> None:
    with pytest.raises(TextRejected):
        asyncio.run(EspeakSynthesizer(TtsSettings()).synthesize(text, dialect="north"))


def test_overlong_text_is_rejected() -> None:
    with pytest.raises(TextRejected):
        asyncio.run(EspeakSynthesizer(TtsSettings(max_text_chars=10)).synthesize("a" * 11, dialect="north"))


def test_a_missing_engine_is_unavailable() -> None:
    with pytest.raises(EngineUnavailable, match="not installed"):
        asyncio.run(EspeakSynthesizer(TtsSettings(espeak_path="no-such-espeak")).synthesize("a", dialect="north"))


def test_a_hung_engine_times_out(tmp_path: Path) -> None:
    hung = tmp_path / "hung-espeak"
    hung.write_text("#!/bin/sh\nexec sleep 30\n")
    hung.chmod(0o755)
    settings = TtsSettings(espeak_path=str(hung), synthesis_timeout_s=0.3)
    with pytest.raises(EngineUnavailable, match="longer than"):
        asyncio.run(EspeakSynthesizer(settings).synthesize("xin chào", dialect="north"))


def test_a_crashing_engine_is_unavailable(tmp_path: Path) -> None:
    broken = tmp_path / "broken-espeak"
    broken.write_text("#!/bin/sh\necho 'voice not found' >&2\nexit 1\n")
    broken.chmod(0o755)
    with pytest.raises(EngineUnavailable, match="voice not found"):
        asyncio.run(EspeakSynthesizer(TtsSettings(espeak_path=str(broken))).synthesize("xin chào", dialect="north"))


def test_unavailable_is_a_synthesis_failure_and_text_rejection_is_not() -> None:
    assert issubclass(EngineUnavailable, SynthesisFailed)
    assert not issubclass(TextRejected, SynthesisFailed) and not issubclass(LanguageUnsupported, SynthesisFailed)
    assert (EngineUnavailable.code, EngineUnavailable.http_status) == ("engine_unavailable", 503)
