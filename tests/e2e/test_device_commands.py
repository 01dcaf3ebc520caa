"""Signed commands end to end: API -> controller -> broker -> node agents -> ack and result -> API.

Real mosquitto, database, espeak-ng, controller over HTTP and two node agents (a third cluster of the
commune is registered but never connects). One scenario, to pay for the set-up once.
"""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from controller import cli
from controller.accounts import Role
from controller.settings import Settings
from devices.command_signing import CommandSigner
from devices.protocol import CommandBody, commune_command_topic, device_command_topic, encode
from firmware_sim import NodeAgent
from tests.harness import (
    Api,
    ControllerServer,
    FleetRunner,
    Probe,
    add_user_directly,
    approved_bulletin,
    login,
    read_playlog,
    setup_commune,
    wait_until,
)

pytestmark = pytest.mark.e2e

COMMUNE = "XA-LENH"
ONLINE = ["L-01", "L-02"]
OFFLINE = "L-OFF"
FINAL = {"refused", "succeeded", "failed", "timed_out"}
TIMEOUT_S = 2.0
LONG_BODY = (
    "Kính thưa bà con! Ủy ban nhân dân xã thông báo lịch tiêm phòng cho gia súc, gia cầm trong tháng này. "
    "Các hộ chăn nuôi đưa vật nuôi đến điểm tiêm tại nhà văn hóa thôn vào buổi sáng."
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A short command timeout, swept often, so the offline cluster's rows fail within the test."""
    fleet = settings.fleet.model_copy(update={"command_timeout_s": TIMEOUT_S, "command_sweep_interval_s": 0.2})
    return settings.model_copy(update={"fleet": fleet})


def finished(api: Api, command_id: str, timeout_s: float = 10.0) -> dict[str, dict[str, Any]]:
    """Per device: the command's row, once every row has its outcome."""
    rows: dict[str, dict[str, Any]] = {}

    def done() -> bool:
        response = api.get(f"/api/v1/commands/{command_id}")
        assert response.status_code == 200, response.text
        rows.update({row["device_code"]: row for row in response.json()["devices"]})
        return all(row["status"] in FINAL for row in rows.values())

    assert wait_until(done, timeout_s, interval_s=0.1), rows
    return rows


def send(api: Api, path: str, body: dict[str, Any]) -> str:
    response = api.post(path, body)
    assert response.status_code == 202, response.text
    return str(response.json()["command_id"])


def acks(agent: NodeAgent, command_id: str) -> list[str | None]:
    """Reasons of this node's acks for the command (None: accepted)."""
    return [ack.reason for ack in agent.command_acks if ack.command_id == command_id]


@pytest.mark.one_database("postgresql", why="the database only stores rows here; once is enough")
def test_signed_commands_round_trip_and_forgeries_or_replays_are_refused(
    settings: Settings,
    controller: ControllerServer,
    admin: Api,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    identities = setup_commune(admin, "TINH-LENH", COMMUNE, ONLINE)
    # Provisioning hands out the key nodes must trust, with the credentials.
    response = admin.post(f"/api/v1/communes/{COMMUNE}/devices", {"code": OFFLINE})
    assert response.status_code == 201, response.text
    public_key = response.json()["command_public_key"]
    assert public_key == controller.services.command_public_key() != ""
    offline_password = response.json()["credentials"]["password"]

    add_user_directly(settings, "canbo", Role.OFFICER, "officer-pass-1", commune_codes=[COMMUNE])
    add_user_directly(settings, "duyet", Role.APPROVER, "approver-pass-1", commune_codes=[COMMUNE])
    add_user_directly(settings, "giamsat", Role.MONITOR, "monitor-pass-1", commune_codes=[COMMUNE])
    officer = login(controller.base_url, "canbo", "officer-pass-1")
    approver = login(controller.base_url, "duyet", "approver-pass-1")
    monitor = login(controller.base_url, "giamsat", "monitor-pass-1")
    for api in (officer, approver, monitor):
        request.addfinalizer(api.client.close)
    bulletin_id, bulletin_sha = approved_bulletin(officer, approver, COMMUNE, "Lịch tiêm phòng", LONG_BODY)

    # Whoever holds a cluster's broker password can read its commune's commands, but no more.
    eavesdropper = Probe(settings.mqtt, OFFLINE, offline_password)
    assert eavesdropper.connect(), eavesdropper.refused
    eavesdropper.subscribe(commune_command_topic(COMMUNE))
    request.addfinalizer(eavesdropper.close)

    fleet = FleetRunner(
        settings.node.model_copy(update={"controller_url": controller.base_url, "command_public_key": public_key}),
        identities,
        tmp_path / "nodes",
    )
    fleet.start()
    request.addfinalizer(fleet.stop)
    fleet.wait_connected()
    node = {agent.code: agent for agent in fleet.fleet.agents}
    link = controller.services.link
    assert link is not None

    # A monitor may read but not command; the commune's officer may.
    refused = monitor.post(f"/api/v1/devices/{ONLINE[0]}/commands", {"name": "stop"})
    assert refused.status_code == 403 and refused.json()["message"], refused.text
    bad = officer.post(f"/api/v1/devices/{ONLINE[0]}/commands", {"name": "set_volume", "volume": 101})
    assert bad.status_code == 422

    # set_volume: acked, succeeded, kept on the node's disk.
    volume_id = send(officer, f"/api/v1/devices/{ONLINE[0]}/commands", {"name": "set_volume", "volume": 35})
    row = finished(monitor, volume_id)[ONLINE[0]]
    assert (row["status"], row["acked_at"] is not None) == ("succeeded", True), row
    assert "35%" in row["detail"] and node[ONLINE[0]].volume == 35
    assert (tmp_path / "nodes" / ONLINE[0] / "volume").read_text() == "35"

    # Garbage and an oversized payload on the command topic are dropped; the next command works.
    link.publish(device_command_topic(ONLINE[0]), b'{"type": "signed_command", "body": ')
    link.publish(device_command_topic(ONLINE[0]), b"x" * 20_000)
    before = len(node[ONLINE[0]].command_acks)
    volume_id = send(officer, f"/api/v1/devices/{ONLINE[0]}/commands", {"name": "set_volume", "volume": 40})
    assert finished(officer, volume_id)[ONLINE[0]]["status"] == "succeeded"
    assert [a.command_id for a in node[ONLINE[0]].command_acks[before:]] == [volume_id]

    # Unsigned, and signed by another key under the controller's key id: refused, nothing changes.
    forged_body = CommandBody(
        command_id=uuid.uuid4().hex,
        name="set_volume",
        volume=100,
        scope="device",
        target=ONLINE[0],
        issued_at=datetime.now(UTC),
        nonce=uuid.uuid4().hex,
    )
    link.publish(device_command_topic(ONLINE[0]), encode(forged_body))
    attacker = CommandSigner.load_or_create(tmp_path / "attacker.pem")
    forged = attacker.sign(forged_body).model_copy(
        update={"key_id": CommandSigner.load_or_create(settings.fleet.command_key_file).key_id}
    )
    link.publish(device_command_topic(ONLINE[0]), encode(forged))
    assert wait_until(lambda: len(acks(node[ONLINE[0]], forged_body.command_id)) == 2, 5)
    assert acks(node[ONLINE[0]], forged_body.command_id) == ["bad_signature", "bad_signature"]
    assert node[ONLINE[0]].volume == 40

    # play_now, commune-wide: pre-empts nothing here, airs at once on both; the offline cluster times out.
    play_id = send(officer, f"/api/v1/communes/{COMMUNE}/commands", {"name": "play_now", "bulletin_id": bulletin_id})
    rows = finished(officer, play_id, TIMEOUT_S + 8)
    assert {code: r["status"] for code, r in rows.items()} == {
        ONLINE[0]: "succeeded",
        ONLINE[1]: "succeeded",
        OFFLINE: "timed_out",
    }, rows
    assert rows[OFFLINE]["detail"] and rows[OFFLINE]["acked_at"] is None
    item_id = f"cmd-{play_id[:24]}"
    assert all(item_id in agent.on_air for agent in node.values())

    # stop, commune-wide: cuts it; it is reported interrupted.
    stop_id = send(officer, f"/api/v1/communes/{COMMUNE}/commands", {"name": "stop"})
    assert wait_until(lambda: all(not agent.on_air for agent in node.values()), 5)
    rows = finished(officer, stop_id, TIMEOUT_S + 8)
    assert [rows[code]["status"] for code in ONLINE] == ["succeeded", "succeeded"], rows
    for code in ONLINE:
        (entry,) = read_playlog(tmp_path / "nodes" / code / "recordings" / "playlog.jsonl")
        assert entry["item_id"] == item_id and entry["interrupted"] is True and entry["sha256"] == bulletin_sha
        assert entry["volume_pct"] == (40 if code == ONLINE[0] else 100)
    plays_path = f"/api/v1/communes/{COMMUNE}/plays"
    assert wait_until(lambda: len(officer.get(plays_path).json()) == 2, 5)
    assert {(p["outcome"], "lệnh dừng" in p["detail"]) for p in officer.get(plays_path).json()} == {
        ("interrupted", True)
    }
    # What a play_now command sent to that very node is proof of play.
    assert [p["flag_reason"] for p in officer.get(plays_path).json()] == [None, None]

    # A replayed command is refused: the eavesdropper captured the signed play_now, and whoever can
    # publish on the broker (here: the controller's own account) sends the same bytes again.
    captured = [payload for _, payload in eavesdropper.messages if play_id in payload.decode()]
    assert len(captured) == 1
    link.publish(commune_command_topic(COMMUNE), captured[0])
    assert wait_until(lambda: all(len(acks(agent, play_id)) == 2 for agent in node.values()), 5)
    for agent in node.values():
        assert acks(agent, play_id) == [None, "replayed"]
        assert not agent.on_air
    # ... even after a restart of the node (the nonces are on its disk), and the original outcome stands.
    restarted = NodeAgent(node[ONLINE[0]].settings.model_copy(update={"recordings_dir": tmp_path / "restarted"}))
    assert restarted.commands.check(captured[0], restarted.now()).reason == "replayed"
    assert {r["status"] for c, r in finished(officer, play_id).items() if c != OFFLINE} == {"succeeded"}

    # resync and the silent self-test report on the playlist; an amplifier fault fails the self-test.
    resync_id = send(officer, f"/api/v1/devices/{ONLINE[0]}/commands", {"name": "resync"})
    assert "phiên bản" in finished(officer, resync_id)[ONLINE[0]]["detail"]
    test_id = send(officer, f"/api/v1/devices/{ONLINE[0]}/commands", {"name": "self_test"})
    assert finished(officer, test_id)[ONLINE[0]]["status"] == "succeeded"
    node[ONLINE[0]].faults.amplifier_failed = True
    test_id = send(officer, f"/api/v1/devices/{ONLINE[0]}/commands", {"name": "self_test"})
    row = finished(officer, test_id)[ONLINE[0]]
    assert row["status"] == "failed" and "khuếch đại" in row["detail"], row

    # reboot: result first, then a new broker session (its counter moves on).
    seq_file = tmp_path / "nodes" / ONLINE[1] / "session_seq"
    seq = int(seq_file.read_text())
    reboot_id = send(officer, f"/api/v1/devices/{ONLINE[1]}/commands", {"name": "reboot"})
    assert finished(officer, reboot_id)[ONLINE[1]]["status"] == "succeeded"
    assert wait_until(lambda: int(seq_file.read_text()) > seq and node[ONLINE[1]].connected.is_set(), 10)

    # The CLI goes through the same API, in the officer's name; `device key` prints the public key.
    monkeypatch.setenv("LOAXA_FLEET__COMMAND_KEY_FILE", str(settings.fleet.command_key_file))
    monkeypatch.setenv("LOAXA_WEB__PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("LOAXA_WEB__PASSWORD_MEMORY_KIB", "8192")
    assert cli.main(["device", "key"]) == 0
    assert capsys.readouterr().out.strip() == public_key
    monkeypatch.setattr("sys.stdin", io.StringIO("officer-pass-1\n"))
    argv = ["device", "command", ONLINE[1], "set_volume", "--volume", "55", "--user", "canbo"]
    assert cli.main([*argv, "--password-stdin", "--url", controller.base_url]) == 0
    assert f"{ONLINE[1]}: thành công" in capsys.readouterr().out
    assert node[ONLINE[1]].volume == 55

    audit = [e["action"] for e in _audit_actions(controller)]
    assert audit.count("command.set_volume") == 3 and "command.play_now" in audit and "command.reboot" in audit
    assert "command.self_test" not in audit


def _audit_actions(controller: ControllerServer) -> list[dict[str, str]]:
    from sqlmodel import select

    from controller.audit import AuditEntry

    with controller.services.sessions() as session:
        return [{"action": e.action} for e in session.exec(select(AuditEntry))]
