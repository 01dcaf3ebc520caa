"""A node airs its programme with the broker down, and its proof of play arrives once the broker is back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from controller.accounts import Role
from controller.settings import Settings
from devices.mosquitto import MosquittoProcess
from tests.harness import (
    Api,
    ControllerServer,
    FleetRunner,
    add_user_directly,
    login,
    setup_commune,
    wait_until,
)

pytestmark = pytest.mark.e2e


@pytest.mark.one_database(
    "sqlite", why="a broker outage is the business of the nodes and the broker, not of the database"
)
def test_airtime_without_broker_then_reports_after_reconnect(
    settings: Settings, controller: ControllerServer, broker: MosquittoProcess, admin: Api, tmp_path: Path
) -> None:
    identities = setup_commune(admin, "P", "XA-OFF", ["OFF-1"])
    add_user_directly(settings, "officer", Role.OFFICER, "password-o", commune_codes=["XA-OFF"])
    add_user_directly(settings, "approver", Role.APPROVER, "password-a", commune_codes=["XA-OFF"])
    officer = login(controller.base_url, "officer", "password-o")
    approver = login(controller.base_url, "approver", "password-a")
    fleet = FleetRunner(
        settings.node.model_copy(update={"controller_url": controller.base_url}), identities, tmp_path / "nodes"
    )
    fleet.start()
    agent = fleet.fleet.agents[0]
    try:
        fleet.wait_connected()
        b = officer.post("/api/v1/bulletins", {"commune_code": "XA-OFF", "title": "Tin", "body": "Xin chào bà con."})
        officer.post(f"/api/v1/bulletins/{b.json()['id']}/submit")
        sha = approver.post(f"/api/v1/bulletins/{b.json()['id']}/approve").json()["audio_sha256"]
        starts_at = datetime.now(UTC) + timedelta(seconds=6)
        response = officer.post(
            "/api/v1/broadcasts",
            {"bulletin_id": b.json()["id"], "commune_code": "XA-OFF", "starts_at": starts_at.isoformat()},
        )
        assert response.status_code == 201
        assert wait_until(lambda: agent.cache.has(sha, "opus"), 5), "the node did not fetch the audio"

        broker.stop()
        playlog = tmp_path / "nodes" / "OFF-1" / "recordings" / "playlog.jsonl"
        assert wait_until(playlog.exists, 15), "the node did not play with the broker down"
        entry = json.loads(playlog.read_text().splitlines()[0])
        assert entry["sha256"] == sha
        assert abs((datetime.fromisoformat(entry["started_at"]) - starts_at).total_seconds()) < 0.5
        assert wait_until(lambda: len(agent.outbox) == 1, 15), "the report was not queued on disk"
        assert officer.get("/api/v1/communes/XA-OFF/plays").json() == []

        broker.start()
        assert wait_until(lambda: len(officer.get("/api/v1/communes/XA-OFF/plays").json()) == 1, 20)
        assert len(agent.outbox) == 0
        play = officer.get("/api/v1/communes/XA-OFF/plays").json()[0]
        assert play["played_sha256"] == sha and abs(play["start_error_ms"]) < 500
    finally:
        fleet.stop()
