"""A bulletin's versions in other languages over the HTTP API: written, recorded, approved with the bulletin.

Real app on a real port, real mosquitto, database, ffmpeg and espeak-ng; the edge-tts cloud is the local
stand-in (`FakeEdgeTransport`) behind the same interface where a test needs Khmer speech.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import Session

from audio_library import AudioAsset
from controller.accounts import Role
from controller.db import make_engine
from controller.services import build_services
from controller.settings import Settings
from devices.mosquitto import MosquittoProcess
from devices.registry import get_commune
from schedules.clearance import cleared_audio
from tests.harness import Api, ControllerServer, add_user_directly, login, setup_commune
from tests.tts.edge_fake import FakeEdgeTransport
from tts.settings import TtsSettings

KHMER_TITLE = "សេចក្តីជូនដំណឹង"
KHMER_BODY = "សូមប្រជាពលរដ្ឋចូលរួមប្រជុំនៅសាលាឃុំ។"


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A short spoken WAV (espeak-ng through ffmpeg), standing in for a Khmer reader's recording."""
    work = tmp_path_factory.mktemp("recording")
    raw, out = work / "raw.wav", work / "khmer.wav"
    subprocess.run(["espeak-ng", "-v", "vi", "-w", str(raw), "Xin chào bà con."], check=True, timeout=60)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-i", str(raw), "-ac", "1", "-ar", "16000", str(out)],
        check=True,
        timeout=60,
    )
    return out.read_bytes()


