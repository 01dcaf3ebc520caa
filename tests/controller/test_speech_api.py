"""Speech over the HTTP API, against the real app on a real port.

Real mosquitto, a fresh database per test, real espeak-ng and ffmpeg; the edge-tts cloud is the local
stand-in (`FakeEdgeTransport`) where a test needs it. Covers the normaliser's reading and the lexicon,
previews, approval through the speech cache, engine fallback, recording uploads, chimes, and the MP3
renditions that legacy nodes pull.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import re
import subprocess
import time
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from audio_library import AudioAsset, measure_loudness
from controller.accounts import Role
from controller.db import make_engine
from controller.services import build_services
from controller.settings import Settings
from devices.mosquitto import MosquittoProcess
from firmware_sim import NodeIdentity
from tests.harness import Api, ControllerServer, add_user_directly, login, setup_commune, wait_until
from tests.tts.edge_fake import FakeEdgeTransport
from tts.settings import TtsSettings
from tts.speech_cache import SpeechCacheEntry

# Small enough that a few seconds of 48 kHz WAV is over it, large enough for the short test recordings.
UPLOAD_MAX_BYTES = 200_000
MAX_DURATION_S = 30
TARGET_LUFS = -16.0
DIGITS = re.compile(r"[0-9]")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    audio = settings.audio.model_copy(update={"upload_max_bytes": UPLOAD_MAX_BYTES, "max_duration_s": MAX_DURATION_S})
    return settings.model_copy(update={"audio": audio})


# -- test audio, made once with espeak-ng and ffmpeg ------------------------------------------------------


def _run(args: list[str], data: bytes = b"") -> bytes:
    return subprocess.run(args, input=data, capture_output=True, check=True, timeout=60).stdout


def _ffmpeg(*args: str) -> bytes:
    return _run(["ffmpeg", "-v", "error", "-nostdin", *args])


@dataclass(frozen=True)
class Samples:
    speech: dict[str, bytes]  # the same spoken sentence as wav, mp3, m4a, ogg and flac
    silence_wav: bytes
    long_mp3: bytes  # longer than MAX_DURATION_S, small in bytes
    big_wav: bytes  # over UPLOAD_MAX_BYTES
    tone_wav: bytes  # a 1 kHz chime of one second


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    work = tmp_path_factory.mktemp("samples")
    raw = work / "raw.wav"
    _run(["espeak-ng", "-v", "vi", "-w", str(raw), "Xin chào bà con, đây là bản ghi âm của xã."])
    speech = {}
    for fmt, codec in [("wav", "pcm_s16le"), ("mp3", "libmp3lame"), ("m4a", "aac"), ("ogg", "libvorbis")]:
        out = work / f"speech.{fmt}"
        _ffmpeg("-i", str(raw), "-ac", "1", "-ar", "16000", "-c:a", codec, str(out))
        speech[fmt] = out.read_bytes()
    flac = work / "speech.flac"
    _ffmpeg("-i", str(raw), "-ac", "1", "-ar", "16000", str(flac))
    speech["flac"] = flac.read_bytes()
    lavfi = ["-f", "lavfi", "-i"]
    return Samples(
        speech=speech,
        silence_wav=_ffmpeg(*lavfi, "anullsrc=r=16000:cl=mono", "-t", "3", "-f", "wav", "-"),
        long_mp3=_ffmpeg(*lavfi, "sine=f=440:r=8000", "-t", str(MAX_DURATION_S + 10), "-b:a", "8k", "-f", "mp3", "-"),
        big_wav=_ffmpeg(*lavfi, "sine=f=440:r=48000", "-t", "3", "-f", "wav", "-"),
        tone_wav=_ffmpeg(*lavfi, "sine=f=1000:r=48000", "-t", "1", "-f", "wav", "-"),
    )


def test_samples_fit_the_limits(samples: Samples) -> None:
    assert all(len(data) < UPLOAD_MAX_BYTES for data in [*samples.speech.values(), samples.tone_wav])
    assert len(samples.long_mp3) < UPLOAD_MAX_BYTES < len(samples.big_wav)


def probe_codec(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / f"probe-{hashlib.sha256(data).hexdigest()[:12]}"
    path.write_bytes(data)
    args = ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=codec_name", "-of", "csv=p=0"]
    return _run([*args, str(path)]).decode().strip()


def tone_share(audio: bytes, start_s: float, length_s: float, freq_hz: float = 1000.0) -> float:
    """The share of a window's energy at `freq_hz` (Goertzel): about 1 for a pure tone, small for speech."""
    rate = 16_000
    window = ["-ss", f"{start_s:.3f}", "-t", f"{length_s:.3f}", "-ac", "1", "-ar", str(rate), "-f", "s16le", "-"]
    pcm = _run(["ffmpeg", "-v", "error", "-i", "pipe:0", *window], audio)
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) // 2 * 2])
    coeff = 2 * math.cos(2 * math.pi * freq_hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    total = sum(float(x) * x for x in samples)
    return 2 * power / len(samples) / total if total else 0.0


# -- the world: two provinces, a commune in each, their people, a database view ----------------------------


class Db:
    """Direct reads of what the API stored (to prove that a refusal stored nothing)."""

    def __init__(self, settings: Settings) -> None:
        self.engine: Engine = make_engine(settings.database)
        self.storage_dir = settings.audio.storage_dir

    def asset(self, sha256: str) -> AudioAsset:
        with Session(self.engine) as session:
            asset = session.get(AudioAsset, sha256)
            assert asset is not None, f"no audio_asset row {sha256}"
            return asset

    def count(self, table: type[AudioAsset] | type[SpeechCacheEntry]) -> int:
        with Session(self.engine) as session:
            return int(session.exec(select(func.count()).select_from(table)).one())

    def stored_files(self) -> list[Path]:
        return sorted(p for p in self.storage_dir.rglob("*") if p.is_file()) if self.storage_dir.exists() else []


@pytest.fixture
def db(settings: Settings) -> Iterator[Db]:
    view = Db(settings)
    yield view
    view.engine.dispose()


@dataclass
class World:
    """Commune XA-A (province P) with node A1, its officer and approver; XA-Q (province Q) and its officer."""

    base_url: str
    admin: Api
    officer: Api
    approver: Api
    officer_q: Api
    nodes: dict[str, NodeIdentity]

    def close(self) -> None:
        for api in (self.officer, self.approver, self.officer_q):
            api.client.close()

    def bulletin(self, title: str = "Thông báo", body: str = "Bà con lưu ý.", **extra: Any) -> int:
        response = self.officer.post(
            "/api/v1/bulletins", {"commune_code": "XA-A", "title": title, "body": body, **extra}
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def submit(self, bulletin_id: int) -> None:
        response = self.officer.post(f"/api/v1/bulletins/{bulletin_id}/submit")
        assert response.status_code == 200, response.text

    def approve(self, bulletin_id: int) -> dict[str, Any]:
        response = self.approver.post(f"/api/v1/bulletins/{bulletin_id}/approve")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def upload(self, bulletin_id: int, data: bytes, api: Api | None = None) -> httpx.Response:
        return (api or self.officer).client.put(f"/api/v1/bulletins/{bulletin_id}/recording", content=data)


def make_world(settings: Settings, base_url: str, admin: Api) -> World:
    nodes = setup_commune(admin, "P", "XA-A", ["A1"]) + setup_commune(admin, "Q", "XA-Q", ["Q1"])
    add_user_directly(settings, "officer.a", Role.OFFICER, "password-a", commune_codes=["XA-A"])
    add_user_directly(settings, "approver.a", Role.APPROVER, "password-x", commune_codes=["XA-A"])
    add_user_directly(settings, "officer.q", Role.OFFICER, "password-q", commune_codes=["XA-Q"])
    return World(
        base_url=base_url,
        admin=admin,
        officer=login(base_url, "officer.a", "password-a"),
        approver=login(base_url, "approver.a", "password-x"),
        officer_q=login(base_url, "officer.q", "password-q"),
        nodes={n.device_code: n for n in nodes},
    )


@pytest.fixture
def world(settings: Settings, controller: ControllerServer, admin: Api) -> Iterator[World]:
    built = make_world(settings, controller.base_url, admin)
    yield built
    built.close()


@contextlib.contextmanager
def edge_world(settings: Settings, transport: FakeEdgeTransport, engine: Literal["auto", "edge"]) -> Iterator[World]:
    """A controller whose edge-tts engine talks to `transport`, with the same people and communes."""
    # The fake cloud answers at once or fails at once: no retries, no pauses.
    tts = TtsSettings(engine=engine, edge_retries=0, edge_retry_backoff_s=0.0, edge_chunk_timeout_s=15.0)
    configured = settings.model_copy(update={"tts": tts})
    server = ControllerServer(configured, services_factory=lambda s: build_services(s, edge_transport=transport))
    server.start()
    try:
        assert server.services.link is not None and server.services.link.wait_connected(10)
        add_user_directly(configured, "admin", Role.ADMIN, "admin-password-1")
        admin = login(server.base_url, "admin", "admin-password-1")
        built = make_world(configured, server.base_url, admin)
        try:
            yield built
        finally:
            built.close()
            admin.client.close()
    finally:
        server.stop()


def error_of(response: httpx.Response) -> str:
    return str(response.json()["error"])


# -- 1. the normaliser's reading and the lexicon ----------------------------------------------------------


def test_normalize_reads_out_legal_numbers_and_uses_the_lexicon_of_the_communes_province(world: World) -> None:
    admin, officer = world.admin, world.officer

    def spoken(text: str, commune: str | None, api: Api = admin) -> str:
        response = api.post("/api/v1/speech/normalize", {"text": text, "commune_code": commune})
        assert response.status_code == 200, response.text
        return str(response.json()["spoken_text"])

    legal = spoken("Theo Nghị định 100/2019/NĐ-CP, UBND xã thông báo.", "XA-A", officer)
    assert "của Chính phủ" in legal and "Ủy ban nhân dân" in legal and not DIGITS.search(legal), legal
    assert "một trăm" in legal and "hai nghìn không trăm mười chín" in legal, legal

    text = "Họp QXZ lúc 7h30."
    assert "quỹ" not in spoken(text, "XA-A"), "QXZ must not be in the built-in lexicon for this test to mean much"
    nationwide = admin.post("/api/v1/lexicon", {"abbreviation": "QXZ", "expansion": "quỹ xã"})
    assert nationwide.status_code == 201, nationwide.text
    provincial = admin.post(
        "/api/v1/lexicon", {"abbreviation": "QXZ", "expansion": "quỹ xóa đói", "province_code": "P"}
    )
    assert provincial.status_code == 201, provincial.text
    assert provincial.json()["province_id"] is not None and nationwide.json()["province_id"] is None

    assert spoken(text, "XA-A", officer) == "Họp quỹ xóa đói lúc bảy giờ ba mươi phút."
    assert spoken(text, "XA-Q", world.officer_q) == "Họp quỹ xã lúc bảy giờ ba mươi phút."
    assert spoken(text, None) == "Họp quỹ xã lúc bảy giờ ba mươi phút."
    out_of_scope = officer.post("/api/v1/speech/normalize", {"text": text, "commune_code": "XA-Q"})
    assert out_of_scope.status_code == 403 and error_of(out_of_scope) == "out_of_scope"

    # Only an admin writes the lexicon; bad entries are refused in Vietnamese and store nothing.
    before = admin.get("/api/v1/lexicon").json()
    assert len(before) == 2
    refused = officer.post("/api/v1/lexicon", {"abbreviation": "HTXNN", "expansion": "hợp tác xã nông nghiệp"})
    assert refused.status_code == 403 and error_of(refused) == "forbidden"
    for body, status, code, message in [
        ({"abbreviation": "BCĐ", "expansion": "ban chỉ đạo 389"}, 422, "invalid_lexicon_entry", "chữ số"),
        ({"abbreviation": "htxnn", "expansion": "hợp tác xã"}, 422, "invalid_lexicon_entry", "chữ in hoa"),
        ({"abbreviation": "QXZ", "expansion": "quỹ xã hội"}, 409, "duplicate_lexicon_entry", "đã có trong từ điển"),
        (
            {"abbreviation": "QXZ", "expansion": "quỹ", "province_code": "P"},
            409,
            "duplicate_lexicon_entry",
            "đã có trong từ điển",
        ),
        ({"abbreviation": "HTXNN", "expansion": "hợp tác xã", "province_code": "NOPE"}, 404, "not_found", ""),
    ]:
        response = admin.post("/api/v1/lexicon", body)
        assert response.status_code == status and error_of(response) == code, (body, response.text)
        assert message in response.json()["message"], response.json()
    assert admin.get("/api/v1/lexicon").json() == before
    assert officer.client.delete(f"/api/v1/lexicon/{provincial.json()['id']}").status_code == 403

    assert admin.client.delete(f"/api/v1/lexicon/{provincial.json()['id']}").status_code == 204
    assert spoken(text, "XA-A", officer) == "Họp quỹ xã lúc bảy giờ ba mươi phút.", "the province's entry is gone"
    assert admin.client.delete(f"/api/v1/lexicon/{provincial.json()['id']}").status_code == 404
    assert [e["id"] for e in admin.get("/api/v1/lexicon").json()] == [nationwide.json()["id"]]


# -- 2. previews ------------------------------------------------------------------------------------------


def test_preview_gives_loudness_normalised_opus_and_mp3_and_is_cached(
    world: World, settings: Settings, tmp_path: Path
) -> None:
    officer = world.officer
    request = {"text": "Bà con lưu ý: họp lúc 7h30.", "commune_code": "XA-A"}
    started = time.monotonic()
    first = officer.post("/api/v1/speech/preview", request)
    first_s = time.monotonic() - started
    assert first.status_code == 200, first.text
    preview = first.json()
    assert preview["spoken_text"] == "Bà con lưu ý: họp lúc bảy giờ ba mươi phút."
    assert preview["engine"] == "espeak" and preview["cached"] is False and preview["skipped_engines"] == []
    assert abs(preview["loudness_lufs"] - TARGET_LUFS) <= 1.0
    assert 1000 < preview["duration_ms"] < 10_000

    opus = officer.get(preview["audio_url"])
    assert opus.status_code == 200 and opus.headers["content-type"] == "audio/ogg"
    assert opus.content[:4] == b"OggS" and probe_codec(opus.content, tmp_path) == "opus"
    assert hashlib.sha256(opus.content).hexdigest() == preview["sha256"]
    (tmp_path / "preview.opus").write_bytes(opus.content)
    assert abs(measure_loudness(tmp_path / "preview.opus", settings.audio).integrated_lufs - TARGET_LUFS) <= 1.0
    mp3 = officer.get(preview["mp3_url"])
    assert mp3.status_code == 200 and mp3.headers["content-type"] == "audio/mpeg"
    assert probe_codec(mp3.content, tmp_path) == "mp3"
    assert mp3.content != opus.content and preview["mp3_url"] != preview["audio_url"]
    assert httpx.get(world.base_url + preview["audio_url"]).status_code == 401

    started = time.monotonic()
    again = officer.post("/api/v1/speech/preview", request)
    again_s = time.monotonic() - started
    assert again.status_code == 200 and again.json()["cached"] is True
    assert {k: v for k, v in again.json().items() if k != "cached"} == {
        k: v for k, v in preview.items() if k != "cached"
    }
    assert again_s < min(first_s / 2, 1.0), (first_s, again_s)

    other = officer.post("/api/v1/speech/preview", {**request, "commune_code": "XA-Q"})
    assert other.status_code == 403 and error_of(other) == "out_of_scope"
    khmer = officer.post("/api/v1/speech/preview", {"text": "សួស្តី", "language": "km", "commune_code": "XA-A"})
    assert khmer.status_code == 503 and error_of(khmer) == "no_speech_engine", khmer.text
    assert "espeak" in khmer.json()["detail"] and "giọng đọc" in khmer.json()["message"]


# -- 3. a bulletin's preview is what its approval airs ------------------------------------------------------


def test_bulletin_preview_is_the_audio_approval_airs(world: World, db: Db) -> None:
    bulletin_id = world.bulletin("Lịch họp", "Họp lúc 7h30 tại UBND xã.")
    spoken_before = db.count(SpeechCacheEntry)
    world.submit(bulletin_id)
    # Submission speaks it ahead, in the background, so that the reviewer and the approval find it ready.
    assert wait_until(lambda: db.count(SpeechCacheEntry) == spoken_before + 1, 60), "not spoken ahead"
    preview = world.approver.post(f"/api/v1/bulletins/{bulletin_id}/preview")
    assert preview.status_code == 200, preview.text
    assert preview.json()["cached"] is True and preview.json()["engine"] == "espeak"
    spoken = preview.json()["spoken_text"]
    assert spoken == "Lịch họp.\nHọp lúc bảy giờ ba mươi phút tại Ủy ban nhân dân xã."
    assets = db.count(AudioAsset)

    approved = world.approve(bulletin_id)
    assert approved["status"] == "approved" and approved["audio_source"] == "speech"
    assert approved["audio_sha256"] == preview.json()["sha256"]
    assert approved["spoken_text"] == spoken
    assert db.count(AudioAsset) == assets, "approval rendered the speech again instead of reusing the preview"
    assert world.officer.get(f"/api/v1/bulletins/{bulletin_id}").json()["spoken_text"] == spoken

    khmer = world.bulletin("ស", "ក។", language="km")
    world.submit(khmer)
    refused = world.approver.post(f"/api/v1/bulletins/{khmer}/approve")
    assert refused.status_code == 503 and error_of(refused) == "no_speech_engine", refused.text
    after = world.officer.get(f"/api/v1/bulletins/{khmer}").json()
    assert after["status"] == "pending" and after["audio_sha256"] is None and db.count(AudioAsset) == assets


# -- 4. engines: edge-tts first, espeak-ng when the cloud fails; pinned edge-tts does not fall back -----------


@pytest.mark.one_database("sqlite", why="engine fallback does not touch the database")
def test_edge_speaks_when_the_cloud_answers_and_espeak_stands_in_when_it_fails(
    settings: Settings, broker: MosquittoProcess, db: Db
) -> None:
    transport = FakeEdgeTransport()
    with edge_world(settings, transport, "auto") as world:
        preview = world.officer.post("/api/v1/speech/preview", {"text": "Bà con lưu ý.", "commune_code": "XA-A"})
        assert preview.status_code == 200, preview.text
        assert preview.json()["engine"] == "edge" and preview.json()["voice"] == "vi-VN-HoaiMyNeural"
        assert preview.json()["skipped_engines"] == []
        assert [call.voice for call in transport.calls] == ["vi-VN-HoaiMyNeural"]

        khmer = world.bulletin("ស", "ក។", language="km")
        world.submit(khmer)
        asset = db.asset(world.approve(khmer)["audio_sha256"])
        assert (asset.engine, asset.voice, asset.source) == ("edge", "km-KH-SreymomNeural", "tts")
        assert transport.calls[-1].voice == "km-KH-SreymomNeural"

        transport.fail_always = True
        bulletin_id = world.bulletin("Thông báo", "Mất mạng vẫn phải đọc được.")
        spoken_before = db.count(SpeechCacheEntry)
        world.submit(bulletin_id)  # spoken ahead: edge-tts fails, espeak-ng stands in
        assert wait_until(lambda: db.count(SpeechCacheEntry) == spoken_before + 1, 60), "not spoken ahead"
        fallback = world.approver.post(f"/api/v1/bulletins/{bulletin_id}/preview")
        assert fallback.status_code == 200, fallback.text
        assert fallback.json()["engine"] == "espeak" and fallback.json()["cached"] is True
        skipped = fallback.json()["skipped_engines"]
        assert len(skipped) == 1 and skipped[0].startswith("edge:"), skipped
        approved = world.approve(bulletin_id)
        assert approved["audio_sha256"] == fallback.json()["sha256"]
        assert db.asset(approved["audio_sha256"]).engine == "espeak"


def test_pinned_edge_engine_failing_leaves_the_bulletin_pending(
    settings: Settings, broker: MosquittoProcess, db: Db
) -> None:
    transport = FakeEdgeTransport(fail_always=True)
    with edge_world(settings, transport, "edge") as world:
        bulletin_id = world.bulletin()
        world.submit(bulletin_id)
        refused = world.approver.post(f"/api/v1/bulletins/{bulletin_id}/approve")
        assert refused.status_code == 503 and error_of(refused) == "no_speech_engine", refused.text
        assert "edge" in refused.json()["detail"] and transport.calls, "the cloud was not even asked"
        after = world.officer.get(f"/api/v1/bulletins/{bulletin_id}").json()
        assert after["status"] == "pending" and after["audio_sha256"] is None and after["reviewer_id"] is None
        assert world.officer.get("/api/v1/bulletins?status=approved").json() == []
        assert db.count(AudioAsset) == 0 and db.count(SpeechCacheEntry) == 0


# -- 5. recordings -------------------------------------------------------------------------------------------


def test_recordings_in_each_accepted_format_air_as_uploaded(world: World, samples: Samples, db: Db) -> None:
    bulletin_id = world.bulletin()
    shas = []
    for fmt in ("wav", "mp3", "m4a", "ogg"):
        response = world.upload(bulletin_id, samples.speech[fmt])
        assert response.status_code == 200, (fmt, response.text)
        assert response.json()["audio_source"] == "recording" and response.json()["status"] == "draft"
        asset = db.asset(response.json()["audio_sha256"])
        assert asset.source == "upload" and asset.codec == "opus" and asset.mp3_sha256
        assert asset.loudness_lufs is not None and abs(asset.loudness_lufs - TARGET_LUFS) <= 1.0, fmt
        shas.append(asset.sha256)
    assert len(set(shas)) == 4
    recording = shas[-1]
    preview = world.officer.post(f"/api/v1/bulletins/{bulletin_id}/preview").json()
    assert preview["sha256"] == recording and preview["mp3_sha256"] == db.asset(recording).mp3_sha256

    # Only a draft's audio may change, and only in one's own commune.
    assert world.upload(bulletin_id, samples.speech["wav"], world.officer_q).status_code == 403
    world.submit(bulletin_id)
    pending = world.upload(bulletin_id, samples.speech["wav"])
    assert pending.status_code == 409 and error_of(pending) == "invalid_transition"
    assets = db.count(AudioAsset)
    approved = world.approve(bulletin_id)
    assert approved["audio_sha256"] == recording and approved["audio_source"] == "recording"
    assert approved["spoken_text"] == ""
    assert db.count(AudioAsset) == assets and db.count(SpeechCacheEntry) == 0, "approval synthesised speech"
    late = world.upload(bulletin_id, samples.speech["mp3"])
    assert (
        late.status_code == 409
        and world.officer.client.delete(f"/api/v1/bulletins/{bulletin_id}/recording").status_code == 409
    )
    assert world.officer.get(f"/api/v1/bulletins/{bulletin_id}").json()["audio_sha256"] == recording

    # Removing the recording goes back to speech.
    spoken_id = world.bulletin()
    assert world.upload(spoken_id, samples.speech["ogg"]).status_code == 200
    removed = world.officer.client.delete(f"/api/v1/bulletins/{spoken_id}/recording")
    assert removed.status_code == 200 and removed.json()["audio_source"] == "speech"
    assert removed.json()["audio_sha256"] is None
    world.submit(spoken_id)
    spoken = world.approve(spoken_id)
    assert spoken["spoken_text"] == "Thông báo.\nBà con lưu ý." and spoken["audio_sha256"] not in shas
    assert db.asset(spoken["audio_sha256"]).source == "tts"


def test_refused_uploads_say_why_and_store_nothing(world: World, samples: Samples, db: Db) -> None:
    bulletin_id = world.bulletin()
    before = world.officer.get(f"/api/v1/bulletins/{bulletin_id}").json()

    def streamed() -> Iterator[bytes]:  # no Content-Length: the limit holds while the body arrives
        for start in range(0, len(samples.big_wav), 32_768):
            yield samples.big_wav[start : start + 32_768]

    cases: list[tuple[str, Any, int, str]] = [
        ("flac", samples.speech["flac"], 415, "unsupported_audio_format"),
        ("garbage", b"this is not audio at all " * 200, 422, "invalid_audio"),
        ("empty", b"", 422, "invalid_audio"),
        ("silence", samples.silence_wav, 422, "silent_audio"),
        ("too long", samples.long_mp3, 422, "audio_too_long"),
        ("too large", samples.big_wav, 413, "payload_too_large"),
        ("too large, streamed", streamed(), 413, "payload_too_large"),
    ]
    for name, body, status, code in cases:
        response = world.officer.client.put(f"/api/v1/bulletins/{bulletin_id}/recording", content=body)
        assert response.status_code == status and error_of(response) == code, (name, response.text)
        assert response.json()["message"], name
        assert db.count(AudioAsset) == 0 and db.stored_files() == [], f"{name}: something was stored"
        assert world.officer.get(f"/api/v1/bulletins/{bulletin_id}").json() == before, name
    assert world.upload(bulletin_id, samples.speech["mp3"]).status_code == 200, "a good upload right after works"


# -- 6. chimes ------------------------------------------------------------------------------------------------


def test_chimes_frame_the_speech_of_bulletins_approved_afterwards(world: World, samples: Samples, db: Db) -> None:
    bulletin_id = world.bulletin()
    world.submit(bulletin_id)
    plain = world.approver.post(f"/api/v1/bulletins/{bulletin_id}/preview").json()

    assert world.officer_q.client.put("/api/v1/communes/XA-A/chimes/intro", content=samples.tone_wav).status_code == 403
    chimes = {}
    for position in ("intro", "outro"):
        response = world.officer.client.put(f"/api/v1/communes/XA-A/chimes/{position}", content=samples.tone_wav)
        assert response.status_code == 200, response.text
        chimes[position] = db.asset(response.json()[f"{position}_chime_sha256"])
        assert abs(chimes[position].duration_ms - 1000) < 100

    approved = world.approve(bulletin_id)
    framed = db.asset(approved["audio_sha256"])
    assert framed.sha256 != plain["sha256"], "the chimes must be part of the cache key"
    expected_ms = plain["duration_ms"] + chimes["intro"].duration_ms + chimes["outro"].duration_ms + 2 * 500
    assert abs(framed.duration_ms - expected_ms) < 150, (framed.duration_ms, expected_ms)
    assert framed.loudness_lufs is not None and abs(framed.loudness_lufs - TARGET_LUFS) <= 1.0

    audio = world.approver.get(f"/api/v1/audio/{framed.sha256}.opus").content
    speech_only = world.approver.get(plain["audio_url"]).content
    assert tone_share(audio, 0.1, 0.5) > 0.9, "the audio does not begin with the intro chime"
    assert tone_share(audio, framed.duration_ms / 1000 - 0.7, 0.5) > 0.9, "the audio does not end with the outro"
    assert tone_share(speech_only, 0.1, 0.5) < 0.5


# -- 7. MP3 renditions for legacy nodes -------------------------------------------------------------------------


def test_nodes_get_mp3_renditions_of_their_own_playlist_only(world: World, db: Db) -> None:
    bulletin_id = world.bulletin()
    world.submit(bulletin_id)
    opus_sha = world.approve(bulletin_id)["audio_sha256"]
    mp3_sha = db.asset(opus_sha).mp3_sha256
    assert mp3_sha and db.asset(mp3_sha).codec == "mp3"
    unscheduled = world.officer.post("/api/v1/speech/preview", {"text": "Tin chưa lên lịch."}).json()

    node = world.nodes["A1"]
    with httpx.Client(base_url=world.base_url, auth=(node.device_code, node.password)) as client:
        empty = client.get("/api/v1/node/playlist", params={"codec": "mp3"})
        assert empty.status_code == 200 and empty.json()["items"] == []
        start = (datetime.now(UTC) + timedelta(minutes=3)).isoformat()
        scheduled = world.officer.post(
            "/api/v1/broadcasts", {"bulletin_id": bulletin_id, "commune_code": "XA-A", "starts_at": start}
        )
        assert scheduled.status_code == 201, scheduled.text

        opus = client.get("/api/v1/node/playlist")
        mp3 = client.get(
            "/api/v1/node/playlist", params={"codec": "mp3"}, headers={"If-None-Match": empty.headers["ETag"]}
        )
        assert opus.status_code == mp3.status_code == 200
        assert opus.headers["ETag"] != mp3.headers["ETag"] != empty.headers["ETag"]
        [opus_item], [mp3_item] = opus.json()["items"], mp3.json()["items"]
        assert (opus_item["codec"], opus_item["asset_sha256"]) == ("opus", opus_sha)
        assert (mp3_item["codec"], mp3_item["asset_sha256"]) == ("mp3", mp3_sha)
        assert mp3_item["asset_url"] == f"/api/v1/node/audio/{mp3_sha}.mp3" != opus_item["asset_url"]
        same = {k: v for k, v in mp3_item.items() if k not in ("codec", "asset_sha256", "asset_url")}
        assert same == {k: v for k, v in opus_item.items() if k not in ("codec", "asset_sha256", "asset_url")}
        assert opus.json()["version"] == mp3.json()["version"]

        def pull(codec: str, etag: str) -> int:
            return client.get(
                "/api/v1/node/playlist", params={"codec": codec}, headers={"If-None-Match": etag}
            ).status_code

        assert pull("mp3", mp3.headers["ETag"]) == 304 and pull("opus", opus.headers["ETag"]) == 304
        assert pull("mp3", opus.headers["ETag"]) == 200 and pull("opus", mp3.headers["ETag"]) == 200

        audio = client.get(mp3_item["asset_url"])
        assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"
        assert hashlib.sha256(audio.content).hexdigest() == mp3_sha
        assert client.get(opus_item["asset_url"]).status_code == 200
        outside = f"{unscheduled['mp3_sha256']}.mp3"
        assert client.get(f"/api/v1/node/audio/{outside}").status_code == 404, "audio outside the playlist"
        assert client.get(f"/api/v1/node/audio/{opus_sha}.mp3").status_code == 404
        assert client.get(f"/api/v1/node/audio/{mp3_sha}.opus").status_code == 404

    other = world.nodes["Q1"]
    with httpx.Client(base_url=world.base_url, auth=(other.device_code, other.password)) as client:
        assert client.get("/api/v1/node/playlist", params={"codec": "mp3"}).json()["items"] == []
        assert client.get(mp3_item["asset_url"]).status_code == 404, "a node fetched another commune's MP3"


# -- 6. what the normaliser cannot read is named for the officer before it airs ------------------------------


def test_unreadable_tokens_are_named_in_the_reading_and_both_previews(world: World) -> None:
    text = "Đăng ký tại dichvucong.gov.vn hoặc xem mục § 3. Độ mặn 4‰ tại Km 12+500 QL1A."
    reading = world.officer.post("/api/v1/speech/normalize", {"text": text, "commune_code": "XA-A"})
    assert reading.status_code == 200, reading.text
    spoken, issues = reading.json()["spoken_text"], reading.json()["reading_issues"]
    assert [issue["token"] for issue in issues] == ["dichvucong.gov.vn", "§"]
    assert "dichvucong.gov.vn" in issues[0]["message"] and "đánh vần" in issues[0]["message"]
    assert "«§»" in issues[1]["message"] and "bỏ qua" in issues[1]["message"]
    # Nothing raw reaches the engine: no digit, no symbol, the address spelled.
    assert not DIGITS.search(spoken) and "§" not in spoken and "‰" not in spoken, spoken
    assert "bốn phần nghìn" in spoken and "ki-lô-mét mười hai cộng năm trăm quốc lộ một a" in spoken, spoken

    clean = world.officer.post("/api/v1/speech/normalize", {"text": "Độ mặn 4‰.", "commune_code": "XA-A"})
    assert clean.json()["reading_issues"] == []

    preview = world.officer.post("/api/v1/speech/preview", {"text": "Xem mục § 3.", "commune_code": "XA-A"})
    assert preview.status_code == 200, preview.text
    assert [issue["token"] for issue in preview.json()["reading_issues"]] == ["§"]

    bulletin_id = world.bulletin("Thông báo", "Liên hệ ubnd@xa.gov.vn để biết thêm.")
    bulletin_preview = world.officer.post(f"/api/v1/bulletins/{bulletin_id}/preview")
    assert bulletin_preview.status_code == 200, bulletin_preview.text
    assert [issue["token"] for issue in bulletin_preview.json()["reading_issues"]] == ["ubnd@xa.gov.vn"]
    assert "a còng" in bulletin_preview.json()["spoken_text"]

    khmer = world.officer.post("/api/v1/speech/normalize", {"text": "សួស្តី §", "language": "km"})
    assert khmer.json()["reading_issues"] == [], "only Vietnamese text goes through the normaliser"
