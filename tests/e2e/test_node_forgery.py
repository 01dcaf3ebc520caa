"""A node forging with its own password (issue 12, finding 6): play reports for what it was never sent,
and answers to commands it never received or never accepted.

Real mosquitto with ACLs, database, espeak-ng and the controller over HTTP. The attacker is a bare MQTT
client logged in with a registered cluster's own credentials, publishing on that cluster's own topics
(the only ones the broker lets it write). Forged reports must be kept but flagged, count as nothing
(the play audit still says the item failed to play) and raise an alert; forged answers must never
change a command's status.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from controller.accounts import Role
from controller.settings import Settings
from devices.protocol import (
    CommandAck,
    CommandResult,
    Playlist,
    PlaylistItem,
    PlayReport,
    device_ack_topic,
    device_play_topic,
    device_result_topic,
    encode,
)
from devices.registry import Commune
from schedules.publication import CommunePlaylist
from tests.conftest import ADMIN_PASSWORD
from tests.console import ConsoleClient
from tests.harness import (
    Api,
    ControllerServer,
    Probe,
    add_user_directly,
    approved_bulletin,
    login,
    setup_commune,
    staff,
    wait_until,
)

pytestmark = pytest.mark.e2e

COMMUNE, OTHER_COMMUNE = "XA-GIA", "XA-KHAC"
F1, F2, G1 = "GIA-01", "GIA-02", "KHAC-01"
ZERO_SHA = "0" * 64


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The play audit looks one second after an item's end, so a forged proof would visibly hide a miss."""
    fleet = settings.fleet.model_copy(
        update={"play_grace_s": 1.0, "play_audit_interval_s": 0.3, "health_sweep_interval_s": 0.3}
    )
    return settings.model_copy(update={"fleet": fleet})


def published(controller: ControllerServer, commune_code: str) -> Playlist:
    with controller.services.sessions() as session:
        commune = session.exec(select(Commune).where(Commune.code == commune_code)).one()
        row = session.get(CommunePlaylist, commune.id)
        assert row is not None, f"nothing published to {commune_code}"
        return Playlist.model_validate_json(row.content)


def report(item: PlaylistItem, commune: str = COMMUNE, *, sha: str | None = None) -> PlayReport:
    end = item.starts_at + timedelta(milliseconds=item.duration_ms)
    return PlayReport(
        report_id=uuid.uuid4().hex,
        commune=commune,
        playlist_version=1,
        item_id=item.item_id,
        asset_sha256=sha or item.asset_sha256,
        played_sha256=sha or item.asset_sha256,
        scheduled_start=item.starts_at,
        started_at=item.starts_at,
        ended_at=end,
    )


def alerts(admin: Api, kind: str) -> dict[str, dict[str, Any]]:
    response = admin.get("/api/v1/alerts")
    assert response.status_code == 200, response.text
    return {a["device_code"]: a for a in response.json() if a["kind"] == kind}


def plays(admin: Api) -> dict[str, dict[str, Any]]:
    response = admin.get(f"/api/v1/communes/{COMMUNE}/plays")
    assert response.status_code == 200, response.text
    return {p["report_id"]: p for p in response.json()}


def connect(controller: ControllerServer, code: str, password: str) -> Probe:
    probe = Probe(controller.settings.mqtt, code, password)
    assert probe.connect(), probe.refused
    return probe