class People:
    def __init__(self, settings: Settings, base_url: str, admin: Api) -> None:
        setup_commune(admin, "P", "XA-A", ["A1"])
        setup_commune(admin, "P", "XA-B", ["B1"])
        add_user_directly(settings, "officer.a", Role.OFFICER, "password-a", commune_codes=["XA-A"])
        add_user_directly(settings, "approver.a", Role.APPROVER, "password-x", commune_codes=["XA-A"])
        add_user_directly(settings, "officer.b", Role.OFFICER, "password-b", commune_codes=["XA-B"])
        self.officer = login(base_url, "officer.a", "password-a")
        self.approver = login(base_url, "approver.a", "password-x")
        self.stranger = login(base_url, "officer.b", "password-b")
        self.settings = settings

    def close(self) -> None:
        for api in (self.officer, self.approver, self.stranger):
            api.client.close()

    def bulletin(self) -> int:
        response = self.officer.post(
            "/api/v1/bulletins", {"commune_code": "XA-A", "title": "Thông báo họp", "body": "Mời bà con dự họp."}
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def put(self, bulletin_id: int, language: str, body: dict[str, Any], api: Api | None = None) -> httpx.Response:
        return (api or self.officer).client.put(f"/api/v1/bulletins/{bulletin_id}/translations/{language}", json=body)

    def submit_and_approve(self, bulletin_id: int) -> dict[str, Any]:
        assert self.officer.post(f"/api/v1/bulletins/{bulletin_id}/submit").status_code == 200
        response = self.approver.post(f"/api/v1/bulletins/{bulletin_id}/approve")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def version(self, bulletin_id: int, language: str = "km") -> dict[str, Any]:
        response = self.officer.get(f"/api/v1/bulletins/{bulletin_id}/translations/{language}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def cleared(self, *sha256s: str) -> frozenset[str]:
        engine = make_engine(self.settings.database)
        try:
            with Session(engine) as session:
                return cleared_audio(session, get_commune(session, "XA-A"), sha256s)
        finally:
            engine.dispose()

    def asset(self, sha256: str) -> AudioAsset:
        engine = make_engine(self.settings.database)
        try:
            with Session(engine) as session:
                asset = session.get(AudioAsset, sha256)
                assert asset is not None
                return asset
        finally:
            engine.dispose()


@pytest.fixture
def people(settings: Settings, controller: ControllerServer, admin: Api) -> Iterator[People]:
    built = People(settings, controller.base_url, admin)
    yield built
    built.close()


def message_of(response: httpx.Response) -> str:
    return str(response.json()["message"])


def test_versions_are_scoped_like_the_bulletin_and_bad_ones_are_refused_in_vietnamese(people: People) -> None:
    bulletin_id = people.bulletin()
    languages = people.officer.get("/api/v1/languages").json()
    assert {(x["code"], x["offline_speech"]) for x in languages} >= {("vi", True), ("km", False)}

    unknown = people.put(bulletin_id, "xx", {"title": "T", "body": "b"})
    assert unknown.status_code == 422 and unknown.json()["error"] == "unknown_translation_language"
    assert "ngôn ngữ" in message_of(unknown)
    same = people.put(bulletin_id, "vi", {"title": "T", "body": "b"})
    assert same.status_code == 422 and same.json()["error"] == "translation_same_language"
    blank = people.put(bulletin_id, "km", {"title": "   ", "body": ""})
    assert blank.status_code == 422 and blank.json()["error"] == "empty_translation"
    assert "trống" in message_of(blank)
    too_long = people.put(bulletin_id, "km", {"title": "T", "body": "ក" * 20_001})
    assert too_long.status_code == 422
    assert people.officer.get(f"/api/v1/bulletins/{bulletin_id}/translations").json() == []

    created = people.put(bulletin_id, "km", {"title": KHMER_TITLE, "body": KHMER_BODY})
    assert created.status_code == 201, created.text
    assert created.json()["language_name"] == "Tiếng Khmer" and created.json()["approved_sha256"] is None
    again = people.put(bulletin_id, "km", {"title": KHMER_TITLE, "body": KHMER_BODY})
    assert again.status_code == 200

    # Another commune's officer neither reads nor writes them; nobody logged in gets 401.
    assert people.stranger.get(f"/api/v1/bulletins/{bulletin_id}/translations").status_code == 403
    assert people.put(bulletin_id, "km", {"title": "x", "body": "y"}, api=people.stranger).status_code == 403
    assert httpx.get(f"{people.officer.client.base_url}/api/v1/bulletins/{bulletin_id}/translations").status_code == 401
    assert people.officer.get(f"/api/v1/bulletins/{bulletin_id}/translations/km").json()["body"] == KHMER_BODY

    # A version with neither text nor recording holds the bulletin back, said plainly.
    empty = people.put(bulletin_id, "km", {"title": KHMER_TITLE, "body": ""})
    assert empty.status_code == 200
    refused = people.officer.post(f"/api/v1/bulletins/{bulletin_id}/submit")
    assert refused.status_code == 422 and refused.json()["error"] == "empty_translation", refused.text
    deleted = people.officer.client.delete(f"/api/v1/bulletins/{bulletin_id}/translations/km")
    assert deleted.status_code == 204
    gone = people.officer.get(f"/api/v1/bulletins/{bulletin_id}/translations/km")
    assert gone.status_code == 404 and gone.json()["error"] == "translation_not_found"


def test_a_recorded_version_is_approved_with_the_bulletin_and_an_edit_sends_both_back(
    people: People, recording: bytes
) -> None:
    bulletin_id = people.bulletin()
    assert people.put(bulletin_id, "km", {"title": KHMER_TITLE}).status_code == 201
    upload = people.officer.client.put(f"/api/v1/bulletins/{bulletin_id}/translations/km/recording", content=recording)
    assert upload.status_code == 200, upload.text
    recorded = upload.json()["audio_sha256"]
    assert upload.json()["audio_source"] == "recording" and people.asset(recorded).source == "upload"
    bad = people.officer.client.put(f"/api/v1/bulletins/{bulletin_id}/translations/km/recording", content=b"not audio")
    assert bad.status_code in (415, 422) and people.version(bulletin_id)["audio_sha256"] == recorded

    approved = people.submit_and_approve(bulletin_id)
    assert approved["status"] == "approved"
    version = people.version(bulletin_id)
    assert version["approved_sha256"] == recorded and version["speech_note"] == ""
    assert people.cleared(approved["audio_sha256"], recorded) == {approved["audio_sha256"], recorded}

    # Changing the Khmer text after approval sends the bulletin back: neither language airs until approved.
    edited = people.put(bulletin_id, "km", {"title": KHMER_TITLE, "body": KHMER_BODY})
    assert edited.status_code == 200 and edited.json()["approved_sha256"] is None
    assert people.officer.get(f"/api/v1/bulletins/{bulletin_id}").json()["status"] == "pending"
    assert people.cleared(approved["audio_sha256"], recorded) == frozenset()
    again = people.approver.post(f"/api/v1/bulletins/{bulletin_id}/approve")
    assert again.status_code == 200, again.text
    assert people.version(bulletin_id)["approved_sha256"] == recorded, "the recording stays the version's audio"

    # Adding a version after approval sends it back too.
    response = people.put(bulletin_id, "vi", {"title": "x", "body": "y"})
    assert response.status_code == 422  # its own language: refused, approval kept
    assert people.officer.get(f"/api/v1/bulletins/{bulletin_id}").json()["status"] == "approved"
    # A version is often recorded after it is written: allowed while the approver reviews, too.
    assert people.put(bulletin_id, "km", {"title": "Khác", "body": KHMER_BODY}).status_code == 200
    under_review = people.officer.client.put(
        f"/api/v1/bulletins/{bulletin_id}/translations/km/recording", content=recording
    )
    assert under_review.status_code == 200 and under_review.json()["approved_sha256"] is None


def test_without_an_engine_for_khmer_the_officer_is_told_a_recording_is_needed_and_vietnamese_airs(
    people: People,
) -> None:
    """The tests' controller has only espeak-ng (offline), which has no Khmer voice."""
    bulletin_id = people.bulletin()
    assert people.put(bulletin_id, "km", {"title": KHMER_TITLE, "body": KHMER_BODY}).status_code == 201
    approved = people.submit_and_approve(bulletin_id)
    assert approved["status"] == "approved" and approved["audio_sha256"]
    version = people.version(bulletin_id)
    assert version["approved_sha256"] is None and version["audio_sha256"] is None
    assert "bản ghi âm" in version["speech_note"] and "tiếng Khmer" in version["speech_note"]
    assert people.cleared(approved["audio_sha256"]) == {approved["audio_sha256"]}


@pytest.mark.one_database("sqlite", why="which engine speaks a language does not depend on the database")
def test_each_version_is_spoken_in_its_own_language(settings: Settings, broker: MosquittoProcess) -> None:
    transport = FakeEdgeTransport()
    tts = TtsSettings(engine="auto", edge_retries=0, edge_retry_backoff_s=0.0, edge_chunk_timeout_s=15.0)
    configured = settings.model_copy(update={"tts": tts})
    server = ControllerServer(configured, services_factory=lambda s: build_services(s, edge_transport=transport))
    server.start()
    try:
        add_user_directly(configured, "admin", Role.ADMIN, "admin-password-1")
        admin = login(server.base_url, "admin", "admin-password-1")
        people = People(configured, server.base_url, admin)
        try:
            bulletin_id = people.bulletin()
            assert people.put(bulletin_id, "km", {"title": KHMER_TITLE, "body": KHMER_BODY}).status_code == 201
            approved = people.submit_and_approve(bulletin_id)
            version = people.version(bulletin_id)
            assert version["approved_sha256"] and version["speech_note"] == ""
            assert KHMER_BODY in version["spoken_text"]
            own, khmer = people.asset(approved["audio_sha256"]), people.asset(version["approved_sha256"])
            assert (own.engine, own.voice) == ("edge", "vi-VN-HoaiMyNeural")
            assert (khmer.engine, khmer.voice) == ("edge", "km-KH-SreymomNeural")
            assert [call.voice for call in transport.calls] == ["vi-VN-HoaiMyNeural", "km-KH-SreymomNeural"]
            assert any(KHMER_BODY in call.text for call in transport.calls)
        finally:
            people.close()
            admin.client.close()
    finally:
        server.stop()


def test_a_program_airs_the_versions_together_or_one_language_in_its_own_place(
    people: People, recording: bytes
) -> None:
    bulletin_id = people.bulletin()
    assert people.put(bulletin_id, "km", {"title": KHMER_TITLE}).status_code == 201
    # Not yet recorded nor approved: a program cannot give the Khmer version its own place.
    assert people.officer.post(f"/api/v1/bulletins/{bulletin_id}/submit").status_code == 422
    upload = people.officer.client.put(f"/api/v1/bulletins/{bulletin_id}/translations/km/recording", content=recording)
    assert upload.status_code == 200, upload.text
    approved = people.submit_and_approve(bulletin_id)
    khmer = people.version(bulletin_id)["approved_sha256"]

    def program(language: str | None) -> httpx.Response:
        item = {"bulletin_id": bulletin_id, **({"language": language} if language else {})}
        return people.officer.post("/api/v1/programs", {"commune_code": "XA-A", "title": "Tin", "items": [item]})

    unknown = program("xx")
    assert unknown.status_code == 422 and unknown.json()["error"] == "unknown_translation_language"
    together = program(None)
    assert together.status_code == 201, together.text
    at = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(hours=1)).strftime("%H:%M")
    rule = people.officer.post(f"/api/v1/programs/{together.json()['id']}/rules", {"pattern": "daily", "at": at})
    assert rule.status_code == 201, rule.text
    items = people.officer.get("/api/v1/communes/XA-A/playlist").json()["items"]
    assert [(i["title"], i["asset_sha256"]) for i in items] == [
        ("Thông báo họp", approved["audio_sha256"]),
        (KHMER_TITLE, khmer),
    ]
    assert items[0]["starts_at"] < items[1]["starts_at"]

    alone = program("km")
    assert alone.status_code == 201 and alone.json()["items"][0]["language"] == "km"
    # A new Khmer text sends the bulletin back for approval: nothing of it airs until approved again.
    assert people.put(bulletin_id, "km", {"title": KHMER_TITLE, "body": KHMER_BODY}).status_code == 200
    assert people.officer.get("/api/v1/communes/XA-A/playlist").json()["items"] == []
    assert program("km").status_code == 409  # not approved: nothing of it may be placed
