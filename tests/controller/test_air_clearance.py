"""Only approved content reaches a speaker: every path that makes one sound, attacked over the real API.

Issue 12, finding 1: an officer previewed any text, took the returned sha256 and sent it as `play_now`;
every speaker of the commune played it. Each test here tries one such path against the real controller
and broker (commands, programs, emergencies, the publication gate, the audio API) and checks that nothing
was sent, stored or published. `schedules.clearance` is the one rule they all go through.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from audio_library import AudioAsset
from controller.accounts import Role
from controller.settings import Settings
from devices.commands import DeviceCommand
from devices.protocol import commune_command_topic
from devices.registry import Commune
from schedules import EmergencyOrder
from schedules.program_record import ProgramItemRecord, ProgramRecord
from tests.harness import Api, ControllerServer, Probe, add_user_directly, approved_bulletin, login, setup_commune

TEXT = "Kính thưa bà con, đây là một thông báo chưa được ai duyệt."


@dataclass
class World:
    controller: ControllerServer
    admin: Api
    officer: Api  # XA-A
    approver: Api  # XA-A
    officer_b: Api  # XA-B, same province
    approver_b: Api
    province_officer: Api  # province P's staff
    province_approver: Api
    probe: Probe  # subscribed to XA-A's command topic with A1's own credentials

    def commands_seen(self) -> int:
        return len(self.probe.messages)

    def device_commands(self) -> int:
        with self.controller.services.sessions() as session:
            return len(session.exec(select(DeviceCommand)).all())

    def mp3_of(self, sha256: str) -> str:
        with self.controller.services.sessions() as session:
            asset = session.get(AudioAsset, sha256)
            assert asset is not None and asset.mp3_sha256 is not None
            return asset.mp3_sha256

    def playlist_shas(self, commune: str) -> set[str]:
        response = self.admin.get(f"/api/v1/communes/{commune}/playlist")
        assert response.status_code == 200, response.text
        return {item["asset_sha256"] for item in response.json()["items"]}


@pytest.fixture
def world(settings: Settings, controller: ControllerServer, admin: Api) -> Iterator[World]:
    nodes = setup_commune(admin, "P", "XA-A", ["A1", "A2"])
    setup_commune(admin, "P", "XA-B", ["B1"])
    users: dict[str, tuple[Role, dict[str, Any]]] = {
        "officer.a": (Role.OFFICER, {"commune_codes": ["XA-A"]}),
        "approver.a": (Role.APPROVER, {"commune_codes": ["XA-A"]}),
        "officer.b": (Role.OFFICER, {"commune_codes": ["XA-B"]}),
        "approver.b": (Role.APPROVER, {"commune_codes": ["XA-B"]}),
        "so.canbo": (Role.OFFICER, {"province_code": "P"}),
        "so.duyet": (Role.APPROVER, {"province_code": "P"}),
    }
    apis = {}
    for username, (role, scope) in users.items():
        add_user_directly(settings, username, role, f"{username}-pass", **scope)
        apis[username] = login(controller.base_url, username, f"{username}-pass")
    probe = Probe(settings.mqtt, nodes[0].device_code, nodes[0].password)
    assert probe.connect(), probe.refused
    probe.subscribe(commune_command_topic("XA-A"))
    yield World(
        controller,
        admin,
        apis["officer.a"],
        apis["approver.a"],
        apis["officer.b"],
        apis["approver.b"],
        apis["so.canbo"],
        apis["so.duyet"],
        probe,
    )
    probe.close()
    for api in apis.values():
        api.client.close()


def refused(response: httpx.Response, status: int = 403, code: str = "audio_not_cleared") -> bool:
    body: dict[str, Any] = response.json()
    return response.status_code == status and body.get("error") == code and bool(body.get("message"))


def play_now(api: Api, commune: str, **audio: Any) -> httpx.Response:
    return api.post(f"/api/v1/communes/{commune}/commands", {"name": "play_now", **audio})


def preview_sha(api: Api, text: str = TEXT, commune: str = "XA-A") -> str:
    response = api.post("/api/v1/speech/preview", {"text": text, "commune_code": commune})
    assert response.status_code == 200, response.text
    return str(response.json()["sha256"])


def test_play_now_airs_only_audio_approved_for_that_commune(world: World) -> None:
    own_id, own_sha = approved_bulletin(
        world.officer, world.approver, "XA-A", "Lịch tiêm phòng", "Tiêm phòng sáng mai."
    )
    _, other_sha = approved_bulletin(world.officer_b, world.approver_b, "XA-B", "Họp thôn", "Họp thôn tối nay.")
    draft = world.officer.post("/api/v1/bulletins", {"commune_code": "XA-A", "title": "Nháp", "body": TEXT})
    assert draft.status_code == 201, draft.text
    draft_preview = world.officer.post(f"/api/v1/bulletins/{draft.json()['id']}/preview").json()["sha256"]

    attacks = {
        "free-text preview": play_now(world.officer, "XA-A", asset_sha256=preview_sha(world.officer)),
        "a draft's preview": play_now(world.officer, "XA-A", asset_sha256=draft_preview),
        "another commune's approved audio": play_now(world.admin, "XA-A", asset_sha256=other_sha),
        "its MP3 rendition": play_now(world.admin, "XA-A", asset_sha256=world.mp3_of(other_sha)),
    }
    for name, response in attacks.items():
        assert refused(response), (name, response.text)
        assert "duyệt" in response.json()["message"], name
    assert world.device_commands() == 0 and world.commands_seen() == 0, "an uncleared play_now reached the broker"

    # The commune's own approved audio airs, by hash or by bulletin; its title goes with it.
    by_hash = play_now(world.officer, "XA-A", asset_sha256=own_sha)
    assert by_hash.status_code == 202, by_hash.text
    by_bulletin = play_now(world.officer, "XA-A", bulletin_id=own_id)
    assert by_bulletin.status_code == 202, by_bulletin.text
    assert world.device_commands() == 4  # two commands to two clusters

    # Sent back for approval (edited), the same audio no longer airs by hash or by bulletin.
    edited = world.officer.client.patch(f"/api/v1/bulletins/{own_id}", json={"body": "Tiêm phòng chiều mai."})
    assert edited.status_code == 200, edited.text
    assert refused(play_now(world.officer, "XA-A", asset_sha256=own_sha))
    assert play_now(world.officer, "XA-A", bulletin_id=own_id).status_code == 422
    assert world.device_commands() == 4


def test_play_now_of_a_province_bulletin_only_in_that_province(world: World, settings: Settings) -> None:
    _, province_sha = approved_bulletin(
        world.province_officer, world.province_approver, "XA-A", "Luật Đất đai", "Một số điểm mới."
    )
    assert refused(play_now(world.officer_b, "XA-B", asset_sha256=province_sha))  # a bulletin of XA-A
    setup_commune(world.admin, "Q", "XA-Q", ["Q1"])
    response = world.province_officer.post(
        "/api/v1/bulletins", {"province_code": "P", "title": "Toàn tỉnh", "body": "Thông báo của tỉnh."}
    )
    assert response.status_code == 201, response.text
    bulletin_id = response.json()["id"]
    assert world.province_officer.post(f"/api/v1/bulletins/{bulletin_id}/submit").status_code == 200
    approved = world.province_approver.post(f"/api/v1/bulletins/{bulletin_id}/approve")
    assert approved.status_code == 200, approved.text
    sha = approved.json()["audio_sha256"]
    assert play_now(world.officer_b, "XA-B", asset_sha256=sha).status_code == 202
    assert refused(play_now(world.admin, "XA-Q", asset_sha256=sha)), "a province's audio aired in another province"


def test_audio_the_controller_made_itself_may_air(world: World) -> None:
    services = world.controller.services
    stored = services.store.put(b"OggS system test tone stand-in", "opus")
    with services.sessions() as session:
        for source in ("system", "chime", "upload", "tts"):
            sha = stored.sha256 if source == "system" else services.store.put(source.encode(), "opus").sha256
            session.add(AudioAsset(sha256=sha, codec="opus", duration_ms=1000, size_bytes=10, source=source))
        session.commit()
        others = [a.sha256 for a in session.exec(select(AudioAsset).where(col(AudioAsset.source) != "system"))]
    assert play_now(world.officer, "XA-A", asset_sha256=stored.sha256).status_code == 202
    for sha in others:
        assert refused(play_now(world.officer, "XA-A", asset_sha256=sha)), sha


def test_programs_take_bare_audio_only_if_approved_for_the_commune(world: World) -> None:
    _, own_sha = approved_bulletin(world.officer, world.approver, "XA-A", "Lịch tiêm", "Tiêm phòng sáng mai.")
    _, other_sha = approved_bulletin(world.officer_b, world.approver_b, "XA-B", "Họp thôn", "Họp thôn tối nay.")
    before = world.admin.get("/api/v1/communes/XA-A/programs").json()
    starts = (datetime.now(UTC) + timedelta(minutes=5)).astimezone().strftime("%H:%M")
    for sha in (preview_sha(world.officer), other_sha):
        items = [{"kind": "music", "audio_sha256": sha}]
        response = world.officer.post("/api/v1/programs", {"commune_code": "XA-A", "title": "Lậu", "items": items})
        assert refused(response), response.text
        assert "Mục thứ 1" in response.json()["message"]
    assert world.admin.get("/api/v1/communes/XA-A/programs").json() == before

    program = world.officer.post(
        "/api/v1/programs",
        {"commune_code": "XA-A", "title": "Nhạc hiệu", "items": [{"kind": "recording", "audio_sha256": own_sha}]},
    )
    assert program.status_code == 201, program.text
    program_id = program.json()["id"]
    rule = world.officer.post(f"/api/v1/programs/{program_id}/rules", {"pattern": "daily", "at": starts})
    assert rule.status_code == 201, rule.text
    assert own_sha in world.playlist_shas("XA-A")
    # Replacing the items is checked by the same rule.
    replaced = world.officer.client.put(
        f"/api/v1/programs/{program_id}/items", json={"items": [{"kind": "music", "audio_sha256": other_sha}]}
    )
    assert refused(replaced), replaced.text


def test_publication_never_carries_uncleared_audio_whatever_put_it_there(world: World) -> None:
    """Rows written past the API (a bug, a hand-edited database): the last gate still leaves them out."""
    _, own_sha = approved_bulletin(world.officer, world.approver, "XA-A", "Lịch tiêm", "Tiêm phòng sáng mai.")
    _, other_sha = approved_bulletin(world.officer_b, world.approver_b, "XA-B", "Họp thôn", "Họp thôn tối nay.")
    smuggled = preview_sha(world.officer)
    starts = (datetime.now(UTC) + timedelta(minutes=5)).astimezone().strftime("%H:%M")
    program = world.officer.post(
        "/api/v1/programs",
        {"commune_code": "XA-A", "title": "Nhạc hiệu", "items": [{"kind": "recording", "audio_sha256": own_sha}]},
    )
    assert program.status_code == 201, program.text
    program_id = program.json()["id"]
    services = world.controller.services
    with services.sessions() as session:
        record = session.get(ProgramRecord, program_id)
        assert record is not None
        for seq, sha in enumerate((smuggled, other_sha), start=1):
            session.add(ProgramItemRecord(program_id=program_id, seq=seq, kind="music", audio_sha256=sha))
        session.commit()
    rule = world.officer.post(f"/api/v1/programs/{program_id}/rules", {"pattern": "daily", "at": starts})
    assert rule.status_code == 201, rule.text
    with services.sessions() as session:
        commune = session.exec(select(Commune).where(Commune.code == "XA-A")).one()
        services.publish(session, commune)
    shas = world.playlist_shas("XA-A")
    assert own_sha in shas and smuggled not in shas and other_sha not in shas


def test_an_emergency_reaches_only_communes_its_bulletin_was_approved_for(world: World) -> None:
    bulletin_id, _ = approved_bulletin(
        world.officer, world.approver, "XA-A", "Lũ quét", "Nước lên nhanh, sơ tán ngay.", priority="emergency"
    )
    # The province's officer answers for both communes; A's bulletin must not air in B.
    response = world.province_officer.post("/api/v1/emergencies", {"bulletin_id": bulletin_id, "province_code": "P"})
    assert response.status_code == 403, response.text
    with world.controller.services.sessions() as session:
        assert session.exec(select(EmergencyOrder)).all() == []
    assert world.playlist_shas("XA-B") == set()
    ok = world.officer.post("/api/v1/emergencies", {"bulletin_id": bulletin_id, "commune_code": "XA-A"})
    assert ok.status_code == 201, ok.text


def test_stored_audio_is_served_only_in_scope_or_through_the_previewers_link(world: World) -> None:
    """Finding 5: an officer of one commune downloaded another commune's unapproved preview by its hash."""
    response = world.officer.post("/api/v1/speech/preview", {"text": TEXT, "commune_code": "XA-A"})
    preview = response.json()
    assert world.officer.get(preview["audio_url"]).status_code == 200
    assert world.officer.get(preview["mp3_url"]).status_code == 200
    bare = f"/api/v1/audio/{preview['sha256']}.opus"
    for api in (world.officer_b, world.officer, world.approver):
        assert api.get(bare).status_code == 403, "a preview by its hash alone"
    assert world.officer_b.get(preview["audio_url"]).status_code == 403, "someone else's preview link"

    bulletin_id, sha = approved_bulletin(world.officer, world.approver, "XA-A", "Lịch tiêm", "Tiêm phòng sáng mai.")
    approved = f"/api/v1/audio/{sha}.opus"
    assert world.officer.get(approved).status_code == 200 and world.approver.get(approved).status_code == 200
    assert world.admin.get(approved).status_code == 200
    assert world.officer_b.get(approved).status_code == 403
    assert world.province_officer.get(approved).status_code == 200  # the province answers for XA-A
    assert bulletin_id
