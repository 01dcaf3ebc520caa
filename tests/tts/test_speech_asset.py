"""The speech renderer: fallback over engines, the cache, and what the asset records (real DB, espeak-ng, ffmpeg)."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, create_engine, select

from audio_library import AssetStore, AudioAsset, AudioSettings
from tests.harness import fresh_database
from tests.tts.edge_fake import FakeEdgeTransport
from tts.edge import EdgeSynthesizer
from tts.errors import NoSpeechEngine, TextRejected
from tts.espeak import EspeakSynthesizer
from tts.settings import TtsSettings
from tts.speech_asset import Chime, SpeechRenderer, SpeechRequest
from tts.speech_cache import SpeechCache, SpeechCacheEntry
from tts.synthesizer import Dialect, Language, Speech, Synthesizer, VoiceKey

TEXT = "Theo Nghị định 100/2019/NĐ-CP, UBND xã đề nghị bà con chấp hành nghiêm."
# Short timeouts and no retry pauses: the fake service answers at once or fails at once.
FAST_EDGE = TtsSettings(edge_retries=1, edge_retry_backoff_s=0.0, edge_chunk_timeout_s=10.0)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Engine]:
    with fresh_database("sqlite", tmp_path) as url:
        engine = create_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def audio(tmp_path: Path) -> AudioSettings:
    return AudioSettings(storage_dir=tmp_path / "audio")


@pytest.fixture
def renderer_for(db: Engine, audio: AudioSettings) -> Callable[[list[Synthesizer]], SpeechRenderer]:
    def build(engines: list[Synthesizer]) -> SpeechRenderer:
        cache = SpeechCache(lambda: Session(db), AssetStore(audio.storage_dir))
        return SpeechRenderer(engines, audio, cache)

    return build


def count(db: Engine, table: type[AudioAsset] | type[SpeechCacheEntry]) -> int:
    with Session(db) as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


def test_speech_is_stored_once_and_then_served_from_the_cache(
    renderer_for: Callable[[list[Synthesizer]], SpeechRenderer], db: Engine, audio: AudioSettings
) -> None:
    renderer = renderer_for([EspeakSynthesizer(TtsSettings())])
    started = time.perf_counter()
    first = asyncio.run(renderer.render(SpeechRequest(text=TEXT)))
    first_s = time.perf_counter() - started
    assert not first.cached and first.engine == "espeak" and first.voice == "vi"
    assert "của Chính phủ" in first.spoken_text and "100" not in first.spoken_text
    assert AssetStore(audio.storage_dir).open_path(first.asset_sha256, "opus").is_file()
    assert first.loudness_lufs is not None and abs(first.loudness_lufs - audio.target_lufs) <= 1.0
    assets = count(db, AudioAsset)
    assert assets == 2  # the Opus asset and its MP3 rendition
    started = time.perf_counter()
    second = asyncio.run(renderer.render(SpeechRequest(text=TEXT)))
    assert time.perf_counter() - started < first_s / 3
    assert second.cached and second.asset_sha256 == first.asset_sha256
    assert count(db, AudioAsset) == assets and count(db, SpeechCacheEntry) == 1
    with Session(db) as session:
        entry = session.exec(select(SpeechCacheEntry)).one()
        assert entry.hits == 1 and entry.last_hit_at is not None


def test_a_different_dialect_voice_or_chime_is_a_different_asset(
    renderer_for: Callable[[list[Synthesizer]], SpeechRenderer], tmp_path: Path
) -> None:
    renderer = renderer_for([EspeakSynthesizer(TtsSettings())])
    north = asyncio.run(renderer.render(SpeechRequest(text=TEXT)))
    south = asyncio.run(renderer.render(SpeechRequest(text=TEXT, dialect="south")))
    assert south.voice == "vi-vn-x-south" and south.asset_sha256 != north.asset_sha256
    chime_file = tmp_path / "chime.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=880:d=1", str(chime_file)], check=True)
    chime = Chime(sha256="c" * 64, audio=chime_file.read_bytes())
    framed = asyncio.run(renderer.render(SpeechRequest(text=TEXT, intro=chime)))
    assert not framed.cached and framed.duration_ms > north.duration_ms + 1000


def test_a_lost_file_is_synthesised_again(
    renderer_for: Callable[[list[Synthesizer]], SpeechRenderer], audio: AudioSettings
) -> None:
    renderer = renderer_for([EspeakSynthesizer(TtsSettings())])
    first = asyncio.run(renderer.render(SpeechRequest(text=TEXT)))
    AssetStore(audio.storage_dir).open_path(first.asset_sha256, "opus").unlink()
    again = asyncio.run(renderer.render(SpeechRequest(text=TEXT)))
    assert not again.cached and again.asset_sha256 == first.asset_sha256
    assert AssetStore(audio.storage_dir).open_path(first.asset_sha256, "opus").is_file()


def test_offline_engine_takes_over_when_the_online_one_fails(
    renderer_for: Callable[[list[Synthesizer]], SpeechRenderer],
) -> None:
    cloud = FakeEdgeTransport(fail_always=True)
    renderer = renderer_for([EdgeSynthesizer(FAST_EDGE, cloud), EspeakSynthesizer(TtsSettings())])
    first = asyncio.run(renderer.render(SpeechRequest(text=TEXT)))
    assert first.engine == "espeak" and first.skipped and first.skipped[0].startswith("edge")
    tried = len(cloud.calls)
    assert tried == 2  # one attempt and one retry, then the fallback
    # Still offline: edge-tts is tried again (it may be back), then the cached offline speech is used.
    second = asyncio.run(renderer.render(SpeechRequest(text=TEXT)))
    assert second.cached and second.engine == "espeak" and len(cloud.calls) == 2 * tried


def test_online_engine_is_preferred_and_recorded(
    renderer_for: Callable[[list[Synthesizer]], SpeechRenderer], db: Engine
) -> None:
    cloud = FakeEdgeTransport(fail_first=1)
    renderer = renderer_for([EdgeSynthesizer(FAST_EDGE, cloud), EspeakSynthesizer(TtsSettings())])
    rendered = asyncio.run(renderer.render(SpeechRequest(text=TEXT)))
    assert rendered.engine == "edge" and rendered.voice == "vi-VN-HoaiMyNeural" and not rendered.skipped
    with Session(db) as session:
        asset = session.get(AudioAsset, rendered.asset_sha256)
        assert asset is not None and (asset.engine, asset.voice) == ("edge", "vi-VN-HoaiMyNeural")
        assert asset.mp3_sha256 is not None and session.get(AudioAsset, asset.mp3_sha256) is not None
    calls = len(cloud.calls)
    assert asyncio.run(renderer.render(SpeechRequest(text=TEXT))).cached and len(cloud.calls) == calls


def test_text_no_engine_can_speak_is_not_handed_over(
    renderer_for: Callable[[list[Synthesizer]], SpeechRenderer], db: Engine
) -> None:
    cloud = FakeEdgeTransport()
    renderer = renderer_for([EdgeSynthesizer(FAST_EDGE, cloud), EspeakSynthesizer(TtsSettings())])
    with pytest.raises(TextRejected):
        asyncio.run(renderer.render(SpeechRequest(text="  \n ")))
    assert cloud.calls == [] and count(db, AudioAsset) == 0


def test_khmer_needs_the_online_engine(renderer_for: Callable[[list[Synthesizer]], SpeechRenderer]) -> None:
    khmer = SpeechRequest(text="សូមជម្រាបសួរ បងប្អូនទាំងអស់គ្នា។", language="km")
    offline_only = renderer_for([EspeakSynthesizer(TtsSettings())])
    with pytest.raises(NoSpeechEngine) as refused:
        asyncio.run(offline_only.render(khmer))
    assert "km" in refused.value.detail
    both = renderer_for([EdgeSynthesizer(FAST_EDGE, FakeEdgeTransport()), EspeakSynthesizer(TtsSettings())])
    rendered = asyncio.run(both.render(khmer))
    assert rendered.engine == "edge" and rendered.voice == "km-KH-SreymomNeural"
    # The Vietnamese normaliser leaves Khmer text alone.
    assert rendered.spoken_text == khmer.text


def test_the_lexicon_changes_the_reading_and_the_asset(
    renderer_for: Callable[[list[Synthesizer]], SpeechRenderer],
) -> None:
    renderer = renderer_for([EspeakSynthesizer(TtsSettings())])
    plain = asyncio.run(renderer.render(SpeechRequest(text="Đoàn BQLR xã tuần tra.")))
    local = asyncio.run(
        renderer.render(SpeechRequest(text="Đoàn BQLR xã tuần tra.", lexicon={"BQLR": "Ban quản lý rừng"}))
    )
    assert "Ban quản lý rừng" in local.spoken_text and "Ban quản lý rừng" not in plain.spoken_text
    assert local.asset_sha256 != plain.asset_sha256


def test_identical_requests_at_once_store_one_asset(
    renderer_for: Callable[[list[Synthesizer]], SpeechRenderer], db: Engine
) -> None:
    renderer = renderer_for([EspeakSynthesizer(TtsSettings())])

    async def both() -> list[str]:
        results = await asyncio.gather(*(renderer.render(SpeechRequest(text=TEXT)) for _ in range(3)))
        return [r.asset_sha256 for r in results]

    shas = asyncio.run(both())
    assert len(set(shas)) == 1
    assert count(db, SpeechCacheEntry) == 1 and count(db, AudioAsset) == 2


class CountingEngine:
    """espeak-ng, counting how often it is asked to speak."""

    def __init__(self) -> None:
        self.engine = EspeakSynthesizer(TtsSettings())
        self.name = self.engine.name
        self.calls = 0

    def voice_key(self, *, dialect: Dialect, language: Language) -> VoiceKey:
        return self.engine.voice_key(dialect=dialect, language=language)

    async def synthesize(self, spoken_text: str, *, dialect: Dialect, language: Language = "vi") -> Speech:
        self.calls += 1
        return await self.engine.synthesize(spoken_text, dialect=dialect, language=language)


def test_speech_being_made_is_waited_for_not_made_twice(
    renderer_for: Callable[[list[Synthesizer]], SpeechRenderer],
) -> None:
    """A bulletin is spoken ahead when it is submitted; approving it meanwhile waits for that speech."""
    engine = CountingEngine()
    renderer = renderer_for([engine])

    async def ahead_then_approval() -> list[tuple[str, bool]]:
        ahead = asyncio.create_task(renderer.render(SpeechRequest(text=TEXT)))
        await asyncio.sleep(0.05)  # the first one is being spoken
        approval = await renderer.render(SpeechRequest(text=TEXT))
        first = await ahead
        return [(first.asset_sha256, first.cached), (approval.asset_sha256, approval.cached)]

    (first, first_cached), (second, second_cached) = asyncio.run(ahead_then_approval())
    assert first == second and (first_cached, second_cached) == (False, True)
    assert engine.calls == 1


def test_a_failed_online_engine_rests_for_the_cooldown(db: Engine, audio: AudioSettings, tmp_path: Path) -> None:
    now = [1000.0]
    cloud = FakeEdgeTransport(fail_always=True)
    renderer = SpeechRenderer(
        [EdgeSynthesizer(FAST_EDGE, cloud), EspeakSynthesizer(TtsSettings())],
        audio,
        SpeechCache(lambda: Session(db), AssetStore(audio.storage_dir)),
        cooldown_s=300,
        clock=lambda: now[0],
    )
    asyncio.run(renderer.render(SpeechRequest(text=TEXT)))
    tried = len(cloud.calls)
    rested = asyncio.run(renderer.render(SpeechRequest(text="Bà con lưu ý.")))
    assert len(cloud.calls) == tried and rested.engine == "espeak" and "not tried" in rested.skipped[0]
    now[0] += 301
    cloud.fail_always = False
    back = asyncio.run(renderer.render(SpeechRequest(text="Bà con lưu ý.")))
    assert back.engine == "edge" and len(cloud.calls) > tried


def test_a_failing_chunk_stores_nothing(
    renderer_for: Callable[[list[Synthesizer]], SpeechRenderer], db: Engine, audio: AudioSettings, tmp_path: Path
) -> None:
    # The real espeak-ng, except for the chunk that holds the word "hỏng".
    espeak = tmp_path / "espeak-failing-one-chunk"
    espeak.write_text(
        '#!/bin/sh\ntext=$(cat)\ncase "$text" in *hỏng*) echo "bad phoneme" >&2; exit 1;; esac\n'
        'exec espeak-ng "$@" <<END\n$text\nEND\n'
    )
    espeak.chmod(0o755)
    sentences = [
        "Kính thưa bà con, Ủy ban nhân dân xã thông báo lịch tiêm chủng cho trẻ em trong tuần này.",
        "Máy bơm của hợp tác xã bị hỏng nên lịch tưới nước cho cánh đồng phía đông phải lùi lại.",
        "Xin bà con lưu ý thực hiện đúng thời gian để tránh tập trung đông người tại trạm y tế.",
    ]
    settings = TtsSettings(espeak_path=str(espeak), espeak_chunk_chars=100, espeak_workers=2)
    renderer = renderer_for([EspeakSynthesizer(settings)])
    with pytest.raises(NoSpeechEngine, match=r"chunk 2/3.*bad phoneme"):
        asyncio.run(renderer.render(SpeechRequest(text=" ".join(sentences))))
    assert count(db, AudioAsset) == 0 and count(db, SpeechCacheEntry) == 0
    assert not audio.storage_dir.exists() or not any(path.is_file() for path in audio.storage_dir.rglob("*"))
