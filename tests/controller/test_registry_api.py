"""Hamlets and cluster metadata over the real API: create, read, patch, revoke, bad input, scope."""

from __future__ import annotations

import time

import httpx
import pytest

from controller.accounts import Role
from controller.settings import Settings
from devices.mosquitto import MosquittoProcess
from tests.harness import Api, ControllerServer, Probe, add_user_directly, login, setup_commune

CLUSTER = {
    "code": "AB-01",
    "name": "Cụm loa chợ",
    "hamlet": "AP-1",
    "latitude": 10.5361,
    "longitude": 106.4127,
    "horn_count": 4,
    "amplifier_watts": 250,
    "network_type": "4g",
    "installed_on": "2025-03-14",
}


def test_hamlets_and_cluster_metadata(settings: Settings, controller: ControllerServer, admin: Api) -> None:
    setup_commune(admin, "LA", "XA-A", [])
    setup_commune(admin, "LA", "XA-B", [])
    response = admin.post("/api/v1/communes/XA-A/hamlets", {"code": "AP-1", "name": "Ấp Một"})
    assert response.status_code == 201, response.text
    assert admin.post("/api/v1/communes/XA-A/hamlets", {"code": "AP-1", "name": "Trùng"}).status_code == 409
    # The same hamlet code in another commune is another hamlet.
    assert admin.post("/api/v1/communes/XA-B/hamlets", {"code": "AP-1", "name": "Ấp Một B"}).status_code == 201
    assert [h["code"] for h in admin.get("/api/v1/communes/XA-A/hamlets").json()] == ["AP-1"]

    response = admin.post("/api/v1/communes/XA-A/devices", CLUSTER)
    assert response.status_code == 201, response.text
    device = response.json()["device"]
    assert device["hamlet"] == "AP-1" and device["horn_count"] == 4 and device["network_type"] == "4g"
    assert device["installed_on"] == "2025-03-14" and device["latitude"] == 10.5361

    cases: list[tuple[dict[str, object], str]] = [
        ({"latitude": 95.0, "longitude": 106.0}, "Vĩ độ"),
        ({"latitude": 10.0, "longitude": 200.0}, "Kinh độ"),
        ({"latitude": 10.0}, "cả vĩ độ và kinh độ"),
        ({"horn_count": -1}, "Số loa"),
        ({"amplifier_watts": -5}, "Công suất"),
        ({"hamlet": "AP-404"}, "ấp/thôn"),
    ]
    for bad, message in cases:
        response = admin.post("/api/v1/communes/XA-A/devices", {"code": "AB-99", **bad})
        assert response.status_code == 422 and message in response.json()["message"], (bad, response.text)
    assert admin.post("/api/v1/communes/XA-A/devices", {"code": "AB-99", "network_type": "5g"}).status_code == 422
    assert admin.get("/api/v1/devices/AB-99").status_code == 404, "a refused cluster was stored"

    response = admin.client.patch("/api/v1/devices/AB-01", json={"horn_count": 6, "hamlet": None})
    assert response.status_code == 200, response.text
    patched = admin.get("/api/v1/devices/AB-01").json()
    assert patched["horn_count"] == 6 and patched["hamlet"] is None and patched["amplifier_watts"] == 250
    response = admin.client.patch("/api/v1/devices/AB-01", json={"latitude": -91})
    assert response.status_code == 422 and "Vĩ độ" in response.json()["message"]
    # A hamlet of another commune is not this cluster's hamlet... unless the commune has one of that code.
    admin.post("/api/v1/communes/XA-B/hamlets", {"code": "AP-2", "name": "Ấp Hai B"})
    assert admin.client.patch("/api/v1/devices/AB-01", json={"hamlet": "AP-2"}).status_code == 422

    add_user_directly(settings, "officer.b", Role.OFFICER, "password-b", commune_codes=["XA-B"])
    add_user_directly(settings, "officer.a", Role.OFFICER, "password-a", commune_codes=["XA-A"])
    officer_b = login(controller.base_url, "officer.b", "password-b")
    officer_a = login(controller.base_url, "officer.a", "password-a")
    assert officer_b.get("/api/v1/devices/AB-01").status_code == 403
    assert officer_b.get("/api/v1/communes/XA-A/hamlets").status_code == 403
    assert officer_a.get("/api/v1/devices/AB-01").status_code == 200
    assert officer_a.client.patch("/api/v1/devices/AB-01", json={"horn_count": 1}).status_code == 403
    assert officer_a.post("/api/v1/communes/XA-A/hamlets", {"code": "AP-3", "name": "Ấp Ba"}).status_code == 403
    assert officer_a.post("/api/v1/devices/AB-01/revoke").status_code == 403
    for api in (officer_a, officer_b):
        api.client.close()


@pytest.mark.one_database("sqlite", why="what matters is the broker's files and the HTTP check")
def test_revoked_cluster_loses_broker_and_http_access(
    controller: ControllerServer, admin: Api, broker: MosquittoProcess
) -> None:
    [node] = setup_commune(admin, "LA", "XA-A", ["AB-02"])
    probe = Probe(broker.settings, node.device_code, node.password)
    connected = False
    for _ in range(50):  # the broker reloads its password file on SIGHUP, asynchronously
        if connected := probe.connect():
            break
        probe.close()
        probe = Probe(broker.settings, node.device_code, node.password)
        time.sleep(0.1)
    assert connected
    probe.close()
    auth = httpx.BasicAuth(node.device_code, node.password)
    assert httpx.get(controller.base_url + "/api/v1/node/playlist", auth=auth).status_code == 200

    response = admin.post("/api/v1/devices/AB-02/revoke")
    assert response.status_code == 200 and response.json()["revoked_at"], response.text
    assert httpx.get(controller.base_url + "/api/v1/node/playlist", auth=auth).status_code == 401
    refused = False
    for _ in range(50):
        probe = Probe(broker.settings, node.device_code, node.password)
        refused = not probe.connect()
        probe.close()
        if refused:
            break
        time.sleep(0.1)
    assert refused, "mosquitto still accepts a revoked cluster"
    assert admin.post("/api/v1/devices/AB-404/revoke").status_code == 404
