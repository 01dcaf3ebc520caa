"""Stock warnings end to end: an admin's approved library pinned on every node, aired with no HTTP at all.

Real mosquitto, database, espeak-ng, ffmpeg, the controller over HTTP and two node agents. The nodes'
HTTP to the controller is cut by an injected fault (MQTT stays up), so what they play can only come
from their pinned library: the emergency command arrives over MQTT and names the message.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest

from controller.accounts import Role
from controller.settings import Settings
from firmware_sim import NodeAgent
from firmware_sim.faults import fault_spec
from tests.harness import (
    Api,
    ControllerServer,
    FleetRunner,
    add_user_directly,
    login,
    read_playlog,
    setup_commune,
    wait_until,
)

pytestmark = pytest.mark.e2e

COMMUNE = "XA-MAU"
NODES = ["M-01", "M-02"]
FINAL = {"refused", "succeeded", "failed", "timed_out"}
STORM = (
    "Thông báo khẩn: bão đang vào địa phương. Bà con ở yên trong nhà, chằng chống nhà cửa, "
    "không ra khơi và theo dõi thông báo của xã."
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    fleet = settings.fleet.model_copy(update={"command_timeout_s": 5.0, "command_sweep_interval_s": 0.2})
    return settings.model_copy(update={"fleet": fleet})


def finished(api: Api, command_id: str, timeout_s: float = 15.0) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}

    def done() -> bool:
        response = api.get(f"/api/v1/commands/{command_id}")
        assert response.status_code == 200, response.text
        rows.update({row["device_code"]: row for row in response.json()["devices"]})
        return all(row["status"] in FINAL for row in rows.values())

    assert wait_until(done, timeout_s, interval_s=0.1), rows
    return rows


def second_admin(settings: Settings, controller: ControllerServer, request: pytest.FixtureRequest) -> Api:
    """Another admin: nobody approves their own change to the library."""
    add_user_directly(settings, "quantri2", Role.ADMIN, "admin-pass-2")
    api = login(controller.base_url, "quantri2", "admin-pass-2")
    request.addfinalizer(api.client.close)
    return api


def library_message(admin: Api, approver: Api, key: str, title: str, text: str) -> str:
    """Write, voice and approve a Vietnamese stock message; its approved sha256."""
    response = admin.client.put(f"/api/v1/stock/{key}/vi", json={"title": title, "text": text})
    assert response.status_code == 200, response.text
    response = admin.post(f"/api/v1/stock/{key}/vi/speech")
    assert response.status_code == 200, response.text
    response = approver.post(f"/api/v1/stock/{key}/vi/approve")
    assert response.status_code == 200, response.text
    return str(response.json()["approved_sha256"])


def played(log_path: Path, count: int) -> bool:
    return len(read_playlog(log_path)) == count


def pinned(agent: NodeAgent, sha256: str) -> bool:
    return agent.stock.holds(sha256) and agent.stock.path(sha256, "opus").is_file()


def start_fleet(settings: Settings, controller: ControllerServer, admin: Api, tmp_path: Path) -> FleetRunner:
    identities = setup_commune(admin, "TINH-MAU", COMMUNE, NODES)
    fleet = FleetRunner(
        settings.node.model_copy(
            update={
                "controller_url": controller.base_url,
                "command_public_key": controller.services.command_public_key(),
            }
        ),
        identities,
        tmp_path / "nodes",
    )
    fleet.start()
    fleet.wait_connected()
    return fleet


def play_stock(api: Api, key: str) -> dict[str, dict[str, Any]]:
    response = api.post(
        f"/api/v1/communes/{COMMUNE}/commands", {"name": "play_now", "stock_key": key, "stock_language": "vi"}
    )
    assert response.status_code == 202, response.text
    return finished(api, response.json()["command_id"])


@pytest.mark.one_database("sqlite", why="the subject is the nodes' pinned library; the database only stores rows")
def test_stock_emergency_airs_on_nodes_cut_off_from_http(
    settings: Settings, controller: ControllerServer, admin: Api, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    approver = second_admin(settings, controller, request)
    storm_sha = library_message(admin, approver, "storm", "Cảnh báo bão", STORM)
    fleet = start_fleet(settings, controller, admin, tmp_path)
    request.addfinalizer(fleet.stop)
    agents = fleet.fleet.agents
    # First sync: every node pins the library without being asked.
    assert wait_until(lambda: all(pinned(a, storm_sha) for a in agents), 20)

    # A change waits as a draft: nodes keep the approved copy until it is approved.
    response = admin.client.put(
        "/api/v1/stock/storm/vi", json={"title": "Cảnh báo bão số 2", "text": STORM + " Lặp lại."}
    )
    assert response.status_code == 200 and response.json()["approved_sha256"] == storm_sha
    assert admin.post("/api/v1/stock/storm/vi/speech").json()["pending"] is True

    # HTTP to the controller is cut (MQTT is not): the emergency can only come from the pinned copy.
    for agent in agents:
        agent.faults.apply(fault_spec(cut_http_s=300))
    rows = play_stock(admin, "storm")
    assert {code: row["status"] for code, row in rows.items()} == dict.fromkeys(NODES, "succeeded"), rows

    # Approving the change while the message is on air is refused, in Vietnamese, and changes nothing.
    refused = approver.post("/api/v1/stock/storm/vi/approve")
    assert refused.status_code == 409 and refused.json()["error"] == "stock_on_air", refused.text
    assert "đang được phát" in refused.json()["message"]
    assert admin.client.delete("/api/v1/stock/storm/vi").status_code == 409
    assert admin.get("/api/v1/stock/storm/vi").json()["approved_sha256"] == storm_sha

    for code in NODES:
        log_path = tmp_path / "nodes" / code / "recordings" / "playlog.jsonl"
        assert wait_until(partial(played, log_path, 1), 30)
        (entry,) = read_playlog(log_path)
        assert entry["sha256"] == storm_sha and entry["item_id"].startswith("cmd-")
    # The nodes really had no HTTP: every pull since the cut failed.
    assert all(agent.faults.http_down() for agent in agents)

    # Once stopped, the change is approved and announced; nodes fetch it as soon as HTTP is back,
    # ahead of any use, and drop the old file.
    response = admin.post(f"/api/v1/communes/{COMMUNE}/commands", {"name": "stop"})
    assert response.status_code == 202
    finished(admin, response.json()["command_id"])
    approved = approver.post("/api/v1/stock/storm/vi/approve")
    assert approved.status_code == 200, approved.text
    new_sha = approved.json()["approved_sha256"]
    assert new_sha != storm_sha
    for agent in agents:
        agent.faults.apply(fault_spec(clear=True))
    assert wait_until(lambda: all(pinned(a, new_sha) for a in agents), 20)
    assert all(not a.stock.path(storm_sha, "opus").exists() for a in agents)

    # Cut off again, the new version airs.
    for agent in agents:
        agent.faults.apply(fault_spec(cut_http_s=300))
    rows = play_stock(admin, "storm")
    assert {row["status"] for row in rows.values()} == {"succeeded"}, rows
    for code in NODES:
        log_path = tmp_path / "nodes" / code / "recordings" / "playlog.jsonl"
        assert wait_until(partial(played, log_path, 2), 20)
        assert read_playlog(log_path)[-1]["sha256"] == new_sha
    response = admin.post(f"/api/v1/communes/{COMMUNE}/commands", {"name": "stop"})
    finished(admin, response.json()["command_id"])

    # An emergency order, still without HTTP: it goes through the commune's playlist, which the urgent
    # notice carries signed (protocol 1.5), and the nodes play their pinned copy at its start.
    order_body = {"stock_key": "storm", "stock_language": "vi", "commune_code": COMMUNE}
    response = admin.post("/api/v1/emergencies", order_body)
    assert response.status_code == 201, response.text
    (order,) = response.json()
    for code in NODES:
        log_path = tmp_path / "nodes" / code / "recordings" / "playlog.jsonl"
        assert wait_until(partial(played, log_path, 3), 30)
        entry = read_playlog(log_path)[-1]
        assert entry["item_id"] == f"e{order['id']}" and entry["sha256"] == new_sha
    assert all(agent.faults.http_down() for agent in agents)
    assert all(agent.playlist is not None and agent.playlist.version == order["playlist_version"] for agent in agents)


@pytest.mark.one_database("sqlite", why="the subject is the node's checks of its pinned files")
def test_node_refuses_stock_files_that_do_not_match_their_sha256(
    settings: Settings, controller: ControllerServer, admin: Api, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    approver = second_admin(settings, controller, request)
    tone_sha = library_message(admin, approver, "test_tone", "Phát thử không tiếng", "")
    fleet = start_fleet(settings, controller, admin, tmp_path)
    request.addfinalizer(fleet.stop)
    first, second = fleet.fleet.agents
    assert wait_until(lambda: pinned(first, tone_sha) and pinned(second, tone_sha), 20)

    # A tampered pinned file: refused before play, deleted, never played; the emergency fails with why.
    first.faults.apply(fault_spec(cut_http_s=300))
    second.faults.apply(fault_spec(cut_http_s=300))
    path = first.stock.path(tone_sha, "opus")
    data = path.read_bytes()
    path.write_bytes(bytes([data[0] ^ 0xFF]) + data[1:])
    # The silent self-test finds it (and deletes it: it will never play).
    response = admin.post(f"/api/v1/devices/{first.code}/commands", {"name": "self_test"})
    assert response.status_code == 202, response.text
    row = finished(admin, response.json()["command_id"])[first.code]
    assert row["status"] == "failed" and "1/1 tệp bản tin mẫu" in row["detail"], row
    rows = play_stock(admin, "test_tone")
    assert rows[first.code]["status"] == "failed" and "sha256" in rows[first.code]["detail"], rows
    assert rows[second.code]["status"] == "succeeded", rows
    assert first.stock.refused == 1 and not path.exists()
    assert read_playlog(tmp_path / "nodes" / first.code / "recordings" / "playlog.jsonl") == []

    # HTTP back: re-fetched; the first download arrives damaged and is refused too, then a good one is kept.
    first.faults.apply(fault_spec(clear=True, corrupt_downloads=1))
    assert wait_until(lambda: pinned(first, tone_sha), 20)
    assert first.stock.refused == 2 and first.stock.read_verified(tone_sha, "opus") is not None
