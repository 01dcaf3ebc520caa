"""edge-tts specifics: chunking, hard timeouts, bounded retries, click-free joins.

The service is replaced by `FakeEdgeTransport` (real MP3 speech made locally) or by a tone source; the real
`EdgeTtsTransport` is exercised against a local proxy that accepts connections and never answers.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import io
import itertools
import subprocess
import time
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pydantic import ValidationError
from pydub import AudioSegment

from tests.tts.edge_fake import FakeEdgeTransport
from tts.edge import (
    SAMPLE_RATE_HZ,
    SEAM_FADE_MS,
    SEAM_PAUSE_MS,
    EdgeSynthesizer,
    EdgeTransport,
    EdgeTtsTransport,
    decode_chunk,
    join_chunks,
    split_into_chunks,
)
from tts.errors import EngineUnavailable, TextRejected
from tts.settings import TtsSettings
from tts.synthesizer import Speech

SENTENCE = "Kính thưa bà con, xin thông báo lịch tiêm phòng vắc xin cho trẻ em dưới năm tuổi tại trạm y tế xã."
QUICK = TtsSettings(edge_retry_backoff_s=0.0)
T = TypeVar("T")


def squash(text: str) -> str:
    return " ".join(text.split())


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


# --- chunking (pure) ---------------------------------------------------------------------------------------------


def test_short_text_is_one_chunk() -> None:
    assert split_into_chunks("  Xin chào bà con.  ", 100) == ["Xin chào bà con."]


def test_chunks_pack_whole_sentences_up_to_the_limit() -> None:
    text = "Một hai ba. Bốn năm sáu! Bảy tám chín? Mười một; mười hai.\nDòng mới không chấm"
    chunks = split_into_chunks(text, 25)
    assert chunks == ["Một hai ba. Bốn năm sáu!", "Bảy tám chín? Mười một;", "mười hai.", "Dòng mới không chấm"]


def test_every_chunk_ends_at_a_sentence_end_and_nothing_is_lost() -> None:
    text = " ".join(f"Câu số {n} của bản tin hôm nay." for n in range(200))
    chunks = split_into_chunks(text, 300)
    assert all(len(chunk) <= 300 for chunk in chunks)
    assert all(chunk.endswith(".") for chunk in chunks)
    # Packed greedily: the next chunk's first sentence would not have fitted into this one.
    assert all(len(a) + 1 + len(b.split(".")[0]) + 1 > 300 for a, b in itertools.pairwise(chunks))
    assert squash(" ".join(chunks)) == squash(text)


def test_a_decimal_point_or_closing_quote_is_not_cut_wrongly() -> None:
    text = "Lượng mưa 3.5 mm. Ông nói: “Đi sơ tán.” Rồi về."
    assert split_into_chunks(text, 22) == ["Lượng mưa 3.5 mm.", "Ông nói: “Đi sơ tán.”", "Rồi về."]


def test_a_monster_sentence_is_cut_at_commas_then_spaces_then_anywhere() -> None:
    clauses = ", ".join(f"mục {n} gồm nhiều chữ" for n in range(30)) + "."
    by_comma = split_into_chunks(clauses, 60)
    assert all(len(chunk) <= 60 for chunk in by_comma)
    assert all(chunk.endswith((",", ".")) for chunk in by_comma)
    assert squash(" ".join(by_comma)) == squash(clauses)

    words = " ".join(["từ"] * 100)
    by_space = split_into_chunks(words, 50)
    assert all(len(chunk) <= 50 and not chunk.startswith(" ") for chunk in by_space)
    assert squash(" ".join(by_space)) == words

    assert split_into_chunks("a" * 25, 10) == ["a" * 10, "a" * 10, "a" * 5]


def test_whitespace_only_gives_no_chunks() -> None:
    assert split_into_chunks(" \n\t ", 10) == []


# --- settings and voices -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field", [{"edge_voice_vi": "vi-VN-Unknown"}, {"edge_voice_km": "vi-VN-HoaiMyNeural"}, {"edge_rate": "slow"}]
)
def test_invalid_edge_settings_are_refused_naming_the_field(field: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match=next(iter(field))):
        TtsSettings.model_validate(field)


def test_the_dialect_does_not_change_the_voice_the_language_does() -> None:
    engine = EdgeSynthesizer(TtsSettings(edge_voice_vi="vi-VN-NamMinhNeural", edge_rate="+0%"), FakeEdgeTransport())
    north = engine.voice_key(dialect="north", language="vi")
    assert north == engine.voice_key(dialect="south", language="vi")
    assert (north.engine, north.voice, north.rate) == ("edge", "vi-VN-NamMinhNeural", "+0%")
    assert engine.voice_key(dialect="south", language="km").voice == "km-KH-SreymomNeural"


def test_the_voice_and_rate_reach_the_service() -> None:
    fake = FakeEdgeTransport()
    settings = TtsSettings(edge_voice_km="km-KH-PisethNeural", edge_rate="-20%")
    speech = run(EdgeSynthesizer(settings, fake).synthesize("Xin chào.", dialect="north", language="km"))
    assert [(call.voice, call.rate) for call in fake.calls] == [("km-KH-PisethNeural", "-20%")]
    assert (speech.engine, speech.voice, speech.rate) == ("edge", "km-KH-PisethNeural", "-20%")


def test_empty_text_never_reaches_the_service() -> None:
    fake = FakeEdgeTransport()
    with pytest.raises(TextRejected):
        run(EdgeSynthesizer(QUICK, fake).synthesize(" \n ", dialect="north"))
    assert fake.calls == []


def test_long_text_is_fetched_chunk_by_chunk_in_order() -> None:
    fake = FakeEdgeTransport()
    settings = TtsSettings(edge_max_chunk_chars=100)
    text = " ".join(f"Câu {n}." for n in range(40))  # 40 sentences of 6-7 characters: 3 chunks
    speech = run(EdgeSynthesizer(settings, fake).synthesize(text, dialect="north"))
    assert [call.text for call in fake.calls] == split_into_chunks(text, 100)
    assert len(fake.calls) >= 3 and all(call.text.endswith(".") for call in fake.calls)
    assert speech.audio[:4] == b"RIFF"


# --- timeouts and retries ----------------------------------------------------------------------------------------


def test_a_hanging_service_hits_the_hard_timeout() -> None:
    fake = FakeEdgeTransport(hang_s=60)
    settings = TtsSettings(edge_chunk_timeout_s=0.3, edge_retries=1, edge_retry_backoff_s=0.0)
    started = time.monotonic()
    with pytest.raises(EngineUnavailable, match=r"failed 2 times; last: no answer within 0.3 s"):
        run(EdgeSynthesizer(settings, fake).synthesize(SENTENCE, dialect="north"))
    assert time.monotonic() - started < 2.0
    assert len(fake.calls) == 2


def test_a_retry_recovers_from_one_hang() -> None:
    fake = FakeEdgeTransport(hang_s=60, hang_calls=1)
    # Well above the stand-in's real work for two words (espeak-ng and an MP3 encoder, ~0.2 s), far below the hang.
    settings = TtsSettings(edge_chunk_timeout_s=1.0, edge_retries=1, edge_retry_backoff_s=0.0)
    speech = run(EdgeSynthesizer(settings, fake).synthesize("Xin chào.", dialect="north"))
    assert len(fake.calls) == 2
    assert len(decode_wav(speech)) > 300


def test_retries_recover_from_transient_failures() -> None:
    fake = FakeEdgeTransport(fail_first=2)
    settings = QUICK.model_copy(update={"edge_retries": 2})
    speech = run(EdgeSynthesizer(settings, fake).synthesize("Xin chào.", dialect="north"))
    assert len(fake.calls) == 3
    assert speech.audio[:4] == b"RIFF"


@pytest.mark.parametrize("retries", [0, 3])
def test_retries_are_bounded(retries: int) -> None:
    fake = FakeEdgeTransport(fail_always=True)
    settings = QUICK.model_copy(update={"edge_retries": retries})
    with pytest.raises(EngineUnavailable, match=f"failed {retries + 1} times; last: .*connection reset"):
        run(EdgeSynthesizer(settings, fake).synthesize("Xin chào.", dialect="north"))
    assert len(fake.calls) == retries + 1


def test_backoff_grows_between_retries() -> None:
    fake = FakeEdgeTransport(fail_always=True)
    settings = TtsSettings(edge_retries=2, edge_retry_backoff_s=0.1)
    started = time.monotonic()
    with pytest.raises(EngineUnavailable):
        run(EdgeSynthesizer(settings, fake).synthesize("Xin chào.", dialect="north"))
    assert 0.3 <= time.monotonic() - started < 1.5  # 0.1 s, then 0.2 s


class GarbageTransport:
    def __init__(self) -> None:
        self.calls = 0

    async def fetch(self, text: str, *, voice: str, rate: str) -> bytes:
        self.calls += 1
        return b"<html>proxy login required</html>"


def test_audio_that_does_not_decode_is_an_unavailable_engine() -> None:
    garbage = GarbageTransport()
    with pytest.raises(EngineUnavailable, match="cannot decode"):
        run(EdgeSynthesizer(QUICK.model_copy(update={"edge_retries": 1}), garbage).synthesize("Xin.", dialect="north"))
    assert garbage.calls == 2


class BuggyTransport:
    async def fetch(self, text: str, *, voice: str, rate: str) -> bytes:
        raise KeyError("a bug, not an outage")


def test_a_bug_in_the_transport_is_not_disguised_as_an_outage() -> None:
    with pytest.raises(KeyError):
        run(EdgeSynthesizer(QUICK, BuggyTransport()).synthesize("Xin chào.", dialect="north"))


# --- the real transport against an unresponsive proxy ------------------------------------------------------------


@contextlib.asynccontextmanager
async def silent_proxy() -> AsyncIterator[int]:
    """A TCP server on a free port that accepts connections and never says a word."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


