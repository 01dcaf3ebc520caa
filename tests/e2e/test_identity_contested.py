"""A stolen node password used from elsewhere (issue 12): the broker binds the client id to the username,
so the thief and the real node knock each other off every second or so. The controller notices the
births piling up and raises "identity_contested"; one ordinary restart of the node raises nothing.

Real mosquitto with ACLs, the controller over HTTP, the real node agent, and a second bare MQTT client
logged in with the same credentials.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from controller.settings import Settings
from devices.registry import Device
from tests.harness import Api, ControllerServer, FleetRunner, Probe, setup_commune, wait_until

pytestmark = pytest.mark.e2e

COMMUNE, CODE = "XA-DANH-TINH", "DT-01"
BIRTHS_MAX = 6


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Six births in a minute: the start and one restart make two; a takeover fight, one every second or so."""
    fleet = settings.fleet.model_copy(update={"identity_births_max": BIRTHS_MAX, "identity_window_s": 60.0})
    return settings.model_copy(update={"fleet": fleet})


def identity_alerts(admin: Api) -> list[dict[str, Any]]:
    response = admin.get("/api/v1/alerts")
    assert response.status_code == 200, response.text
    return [a for a in response.json() if a["kind"] == "identity_contested"]


def session_seq(controller: ControllerServer) -> int:
    """The session number of the node's latest birth, as the controller stored it."""
    with controller.services.sessions() as session:
        return session.exec(select(Device.session_seq).where(Device.code == CODE)).one()


@pytest.mark.one_database("sqlite", why="the signal is the broker's session takeovers; the database stores the alert")
def test_a_node_identity_used_from_two_places_raises_an_alert(
    settings: Settings, controller: ControllerServer, admin: Api, tmp_path: Path
) -> None:
    (identity,) = setup_commune(admin, "TINH-DT", COMMUNE, [CODE])
    template = settings.node.model_copy(update={"controller_url": controller.base_url})

    def start_node() -> FleetRunner:
        fleet = FleetRunner(template, [identity], tmp_path / "nodes")
        fleet.start()
        fleet.wait_connected()
        return fleet

    # The real node starts, then restarts once (a power cut): two births, no alert.
    fleet = start_node()
    assert wait_until(lambda: session_seq(controller) >= 1, 10)
    first = session_seq(controller)
    fleet.stop()
    fleet = start_node()
    assert wait_until(lambda: session_seq(controller) > first, 10)
    try:
        assert not wait_until(lambda: bool(identity_alerts(admin)), 2), "one restart raised an alert"

        # The thief logs in with the same password; paho reconnects it each time the node takes its session back.
        thief = Probe(controller.settings.mqtt, identity.device_code, identity.password)
        thief.client.reconnect_delay_set(min_delay=1, max_delay=1)
        seq_before, started = session_seq(controller), time.monotonic()
        thief.connect()
        try:
            assert wait_until(lambda: bool(identity_alerts(admin)), 30), "the takeover fight raised no alert"
        finally:
            thief.close()
        print(
            f"identity alert {time.monotonic() - started:.1f} s after the thief connected; "
            f"node sessions meanwhile: {session_seq(controller) - seq_before}"
        )
        (alert,) = identity_alerts(admin)
        assert alert["device_code"] == CODE and alert["severity"] == "critical"
        assert alert["message"].startswith(f"Danh tính cụm loa {CODE} đang kết nối từ hai nơi.")
    finally:
        fleet.stop()
