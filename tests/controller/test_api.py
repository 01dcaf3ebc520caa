"""The HTTP API against the real app on a real port: roles, commune scope, bad input, node endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from controller.accounts import Role
from controller.settings import Settings
from firmware_sim import NodeIdentity
from tests.harness import Api, ControllerServer, add_user_directly, login, setup_commune


@pytest.fixture
def world(settings: Settings, controller: ControllerServer, admin: Api) -> Iterator[dict[str, Any]]:
    """Two communes A and B with a cluster each; an officer and an approver for A, an officer for B."""
    nodes = setup_commune(admin, "P", "XA-A", ["A1"]) + setup_commune(admin, "P", "XA-B", ["B1"])
    add_user_directly(settings, "officer.a", Role.OFFICER, "password-a", commune_codes=["XA-A"])
    add_user_directly(settings, "approver.a", Role.APPROVER, "password-x", commune_codes=["XA-A"])
    add_user_directly(settings, "officer.b", Role.OFFICER, "password-b", commune_codes=["XA-B"])
    add_user_directly(settings, "monitor", Role.MONITOR, "password-m", province_code="P")
    apis = {
        name: login(controller.base_url, name, pw)
        for name, pw in [
            ("officer.a", "password-a"),
            ("approver.a", "password-x"),
            ("officer.b", "password-b"),
            ("monitor", "password-m"),
        ]
    }
    yield {"nodes": {n.device_code: n for n in nodes}, **apis, "base_url": controller.base_url}
    for api in apis.values():
        api.client.close()


def bulletin(api: Api, commune: str = "XA-A", body: str = "Bà con lưu ý.") -> httpx.Response:
    return api.post("/api/v1/bulletins", {"commune_code": commune, "title": "Thông báo", "body": body})


def approved_bulletin(world: dict[str, Any]) -> int:
    bulletin_id = int(bulletin(world["officer.a"]).json()["id"])
    assert world["officer.a"].post(f"/api/v1/bulletins/{bulletin_id}/submit").status_code == 200
    response = world["approver.a"].post(f"/api/v1/bulletins/{bulletin_id}/approve")
    assert response.status_code == 200, response.text
    return bulletin_id


def test_health(controller: ControllerServer) -> None:
    body = httpx.get(f"{controller.base_url}/api/v1/health").json()
    assert body == {"status": "ok", "database": True, "mqtt": True, "protocol_version": 1, "leader": True}


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic YTpi"])
def test_unauthenticated_requests_get_401_in_vietnamese(controller: ControllerServer, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = httpx.get(f"{controller.base_url}/api/v1/fleet/summary", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated" and "đăng nhập" in response.json()["message"].lower()


def test_wrong_password_is_refused(controller: ControllerServer, admin: Api) -> None:
    response = httpx.post(f"{controller.base_url}/api/v1/auth/token", json={"username": "admin", "password": "x"})
    assert response.status_code == 401 and response.json()["message"] == "Sai tên đăng nhập hoặc mật khẩu."


def test_officer_cannot_touch_another_commune(world: dict[str, Any]) -> None:
    officer_a, officer_b = world["officer.a"], world["officer.b"]
    refused = bulletin(officer_a, commune="XA-B")
    assert refused.status_code == 403 and refused.json()["error"] == "out_of_scope"
    b_id = bulletin(officer_b, commune="XA-B").json()["id"]
    assert officer_a.get(f"/api/v1/bulletins/{b_id}").status_code == 403
    assert officer_a.post(f"/api/v1/bulletins/{b_id}/submit").status_code == 403
    assert [b["id"] for b in officer_a.get("/api/v1/bulletins").json()] == []
    assert officer_a.get("/api/v1/communes/XA-B/playlist").status_code == 403
    assert officer_a.get("/api/v1/communes/XA-B/devices").status_code == 403
    a_id = approved_bulletin(world)
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    scheduled = officer_b.post("/api/v1/broadcasts", {"bulletin_id": a_id, "commune_code": "XA-B", "starts_at": soon})
    assert scheduled.status_code == 403


def test_roles_are_enforced(world: dict[str, Any]) -> None:
    assert bulletin(world["monitor"]).status_code == 403
    assert bulletin(world["approver.a"]).status_code == 403
    assert world["officer.a"].post("/api/v1/provinces", {"code": "Q", "name": "Q"}).status_code == 403
    assert world["officer.a"].post("/api/v1/communes/XA-A/devices", {"code": "X9"}).status_code == 403
    a_id = approved_bulletin(world)
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    body = {"bulletin_id": a_id, "commune_code": "XA-A", "starts_at": soon}
    assert world["approver.a"].post("/api/v1/broadcasts", body).status_code == 403


def test_fleet_summary_is_scoped(world: dict[str, Any], admin: Api) -> None:
    # Clusters never heard from are "unknown", not offline.
    expected = {"total": 2, "online": 0, "degraded": 0, "offline": 0, "unknown": 2}
    assert admin.get("/api/v1/fleet/summary").json() == expected
    assert world["officer.a"].get("/api/v1/fleet/summary").json()["total"] == 1
    assert world["monitor"].get("/api/v1/fleet/summary").json()["total"] == 2


@pytest.mark.parametrize(
    "body",
    [
        {"commune_code": "XA-A", "title": "", "body": "x"},
        {"commune_code": "XA-A", "title": "t", "body": ""},
        {"commune_code": "XA-A", "title": "t", "body": "x" * 20_001},
        {"commune_code": "XA-A", "title": "t", "body": "x", "priority": "urgent"},
        {"commune_code": "XA-A", "title": "t"},
        {"title": "t", "body": "x"},
    ],
)
def test_invalid_bulletins_get_422_and_store_nothing(world: dict[str, Any], body: dict[str, Any]) -> None:
    response = world["officer.a"].post("/api/v1/bulletins", body)
    assert response.status_code == 422 and response.json()["error"] == "invalid_request"
    assert world["officer.a"].get("/api/v1/bulletins").json() == []


def test_not_json_is_422(world: dict[str, Any]) -> None:
    response = world["officer.a"].client.post(
        "/api/v1/bulletins", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422


def test_unknown_commune_is_404(world: dict[str, Any]) -> None:
    response = bulletin(world["officer.a"], commune="XA-ZZZ")
    assert response.status_code == 404 and response.json()["error"] == "unknown_commune"


@pytest.mark.parametrize("code", ["bad/code", "+", "loaxa-controller", "x" * 70])
def test_device_codes_that_could_break_topics_are_refused(admin: Api, world: dict[str, Any], code: str) -> None:
    assert admin.post("/api/v1/communes/XA-A/devices", {"code": code}).status_code == 422


def test_duplicate_device_is_409(admin: Api, world: dict[str, Any]) -> None:
    response = admin.post("/api/v1/communes/XA-B/devices", {"code": "A1"})
    assert response.status_code == 409 and response.json()["error"] == "duplicate_code"


def test_scheduling_rules(world: dict[str, Any]) -> None:
    officer = world["officer.a"]
    b_id = approved_bulletin(world)
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    response = officer.post("/api/v1/broadcasts", {"bulletin_id": b_id, "commune_code": "XA-A", "starts_at": past})
    assert response.status_code == 422 and response.json()["error"] == "start_in_past"
    start = datetime.now(UTC) + timedelta(minutes=10)
    ok = officer.post(
        "/api/v1/broadcasts", {"bulletin_id": b_id, "commune_code": "XA-A", "starts_at": start.isoformat()}
    )
    assert ok.status_code == 201
    overlap = (start + timedelta(milliseconds=200)).isoformat()
    clash = officer.post("/api/v1/broadcasts", {"bulletin_id": b_id, "commune_code": "XA-A", "starts_at": overlap})
    assert clash.status_code == 409 and clash.json()["error"] == "playlist_conflict"
    assert f"b{ok.json()['id']}" in clash.json()["detail"]
    playlist = officer.get("/api/v1/communes/XA-A/playlist").json()
    assert playlist["version"] == 1 and len(playlist["items"]) == 1


def test_naive_times_are_read_in_vietnam_time(world: dict[str, Any]) -> None:
    b_id = approved_bulletin(world)
    local = (datetime.now(UTC) + timedelta(hours=7, minutes=30)).replace(tzinfo=None, microsecond=0)
    response = world["officer.a"].post(
        "/api/v1/broadcasts", {"bulletin_id": b_id, "commune_code": "XA-A", "starts_at": local.isoformat()}
    )
    assert response.status_code == 201, response.text
    stored = datetime.fromisoformat(response.json()["starts_at"])
    assert stored == local.replace(tzinfo=UTC) - timedelta(hours=7)


def test_node_endpoints(world: dict[str, Any]) -> None:
    node: NodeIdentity = world["nodes"]["A1"]
    base = world["base_url"]
    with httpx.Client(base_url=base, auth=(node.device_code, node.password)) as client:
        empty = client.get("/api/v1/node/playlist")
        assert empty.status_code == 200 and empty.json()["version"] == 0 and empty.json()["items"] == []
        assert client.get("/api/v1/node/playlist", headers={"If-None-Match": empty.headers["ETag"]}).status_code == 304

        b_id = approved_bulletin(world)
        start = (datetime.now(UTC) + timedelta(minutes=3)).isoformat()
        world["officer.a"].post("/api/v1/broadcasts", {"bulletin_id": b_id, "commune_code": "XA-A", "starts_at": start})
        fresh = client.get("/api/v1/node/playlist", headers={"If-None-Match": empty.headers["ETag"]})
        assert fresh.status_code == 200 and fresh.json()["version"] == 1
        assert client.get("/api/v1/node/playlist", headers={"If-None-Match": fresh.headers["ETag"]}).status_code == 304

        item = fresh.json()["items"][0]
        audio = client.get(item["asset_url"])
        assert audio.status_code == 200 and audio.headers["content-type"] == "audio/ogg"
        part = client.get(item["asset_url"], headers={"Range": "bytes=0-99"})
        assert part.status_code == 206 and part.content == audio.content[:100]
        assert client.get("/api/v1/node/audio/" + "0" * 64 + ".opus").status_code == 404
        assert client.get("/api/v1/node/audio/..%2F..%2Fetc%2Fpasswd").status_code == 404

    other: NodeIdentity = world["nodes"]["B1"]
    with httpx.Client(base_url=base, auth=(other.device_code, other.password)) as client:
        assert client.get("/api/v1/node/playlist").json()["commune"] == "XA-B"
        assert client.get(item["asset_url"]).status_code == 404, "a node fetched another commune's audio"
    with httpx.Client(base_url=base, auth=(node.device_code, other.password)) as client:
        assert client.get("/api/v1/node/playlist").status_code == 401


def test_a_bulletin_airs_only_in_the_commune_it_was_approved_for(
    settings: Settings, controller: ControllerServer, world: dict[str, Any]
) -> None:
    add_user_directly(settings, "officer.both", Role.OFFICER, "password-ab", commune_codes=["XA-A", "XA-B"])
    both = login(controller.base_url, "officer.both", "password-ab")
    a_id = approved_bulletin(world)
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    refused = both.post("/api/v1/broadcasts", {"bulletin_id": a_id, "commune_code": "XA-B", "starts_at": soon})
    assert refused.status_code == 403 and "xã khác" in refused.json()["message"]
    assert (
        both.post("/api/v1/broadcasts", {"bulletin_id": a_id, "commune_code": "XA-A", "starts_at": soon}).status_code
        == 201
    )
    both.client.close()


def test_validity_window_in_local_time_and_in_order(world: dict[str, Any]) -> None:
    officer = world["officer.a"]
    body = {
        "commune_code": "XA-A",
        "title": "T",
        "body": "B",
        "valid_from": "2026-12-01T00:00:00",
        "valid_until": "2026-12-31T00:00:00",
    }
    created = officer.post("/api/v1/bulletins", body)
    assert created.status_code == 201, created.text
    assert datetime.fromisoformat(created.json()["valid_from"]) == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    inverted = officer.post("/api/v1/bulletins", {**body, "valid_until": "2026-11-01T00:00:00"})
    assert inverted.status_code == 422 and inverted.json()["error"] == "invalid_validity_window"


def test_oversized_bodies_are_refused_with_413_and_store_nothing(world: dict[str, Any]) -> None:
    officer = world["officer.a"]
    huge = {"commune_code": "XA-A", "title": "T", "body": "x" * (2 * 1024 * 1024)}
    response = officer.post("/api/v1/bulletins", huge)
    assert response.status_code == 413 and response.json()["error"] == "payload_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is enforced while reading
        yield b'{"commune_code": "XA-A", "title": "T", "body": "'
        for _ in range(40):
            yield b"x" * 65_536
        yield b'"}'

    streamed = officer.client.post("/api/v1/bulletins", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert officer.get("/api/v1/bulletins").json() == []
    assert bulletin(officer).status_code == 201, "a normal request right after is handled"


def test_edits_refuse_null_and_an_unchanged_save_keeps_the_approval(world: dict[str, Any]) -> None:
    officer = world["officer.a"]
    bulletin_id = approved_bulletin(world)
    before = officer.get(f"/api/v1/bulletins/{bulletin_id}").json()
    refused = officer.client.patch(f"/api/v1/bulletins/{bulletin_id}", json={"title": None})
    assert refused.status_code == 422, refused.text
    unchanged = officer.client.patch(
        f"/api/v1/bulletins/{bulletin_id}", json={"title": before["title"], "body": before["body"]}
    )
    assert unchanged.status_code == 200, unchanged.text
    after = officer.get(f"/api/v1/bulletins/{bulletin_id}").json()
    assert after["status"] == "approved" and after["audio_sha256"] == before["audio_sha256"]
    edited = officer.client.patch(f"/api/v1/bulletins/{bulletin_id}", json={"body": "Bà con lưu ý giờ phát mới."})
    assert edited.status_code == 200 and edited.json()["status"] == "pending"


def test_unknown_addresses_and_methods_answer_in_vietnamese(controller: ControllerServer) -> None:
    with httpx.Client(base_url=controller.base_url) as client:
        api = client.get("/api/v1/khong-co")
        assert api.status_code == 404 and api.json() == {
            "error": "not_found",
            "message": "Không tìm thấy trang này.",
            "detail": "no route /api/v1/khong-co",
        }
        page = client.get("/trang-khong-co")
        assert page.status_code == 404 and "Không tìm thấy trang này." in page.text and "<html" in page.text
        wrong = client.delete("/api/v1/health")
        assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"