def test_the_real_transport_gives_up_on_a_proxy_that_never_answers() -> None:
    async def scenario() -> float:
        async with silent_proxy() as port:
            settings = TtsSettings(
                edge_proxy=f"http://127.0.0.1:{port}", edge_chunk_timeout_s=0.5, edge_retries=1, edge_retry_backoff_s=0
            )
            started = time.monotonic()
            with pytest.raises(EngineUnavailable, match=r"failed 2 times; last: no answer within 0\.5 s"):
                await EdgeSynthesizer(settings).synthesize("Xin chào.", dialect="north")
            return time.monotonic() - started

    assert run(scenario()) < 3.0


def test_the_real_transport_reports_a_refused_proxy_as_unavailable() -> None:
    async def free_port() -> int:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port: int = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        return port

    port = run(free_port())
    settings = TtsSettings(edge_proxy=f"http://127.0.0.1:{port}", edge_retries=0)
    with pytest.raises(EngineUnavailable, match=r"edge-tts: .*Connect"):
        run(EdgeTtsTransport(settings).fetch("Xin chào.", voice=settings.edge_voice_vi, rate=settings.edge_rate))


# --- joins without clicks ----------------------------------------------------------------------------------------


def samples(segment: AudioSegment) -> array.array[int]:
    assert (segment.sample_width, segment.channels, segment.frame_rate) == (2, 1, SAMPLE_RATE_HZ)
    return array.array("h", segment.raw_data)


