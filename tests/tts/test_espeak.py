"""The offline engine, the real espeak-ng (engine-independent behaviour is in test_synthesizer_contract.py)."""

from __future__ import annotations

import asyncio
import io
import struct
import sys
import wave
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
    assert key == VoiceKey(engine="espeak", voice=voice, rate="120wpm", options="chunk500")


def test_the_chunk_size_is_in_the_key_and_the_worker_count_is_not() -> None:
    def key(**settings: int) -> VoiceKey:
        return EspeakSynthesizer(TtsSettings(**settings)).voice_key(dialect="north", language="vi")

    assert key(espeak_chunk_chars=300) != key(espeak_chunk_chars=500)
    assert key(espeak_workers=1) == key(espeak_workers=4)


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


LONG_TEXT = " ".join(
    [
        "Kính thưa bà con, Ủy ban nhân dân xã thông báo lịch tiêm chủng cho trẻ em trong tuần này.",
        "Các gia đình có con dưới năm tuổi mang theo sổ tiêm chủng đến trạm y tế xã.",
        "Buổi sáng từ bảy giờ đến mười một giờ, buổi chiều từ một giờ rưỡi đến năm giờ.",
        "Xin bà con lưu ý thực hiện đúng thời gian để tránh tập trung đông người.",
    ]
)


def wav_info(audio: bytes) -> tuple[int, int]:
    """(frame rate, frames) as the header says; the header must match the bytes that follow it."""
    with wave.open(io.BytesIO(audio)) as speech:
        assert speech.getnchannels() == 1 and speech.getsampwidth() == 2
        assert struct.unpack("<I", audio[4:8])[0] == len(audio) - 8
        assert speech.getnframes() * 2 == len(audio) - 44
        return speech.getframerate(), speech.getnframes()


def test_chunks_spoken_side_by_side_give_the_audio_of_one_at_a_time() -> None:
    def speak(workers: int, chunk_chars: int = 100) -> bytes:
        settings = TtsSettings(espeak_chunk_chars=chunk_chars, espeak_workers=workers)
        return asyncio.run(EspeakSynthesizer(settings).synthesize(LONG_TEXT, dialect="north")).audio

    side_by_side, one_at_a_time, one_process = speak(workers=3), speak(workers=1), speak(1, chunk_chars=20_000)
    assert side_by_side == one_at_a_time
    rate, frames = wav_info(side_by_side)
    _rate, whole = wav_info(one_process)
    # Four sentences, four chunks, three seams: each seam is a sentence's pause, give or take 50 ms.
    assert abs(frames - whole) <= 3 * 0.05 * rate


def fake_espeak(tmp_path: Path, body: str) -> Path:
    """A stand-in espeak-ng that writes the text it was given as its "PCM", after running `body`."""
    script = tmp_path / "fake-espeak"
    script.write_text(
        f"""#!{sys.executable}
import os, struct, sys, time
text = sys.stdin.buffer.read()
{body}
pcm = text + b" " * (len(text) % 2)
fmt = struct.pack("<IHHIIHH", 16, 1, 1, 22050, 44100, 2, 16)
sys.stdout.buffer.write(b"RIFF" + b"\\xff" * 4 + b"WAVEfmt " + fmt + b"data" + b"\\xff" * 4 + pcm)
"""
    )
    script.chmod(0o755)
    return script


def test_chunks_are_joined_in_text_order_whichever_finishes_first(tmp_path: Path) -> None:
    # One sentence per chunk; the first takes longest, so with three workers the later ones finish before it.
    espeak = fake_espeak(tmp_path, 'time.sleep(0.6 if text.startswith(b"Kinh") else 0.0)')
    text = " ".join(f"Cau so {n} " + "x" * 80 + "." for n in range(5)).replace("Cau so 0", "Kinh so 0")
    settings = TtsSettings(espeak_path=str(espeak), espeak_chunk_chars=100, espeak_workers=3)
    joined = asyncio.run(EspeakSynthesizer(settings).synthesize(text, dialect="north")).audio[44:]
    assert joined.replace(b" ", b"") == text.encode().replace(b" ", b"")


def test_no_more_processes_than_workers_run_at_once(tmp_path: Path) -> None:
    running = tmp_path / "running"
    running.mkdir()
    peaks = tmp_path / "peaks"
    espeak = fake_espeak(
        tmp_path,
        f"""mine = os.path.join({str(running)!r}, str(os.getpid()))
open(mine, "w").close()
with open({str(peaks)!r}, "a") as log:
    log.write(f"{{len(os.listdir({str(running)!r}))}}\\n")
time.sleep(0.3)
os.remove(mine)""",
    )
    long_text = " ".join(f"Cau so {n} " + "x" * 80 + "." for n in range(6))
    settings = TtsSettings(espeak_path=str(espeak), espeak_chunk_chars=100, espeak_workers=2)
    asyncio.run(EspeakSynthesizer(settings).synthesize(long_text, dialect="north"))
    counts = [int(line) for line in peaks.read_text().split()]
    assert len(counts) == 6 and max(counts) == 2


def test_a_failing_chunk_fails_the_whole_text_and_says_which(tmp_path: Path) -> None:
    espeak = fake_espeak(
        tmp_path, 'if b"HONG" in text:\n    sys.stderr.write("bad phoneme")\n    sys.exit(3)\ntime.sleep(0.2)'
    )
    long_text = " ".join(f"Cau so {n} " + "x" * 80 + "." for n in range(4)).replace("Cau so 2", "HONG so 2")
    settings = TtsSettings(espeak_path=str(espeak), espeak_chunk_chars=100, espeak_workers=2)
    with pytest.raises(EngineUnavailable, match=r"chunk 3/4: bad phoneme"):
        asyncio.run(EspeakSynthesizer(settings).synthesize(long_text, dialect="north"))
