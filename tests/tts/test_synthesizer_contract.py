"""The contract every speech engine passes: espeak-ng, edge-tts over the local stand-in, and (when asked) the real
edge-tts service.

Set LOAXA_TEST_EDGE_ONLINE=1 on a machine with internet to run the contract against Microsoft's service.
"""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Callable

import pytest
from pydub import AudioSegment

from tests.tts.edge_fake import FakeEdgeTransport
from tts.edge import EdgeSynthesizer, EdgeTtsTransport
from tts.errors import LanguageUnsupported, TextRejected
from tts.espeak import EspeakSynthesizer
from tts.settings import TtsSettings
from tts.synthesizer import Dialect, Language, Speech, Synthesizer, VoiceKey

SENTENCE = "Kính thưa bà con, xin thông báo lịch tiêm phòng vắc xin cho trẻ em dưới năm tuổi tại trạm y tế xã. "
KHMER = "សូមជម្រាបសួរ បងប្អូនប្រជាពលរដ្ឋ។"
ONLINE = os.environ.get("LOAXA_TEST_EDGE_ONLINE") == "1"

EngineFactory = Callable[[TtsSettings], Synthesizer]
ENGINES: dict[str, EngineFactory] = {
    "espeak": EspeakSynthesizer,
    "edge-fake": lambda settings: EdgeSynthesizer(settings, FakeEdgeTransport()),
    "edge-online": lambda settings: EdgeSynthesizer(settings, EdgeTtsTransport(settings)),
}


@pytest.fixture(
    params=[
        "espeak",
        "edge-fake",
        pytest.param(
            "edge-online",
            marks=pytest.mark.skipif(not ONLINE, reason="needs the internet; set LOAXA_TEST_EDGE_ONLINE=1"),
        ),
    ]
)
def make_engine(request: pytest.FixtureRequest) -> EngineFactory:
    factory: EngineFactory = ENGINES[request.param]
    return factory


def speak(engine: Synthesizer, text: str, *, dialect: Dialect = "north", language: Language = "vi") -> Speech:
    return asyncio.run(engine.synthesize(text, dialect=dialect, language=language))


def decode(speech: Speech) -> AudioSegment:
    """ffmpeg (through pydub) must be able to read what the engine returns."""
    return AudioSegment.from_file(io.BytesIO(speech.audio))


def longest_inner_silence_ms(audio: AudioSegment, *, window_ms: int = 20, below_dbfs: float = -50.0) -> int:
    """The longest run of silent windows between the first and the last sound."""
    loud = [audio[i : i + window_ms].dBFS > below_dbfs for i in range(0, len(audio) - window_ms, window_ms)]
    first, last = loud.index(True), len(loud) - 1 - loud[::-1].index(True)
    longest = run = 0
    for is_loud in loud[first : last + 1]:
        run = 0 if is_loud else run + 1
        longest = max(longest, run)
    return longest * window_ms


def test_is_a_synthesizer(make_engine: EngineFactory) -> None:
    assert isinstance(make_engine(TtsSettings()), Synthesizer)


@pytest.mark.parametrize("dialect", ["north", "south"])
def test_speaks_a_vietnamese_sentence(make_engine: EngineFactory, dialect: Dialect) -> None:
    engine = make_engine(TtsSettings())
    speech = speak(engine, SENTENCE, dialect=dialect)
    audio = decode(speech)
    # ~20 syllables: a person reads that in 4-8 s; anything far off is not this sentence.
    assert 2_500 < len(audio) < 15_000, len(audio)
    assert audio.dBFS > -35, "speech, not silence"
    assert speech.voice_key == engine.voice_key(dialect=dialect, language="vi")
    assert speech.engine == engine.name


def test_long_text_comes_back_as_one_continuous_audio(make_engine: EngineFactory) -> None:
    # Fast speech: the same joins and chunking, half the audio to make and measure (3,000 characters are still
    # about two minutes of it).
    engine = make_engine(TtsSettings(espeak_rate_wpm=260, edge_rate="+50%"))
    repeats = 31
    long_text = SENTENCE * repeats
    assert len(long_text) > 3_000
    one = len(decode(speak(engine, SENTENCE)))
    whole = decode(speak(engine, long_text))
    # Duration is the sum of the parts: nothing dropped, nothing doubled, pauses at joins stay pauses.
    assert 0.85 * repeats * one < len(whole) < 1.2 * repeats * one, (len(whole), one)
    # One continuous reading: no stretch of silence longer than a sentence pause anywhere inside it.
    assert longest_inner_silence_ms(whole) < 1_000


@pytest.mark.parametrize("text", ["", "   \n\t"])
def test_empty_text_is_rejected(make_engine: EngineFactory, text: str) -> None:
    with pytest.raises(TextRejected):
        speak(make_engine(TtsSettings()), text)


def test_overlong_text_is_rejected(make_engine: EngineFactory) -> None:
    with pytest.raises(TextRejected):
        speak(make_engine(TtsSettings(max_text_chars=50)), SENTENCE)


def test_voice_key_is_stable_and_names_the_voice(make_engine: EngineFactory) -> None:
    settings = TtsSettings()
    keys = [make_engine(settings).voice_key(dialect="north", language="vi") for _ in range(2)]
    assert keys[0] == keys[1] and hash(keys[0]) == hash(keys[1])
    assert isinstance(keys[0], VoiceKey)
    assert keys[0].engine == make_engine(settings).name
    assert keys[0].voice and keys[0].rate
    assert keys[0].voice in (settings.espeak_voice_north, settings.edge_voice_vi)


def test_khmer_is_spoken_or_refused_as_unsupported(make_engine: EngineFactory) -> None:
    engine = make_engine(TtsSettings())
    try:
        key = engine.voice_key(dialect="south", language="km")
    except LanguageUnsupported:
        with pytest.raises(LanguageUnsupported):
            speak(engine, KHMER, language="km")
        return
    speech = speak(engine, KHMER, language="km")
    assert speech.voice_key == key
    audio = decode(speech)
    assert len(audio) > 500 and audio.dBFS > -35