def largest_step(pcm: array.array[int]) -> int:
    return max(abs(b - a) for a, b in itertools.pairwise(pcm))


def decode_wav(speech: Speech) -> AudioSegment:
    return AudioSegment.from_file(io.BytesIO(speech.audio), format="wav")


@pytest.fixture(scope="module")
def hostile_tone(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """MP3 of a loud 400 Hz tone that starts at its positive peak and stops at its negative peak.

    Played back to back, two of these jump by the full scale at the seam: the worst chunk a service could send.
    Written to a file, not a pipe, so that the encoder records its padding and the decoder trims it exactly.
    """
    path: Path = tmp_path_factory.mktemp("tone") / "tone.mp3"
    source = "aevalsrc=0.5*cos(2*PI*400*t):s=24000:d=0.50125"  # 200.5 periods of 60 samples
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", source, "-c:a", "libmp3lame", "-b:a", "48k", str(path)],
        check=True,
    )
    return path.read_bytes()


class ToneTransport:
    def __init__(self, mp3: bytes) -> None:
        self.mp3 = mp3

    async def fetch(self, text: str, *, voice: str, rate: str) -> bytes:
        return self.mp3


def test_the_join_has_no_click_at_the_seams(hostile_tone: bytes) -> None:
    chunk = decode_chunk(hostile_tone)
    pcm = samples(chunk)
    edge = SAMPLE_RATE_HZ * SEAM_FADE_MS // 1000
    inside = largest_step(pcm[edge:-edge])  # the tone's own steepest step, away from the codec's edges
    naive = largest_step(samples(chunk + chunk))
    assert naive > 5 * inside, "the measurement must see the click a plain concatenation makes"

    transport: EdgeTransport = ToneTransport(hostile_tone)
    text = " ".join(f"Câu {n}." for n in range(3))
    speech = run(EdgeSynthesizer(TtsSettings(edge_max_chunk_chars=100), transport).synthesize(text, dialect="north"))
    whole = decode_wav(speech)
    assert speech.audio[:4] == b"RIFF" and whole.frame_rate == SAMPLE_RATE_HZ
    assert largest_step(samples(whole)) <= 1.05 * inside


def test_joining_adds_exactly_the_seam_pauses() -> None:
    beep = AudioSegment.silent(duration=300, frame_rate=SAMPLE_RATE_HZ).set_sample_width(2)
    joined = join_chunks([beep, beep, beep])
    pause = SAMPLE_RATE_HZ * SEAM_PAUSE_MS // 1000
    assert len(samples(joined)) == 3 * len(samples(beep)) + 2 * pause
