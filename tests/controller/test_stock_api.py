"""The stock library over the real API: who may change it, bad input, approval, clearance and the node side.

Real controller on a real port, mosquitto, a fresh database, espeak-ng and ffmpeg. The edge-tts cloud is
off (settings pin espeak-ng), as on a commune's offline controller: Khmer has no voice there.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import select

from controller.accounts import Role
from controller.settings import Settings
from devices.commands import DeviceCommand
from devices.protocol import Playlist, StockManifest, StockNotice, commune_stock_topic
from devices.registry import Commune
from schedules import current_playlist
from schedules.emergency_order import EmergencyOrder
from schedules.stock_message import StockLibrary, StockMessage
from tests.harness import Api, ControllerServer, Probe, add_user_directly, login, setup_commune, wait_until

COMMUNE = "XA-THU-VIEN"


@pytest.fixture
def checker(settings: Settings, controller: ControllerServer) -> Iterator[Api]:
    """A second admin: an admin never approves their own change."""
    add_user_directly(settings, "quantri2", Role.ADMIN, "admin-pass-2")
    api = login(controller.base_url, "quantri2", "admin-pass-2")
    yield api
    api.client.close()


def recording(frequency: int = 440, seconds: int = 2) -> bytes:
    """A tone as WAV, standing in for a person reading a message."""
    tone = f"sine=frequency={frequency}:duration={seconds}"
    return subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", tone, "-f", "wav", "-"],
        check=True,
        capture_output=True,
    ).stdout


def put(api: Api, path: str, body: Any) -> httpx.Response:
    return api.client.put(path, json=body)


def error(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert body["message"], body
    return str(body["error"])


def library_state(controller: ControllerServer) -> tuple[int, list[tuple[str, str, str | None]]]:
    with controller.services.sessions() as session:
        library = session.get(StockLibrary, 1)
        rows = session.exec(select(StockMessage)).all()
        return (library.version if library else -1), sorted((m.key, m.language, m.approved_sha256) for m in rows)


def test_admins_keep_the_library_and_bad_input_changes_nothing(
    settings: Settings, controller: ControllerServer, admin: Api, checker: Api
) -> None:
    identities = setup_commune(admin, "TINH-TV", COMMUNE, ["TV-01"])
    add_user_directly(settings, "canbo", Role.OFFICER, "officer-pass-1", commune_codes=[COMMUNE])
    officer = login(controller.base_url, "canbo", "officer-pass-1")
    languages = {row["code"]: row for row in admin.get("/api/v1/stock/languages").json()}
    assert languages["vi"]["offline_speech"] is True and languages["km"]["offline_speech"] is False

    before = library_state(controller)
    # Bad input: unknown key, unknown language, too long a language, no title; only admins write.
    for path, body, status, code in [
        ("/api/v1/stock/typhoon/vi", {"title": "Bão"}, 422, "unknown_stock_key"),
        ("/api/v1/stock/storm/fr", {"title": "Bão"}, 422, "unknown_stock_language"),
        ("/api/v1/stock/storm/vietnamese", {"title": "Bão"}, 422, "unknown_stock_language"),
    ]:
        response = put(admin, path, body)
        assert (response.status_code, error(response)) == (status, code), response.text
    assert put(admin, "/api/v1/stock/storm/vi", {"title": ""}).status_code == 422
    refused = put(officer, "/api/v1/stock/storm/vi", {"title": "Bão", "text": "Bão đến."})
    assert refused.status_code == 403 and error(refused)
    assert admin.get("/api/v1/stock/storm/vi").status_code == 404
    assert error(admin.post("/api/v1/stock/storm/vi/approve")) == "stock_not_found"
    assert admin.client.delete("/api/v1/stock/flood/km").status_code == 404
    assert library_state(controller) == before

    # A draft: no audio yet, so it cannot be approved; its author cannot approve it either.
    response = put(
        admin, "/api/v1/stock/storm/vi", {"title": "Cảnh báo bão", "text": "Bão đang đến, bà con ở trong nhà."}
    )
    assert response.status_code == 200 and response.json()["approved_sha256"] is None
    assert error(checker.post("/api/v1/stock/storm/vi/approve")) == "stock_audio_missing"
    voiced = admin.post("/api/v1/stock/storm/vi/speech")
    assert voiced.status_code == 200 and voiced.json()["audio_source"] == "speech", voiced.text
    draft_sha = voiced.json()["audio_sha256"]
    self_approved = admin.post("/api/v1/stock/storm/vi/approve")
    assert self_approved.status_code == 403 and error(self_approved) == "self_approval"
    assert officer.get("/api/v1/stock").json()[0]["pending"] is True  # everyone logged in reads it

    # Before approval, the draft's audio may not air anywhere (schedules.clearance).
    assert error(admin.post("/api/v1/devices/TV-01/commands", {"name": "play_now", "asset_sha256": draft_sha})) == (
        "audio_not_cleared"
    )
    not_yet = admin.post(
        f"/api/v1/communes/{COMMUNE}/commands", {"name": "play_now", "stock_key": "storm", "stock_language": "vi"}
    )
    assert (not_yet.status_code, error(not_yet)) == (422, "stock_not_approved")

    # Approval announces the library's version on every commune's stock topic.
    probe = Probe(settings.mqtt, identities[0].device_code, identities[0].password)
    assert probe.connect(), probe.refused
    probe.subscribe(commune_stock_topic(COMMUNE))
    try:
        approved = checker.post("/api/v1/stock/storm/vi/approve")
        assert approved.status_code == 200 and approved.json()["approved_sha256"] == draft_sha, approved.text
        assert wait_until(lambda: any(StockNotice.model_validate_json(p).version >= 1 for _, p in probe.messages), 5)
    finally:
        probe.close()

    # Khmer: no offline engine reads it, so speech is refused plainly; a recording is taken.
    assert (
        put(admin, "/api/v1/stock/flood/km", {"title": "Cảnh báo lũ (tiếng Khmer)", "text": "ទឹកជំនន់"}).status_code == 200
    )
    khmer = admin.post("/api/v1/stock/flood/km/speech")
    assert (khmer.status_code, error(khmer)) == (422, "stock_needs_recording")
    assert "tải lên bản ghi âm" in khmer.json()["message"]
    uploaded = admin.client.put("/api/v1/stock/flood/km/recording", content=recording())
    assert uploaded.status_code == 200 and uploaded.json()["audio_source"] == "upload", uploaded.text
    assert admin.client.put("/api/v1/stock/flood/km/recording", content=b"not audio").status_code in (415, 422)
    assert checker.post("/api/v1/stock/flood/km/approve").status_code == 200

    # The silent test tone is made by ffmpeg, not read aloud.
    assert put(admin, "/api/v1/stock/test_tone/vi", {"title": "Phát thử"}).status_code == 200
    tone = admin.post("/api/v1/stock/test_tone/vi/speech")
    assert tone.status_code == 200 and tone.json()["audio_source"] == "tone", tone.text

    # Play now: bad stock input is refused and nothing is sent.
    with controller.services.sessions() as session:
        commands_before = len(session.exec(select(DeviceCommand)).all())
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": "play_now", "stock_key": "storm"}, "invalid_request"),
        ({"name": "play_now", "stock_key": "typhoon", "stock_language": "vi"}, "unknown_stock_key"),
        ({"name": "play_now", "stock_key": "storm", "stock_language": "fr"}, "unknown_stock_language"),
        ({"name": "play_now", "stock_key": "fire", "stock_language": "vi"}, "stock_not_found"),
        ({"name": "play_now", "stock_key": "storm", "stock_language": "vi", "bulletin_id": 1}, "invalid_request"),
    ]
    for body, code in cases:
        response = admin.post(f"/api/v1/communes/{COMMUNE}/commands", body)
        assert response.status_code in (404, 422) and error(response) == code, response.text
    with controller.services.sessions() as session:
        assert len(session.exec(select(DeviceCommand)).all()) == commands_before

    # The node side: the manifest with its ETag (304 when unchanged) and the approved files only.
    node = httpx.Client(base_url=controller.base_url, auth=(identities[0].device_code, identities[0].password))
    try:
        response = node.get("/api/v1/node/stock")
        assert response.status_code == 200, response.text
        manifest = StockManifest.model_validate_json(response.content)
        assert {(e.key, e.language) for e in manifest.entries} == {("storm", "vi"), ("flood", "km")}
        assert node.get("/api/v1/node/stock", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
        entry = manifest.entries[0]
        audio = node.get(entry.url)
        assert audio.status_code == 200 and audio.headers["content-type"] == "audio/ogg"
        tone_sha = tone.json()["audio_sha256"]
        assert node.get(f"/api/v1/node/stock/{tone_sha}.opus").status_code == 404  # a draft, not in the library
        assert node.get("/api/v1/node/stock/../../etc.opus").status_code == 404
        assert httpx.get(f"{controller.base_url}/api/v1/node/stock").status_code == 401
    finally:
        node.close()

    # Withdrawing removes it from the library and bumps the version.
    version, _ = library_state(controller)
    withdrawn = admin.client.delete("/api/v1/stock/flood/km")
    assert withdrawn.status_code == 200 and withdrawn.json()["library_version"] == version + 1
    assert [(k, lang) for k, lang, _ in library_state(controller)[1]] == [("storm", "vi"), ("test_tone", "vi")]
    officer.client.close()


def test_an_emergency_order_airs_a_stock_message_from_every_nodes_pinned_library(
    settings: Settings, controller: ControllerServer, admin: Api, checker: Api
) -> None:
    """An officer orders the storm warning on air in the commune: no bulletin to write and approve, no
    audio to download (every node holds it); the playlist carries it, a changed message cannot replace
    it on air, and bad orders store nothing."""
    setup_commune(admin, "TINH-TV", COMMUNE, ["TV-01", "TV-02"])
    setup_commune(admin, "TINH-TV", "XA-KHAC", ["KH-01"])
    add_user_directly(settings, "canbo", Role.OFFICER, "officer-pass-1", commune_codes=[COMMUNE])
    officer = login(controller.base_url, "canbo", "officer-pass-1")
    assert put(admin, "/api/v1/stock/storm/vi", {"title": "Cảnh báo bão"}).status_code == 200
    # Long enough to be still on air when its change is tried below, however slow the machine.
    storm_recording = recording(seconds=60)
    assert admin.client.put("/api/v1/stock/storm/vi/recording", content=storm_recording).status_code == 200
    assert put(admin, "/api/v1/stock/flood/vi", {"title": "Cảnh báo lũ"}).status_code == 200
    assert admin.client.put("/api/v1/stock/flood/vi/recording", content=recording()).status_code == 200

    def orders() -> int:
        with controller.services.sessions() as session:
            return len(session.exec(select(EmergencyOrder)).all())

    storm = {"stock_key": "storm", "stock_language": "vi", "commune_code": COMMUNE}
    not_yet = officer.post("/api/v1/emergencies", storm)
    assert (not_yet.status_code, error(not_yet)) == (422, "stock_not_approved"), "a draft never airs"
    approved = checker.post("/api/v1/stock/storm/vi/approve")
    assert approved.status_code == 200
    sha = approved.json()["approved_sha256"]
    for body, status, code in [
        ({**storm, "bulletin_id": 1}, 422, "invalid_request"),  # a bulletin or a stock message, not both
        ({"stock_key": "storm", "commune_code": COMMUNE}, 422, "invalid_request"),
        ({"commune_code": COMMUNE}, 422, "invalid_request"),
        ({**storm, "stock_key": "fire"}, 404, "stock_not_found"),
        ({**storm, "stock_key": "Bão!"}, 422, "invalid_request"),
        ({**storm, "commune_code": "XA-KHAC"}, 403, "out_of_scope"),  # not the officer's commune
    ]:
        response = officer.post("/api/v1/emergencies", body)
        assert (response.status_code, error(response)) == (status, code), (body, response.text)
    assert orders() == 0

    response = officer.post("/api/v1/emergencies", storm)
    assert response.status_code == 201, response.text
    (order,) = response.json()
    assert (order["bulletin_id"], order["stock_key"], order["stock_language"]) == (None, "storm", "vi")
    assert order["playlist_version"] is not None
    with controller.services.sessions() as session:
        commune = session.exec(select(Commune).where(Commune.code == COMMUNE)).one()
        stored = current_playlist(session, commune)
        assert stored is not None
        playlist = Playlist.model_validate_json(stored.content)
    (item,) = [i for i in playlist.items if i.item_id == f"e{order['id']}"]
    assert (item.asset_sha256, item.priority, item.title) == (sha, "emergency", "Cảnh báo bão")
    listed = officer.get(f"/api/v1/communes/{COMMUNE}/emergencies").json()
    assert [(o["id"], o["stock_key"]) for o in listed] == [(order["id"], "storm")]

    # While it may be on air, the message cannot be replaced or withdrawn under it.
    assert admin.client.put("/api/v1/stock/storm/vi/recording", content=recording(880)).status_code == 200
    refused = checker.post("/api/v1/stock/storm/vi/approve")
    assert (refused.status_code, error(refused)) == (409, "stock_on_air")
    assert error(admin.client.delete("/api/v1/stock/storm/vi")) == "stock_on_air"
    ended = officer.post(f"/api/v1/emergencies/{order['id']}/cancel")
    assert ended.status_code == 200 and ended.json()["cancelled_at"] is not None
    assert checker.post("/api/v1/stock/storm/vi/approve").status_code == 200, "ended: the change may go in"
    officer.client.close()
