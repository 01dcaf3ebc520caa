"""Five hundred simulated clusters (the real agent, one event loop) connect, report health, and obey a
signed command, against the real broker and controller: the scale the issue asks a test run to show."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from controller.db import make_engine, session_factory
from controller.fleet_provisioning import ensure_fleet_identities
from controller.settings import Settings
from devices.command_signing import CommandSigner
from devices.registry import add_commune, add_province
from devices.settings import FleetSettings
from tests.harness import Api, ControllerServer, FleetRunner, wait_until

pytestmark = pytest.mark.e2e

NODES = 500
COMMUNES = [f"XA-{i}" for i in range(5)]
# Long enough that 500 heartbeats per interval do not crowd out the controller sharing this process
# with the whole fleet, short enough that every node has reported within a few seconds.
HEARTBEAT_S = 10.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    fleet = FleetSettings(
        heartbeat_interval_s=HEARTBEAT_S,
        health_sweep_interval_s=0.5,
        command_timeout_s=60,
        command_key_file=settings.fleet.command_key_file,
    )
    node = settings.node.model_copy(update={"heartbeat_interval_s": HEARTBEAT_S, "playlist_poll_interval_s": 600})
    return settings.model_copy(update={"fleet": fleet, "node": node})


@pytest.mark.one_database("sqlite", why="a load test of the broker and the node agent; the rows are the same on both")
def test_500_nodes_connect_report_and_obey_a_command(
    settings: Settings, controller: ControllerServer, admin: Api, tmp_path: Path
) -> None:
    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        province = add_province(session, "TINH-500", "Tỉnh")
        for code in COMMUNES:
            add_commune(session, province, code, f"Xã {code}")
        session.commit()
    engine.dispose()
    identities = ensure_fleet_identities(settings, tmp_path / "ids.json", NODES, COMMUNES, prefix="N")
    public_key = CommandSigner.load_or_create(settings.fleet.command_key_file).public_key_b64
    template = settings.node.model_copy(
        update={"controller_url": controller.base_url, "command_public_key": public_key}
    )
    fleet = FleetRunner(template, identities, tmp_path / "nodes")
    began = time.monotonic()
    fleet.start()
    try:
        fleet.wait_connected(timeout_s=90)
        connected_s = time.monotonic() - began
        print(f"connected after {connected_s:.1f} s")

        def summary() -> dict[str, int]:
            return dict(admin.get("/api/v1/fleet/summary").json())

        assert wait_until(lambda: summary()["online"] == NODES, 60, interval_s=0.5), summary()
        # Every node's heartbeat reached the controller: each has its latest health stored.
        assert wait_until(lambda: all(a.heartbeats >= 1 for a in fleet.fleet.agents), 30)

        def reported(code: str) -> bool:
            clusters = admin.get(f"/api/v1/fleet/communes/{code}").json()["clusters"]
            return len(clusters) == NODES // len(COMMUNES) and all(c["last_heartbeat_at"] for c in clusters)

        # Stored by the controller's health sweep within one sweep interval of arriving.
        assert wait_until(lambda: all(reported(code) for code in COMMUNES), 15, interval_s=0.5)
        print(f"reported after {time.monotonic() - began:.1f} s")

        # One signed command per commune reaches all 500 clusters; each acknowledges and reports its result.
        ids = []
        for code in COMMUNES:
            response = admin.post(f"/api/v1/communes/{code}/commands", {"name": "set_volume", "volume": 70})
            assert response.status_code == 202, response.text
            ids.append(response.json()["command_id"])

        def statuses() -> list[str]:
            return [d["status"] for i in ids for d in admin.get(f"/api/v1/commands/{i}").json()["devices"]]

        def unfinished() -> list[tuple[str, str, str]]:
            rows = [d for i in ids for d in admin.get(f"/api/v1/commands/{i}").json()["devices"]]
            return [(d["device_code"], d["status"], d["detail"]) for d in rows if d["status"] != "succeeded"]

        assert wait_until(lambda: statuses().count("succeeded") == NODES, 60, interval_s=1.0), unfinished()[:5]
        assert all(agent.volume == 70 for agent in fleet.fleet.agents)
        print(f"commanded after {time.monotonic() - began:.1f} s")
        print(f"{NODES} nodes connected in {connected_s:.1f} s")
    finally:
        fleet.stop()