@pytest.mark.one_database("sqlite", why="the attack goes through the broker and the ingest; the database stores rows")
def test_forged_proof_of_play_is_kept_flagged_and_counts_for_nothing(
    settings: Settings, controller: ControllerServer, admin: Api, request: pytest.FixtureRequest
) -> None:
    nodes = {n.device_code: n for n in setup_commune(admin, "TINH-GIA", COMMUNE, [F1, F2])}
    setup_commune(admin, "TINH-GIA", OTHER_COMMUNE, [G1])
    officer, approver = staff(settings, controller.base_url, request, commune=COMMUNE)
    add_user_directly(settings, "canbo-khac", Role.OFFICER, "officer-pass-2", commune_codes=[OTHER_COMMUNE])
    add_user_directly(settings, "duyet-khac", Role.APPROVER, "approver-pass-2", commune_codes=[OTHER_COMMUNE])
    officer_g, approver_g = (
        login(controller.base_url, "canbo-khac", "officer-pass-2"),
        login(controller.base_url, "duyet-khac", "approver-pass-2"),
    )
    for api in (officer_g, approver_g):
        request.addfinalizer(api.client.close)

    # Sent to this commune: an emergency for F1 only. Sent to the other commune: a broadcast.
    alarm_id, _ = approved_bulletin(officer, approver, COMMUNE, "Lũ", "Khẩn cấp! Nước lên.", priority="emergency")
    assert officer.post("/api/v1/emergencies", {"bulletin_id": alarm_id, "clusters": [F1]}).status_code == 201
    other_id, _ = approved_bulletin(officer_g, approver_g, OTHER_COMMUNE, "Họp", "Mời bà con đi họp.")
    soon = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    response = officer_g.post(
        "/api/v1/broadcasts", {"bulletin_id": other_id, "commune_code": OTHER_COMMUNE, "starts_at": soon}
    )
    assert response.status_code == 201, response.text
    (emergency,) = [i for i in published(controller, COMMUNE).items if i.clusters == (F1,)]
    (elsewhere,) = published(controller, OTHER_COMMUNE).items
    made_up = emergency.model_copy(update={"item_id": "b999999", "asset_sha256": ZERO_SHA})

    f1, f2 = connect(controller, F1, nodes[F1].password), connect(controller, F2, nodes[F2].password)
    probes = {F1: f1, F2: f2}
    forged = {
        "zero_sha": (F1, report(emergency, sha=ZERO_SHA)),  # the right item, audio never sent
        "made_up": (F1, report(made_up)),  # an item never published, all-zero audio
        "other_commune_item": (F1, report(elsewhere)),  # the other commune's real item, as if ours
        "other_commune_claim": (F1, report(elsewhere, OTHER_COMMUNE)),  # ...and claiming that commune
        "not_my_cluster": (F2, report(emergency)),  # a real item of the commune, for F1 only
    }
    for code, forgery in forged.values():
        probes[code].client.publish(device_play_topic(code), encode(forgery), qos=1).wait_for_publish(3)

    assert wait_until(lambda: len(plays(admin)) == len(forged), 10), plays(admin)
    stored = plays(admin)
    reasons = {name: stored[f.report_id]["flag_reason"] for name, (_, f) in forged.items()}
    assert reasons == {
        "zero_sha": "wrong_audio",
        "made_up": "not_sent",
        "other_commune_item": "not_sent",
        "other_commune_claim": "other_commune",
        "not_my_cluster": "other_cluster",
    }
    # Nothing was counted for the other commune, and an admin is told about both clusters.
    assert admin.get(f"/api/v1/communes/{OTHER_COMMUNE}/plays").json() == []
    assert wait_until(lambda: {F1, F2} <= alerts(admin, "suspect_report").keys(), 5)

    # F1 never really played the emergency: the forged proof must not hide it from the play audit.
    end = emergency.starts_at + timedelta(milliseconds=emergency.duration_ms)
    wait_s = (end - datetime.now(UTC)).total_seconds() + settings.fleet.play_grace_s + 10
    assert wait_until(lambda: F1 in alerts(admin, "failed_to_play"), wait_s), "a forged report counted as aired"

    # The console marks them, on the cluster's page and in the dashboard's recent plays.
    console = ConsoleClient(controller.base_url)
    try:
        console.login("admin", ADMIN_PASSWORD)
        assert "Đáng ngờ: âm thanh khác với tệp đã gửi" in console.get(f"/cum-loa/{F1}").text
        assert "Đáng ngờ: mục không dành cho cụm loa này" in console.get("/giam-sat").text
    finally:
        console.close()

    # A genuine-looking report from F1 for the item it was sent is proof of play (no flag).
    genuine = report(emergency)
    f1.client.publish(device_play_topic(F1), encode(genuine), qos=1).wait_for_publish(3)
    assert wait_until(lambda: genuine.report_id in plays(admin), 5)
    assert plays(admin)[genuine.report_id]["flag_reason"] is None
    f1.close()
    f2.close()


def command_status(admin: Api, command_id: str) -> dict[str, str]:
    response = admin.get(f"/api/v1/commands/{command_id}")
    assert response.status_code == 200, response.text
    return {row["device_code"]: row["status"] for row in response.json()["devices"]}


@pytest.mark.one_database("sqlite", why="the attack goes through the broker and the ingest; the database stores rows")
def test_forged_command_answers_never_change_a_commands_status(controller: ControllerServer, admin: Api) -> None:
    nodes = {n.device_code: n for n in setup_commune(admin, "TINH-GIA", COMMUNE, [F1, F2])}
    f1 = connect(controller, F1, nodes[F1].password)
    now = datetime.now(UTC)

    def send(code: str) -> str:
        response = admin.post(f"/api/v1/devices/{code}/commands", {"name": "self_test"})
        assert response.status_code == 202, response.text
        return str(response.json()["command_id"])

    def answer(command_id: str, *, ack: bool) -> None:
        if ack:
            accepted = CommandAck(command_id=command_id, accepted=True, at=now)
            f1.client.publish(device_ack_topic(F1), encode(accepted), qos=1).wait_for_publish(3)
        done = CommandResult(command_id=command_id, ok=True, detail="Tự kiểm tra đạt.", at=now)
        f1.client.publish(device_result_topic(F1), encode(done), qos=1).wait_for_publish(3)

    # Another cluster's command, acked and "succeeded" by F1; a made-up id; F1's own command, never acked.
    for_f2 = send(F2)
    answer(for_f2, ack=True)
    answer(uuid.uuid4().hex, ack=True)
    own = send(F1)
    answer(own, ack=False)
    assert wait_until(lambda: F1 in alerts(admin, "suspect_report"), 10), "forged answers raised no alert"
    assert command_status(admin, for_f2) == {F2: "sent"}
    assert command_status(admin, own) == {F1: "sent"}, "a result without an ack was taken"

    # The same answers in the right order, from the device the command was sent to, are taken.
    answer(own, ack=True)
    assert wait_until(lambda: command_status(admin, own) == {F1: "succeeded"}, 5)
    f1.close()
