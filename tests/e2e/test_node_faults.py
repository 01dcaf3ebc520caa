"""Injected faults on real nodes: a damaged download, a network cut across airtime, a failed amplifier."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from controller.accounts import Role
from controller.settings import Settings
from firmware_sim.agent import AMPLIFIER_FAULT_VI
from tests.harness import (
    Api,
    ControllerServer,
    FleetRunner,
    add_user_directly,
    approved_bulletin,
    login,
    read_playlog,
    setup_commune,
    wait_until,
)

pytestmark = pytest.mark.e2e

COMMUNE = "XA-FAULT"


@pytest.mark.one_database("sqlite", why="the faults are the nodes' business; the database plays no part")
def test_faulty_nodes_play_what_they_can_and_lose_no_report(
    settings: Settings, controller: ControllerServer, admin: Api, tmp_path: Path
) -> None:
    identities = setup_commune(admin, "P", COMMUNE, ["CUT-1", "AMP-1"])
    add_user_directly(settings, "officer", Role.OFFICER, "password-o", commune_codes=[COMMUNE])
    add_user_directly(settings, "approver", Role.APPROVER, "password-a", commune_codes=[COMMUNE])
    officer = login(controller.base_url, "officer", "password-o")
    approver = login(controller.base_url, "approver", "password-a")
    fleet = FleetRunner(
        settings.node.model_copy(update={"controller_url": controller.base_url, "fault_poll_interval_s": 0.2}),
        identities,
        tmp_path / "nodes",
    )
    cut, amp = fleet.fleet.agents
    cut.faults.corrupt_downloads = 1  # its first download arrives damaged
    amp.faults.amplifier_failed = True
    fleet.start()
    try:
        fleet.wait_connected()
        bulletin_id, sha = approved_bulletin(officer, approver, COMMUNE, "Tin", "Xin chào bà con.")
        first = datetime.now(UTC) + timedelta(seconds=5)
        duration = _schedule(officer, bulletin_id, first)
        second = first + duration + timedelta(seconds=1)
        _schedule(officer, bulletin_id, second)
        assert wait_until(lambda: cut.playlist is not None and len(cut.playlist.items) == 2, 5)
        assert wait_until(lambda: cut.cache.has(sha, "opus"), 5), "the node did not fetch the audio again"
        assert cut.rejected_downloads == 1 and cut.faults.corrupt_downloads == 0

        def plays() -> list[dict[str, Any]]:
            return list(officer.get(f"/api/v1/communes/{COMMUNE}/plays").json())

        def plays_of(code: str) -> list[dict[str, Any]]:
            device_id = admin.get(f"/api/v1/devices/{code}").json()["id"]
            return [r for r in plays() if r["device_id"] == device_id]

        # The network goes from before the first item until after the second.
        cut.faults.cut_network((second + duration - datetime.now(UTC)).total_seconds() + 1.5)
        assert wait_until(lambda: admin.get("/api/v1/devices/CUT-1").json()["state"] == "offline", 5), (
            "the broker did not see the link die (last will)"
        )
        playlog = tmp_path / "nodes" / "CUT-1" / "recordings" / "playlog.jsonl"
        assert wait_until(lambda: len(read_playlog(playlog)) == 2, 15), "the cut node did not play from its cache"
        assert [entry["sha256"] for entry in read_playlog(playlog)] == [sha, sha], "a damaged file was played"
        assert wait_until(lambda: len(cut.outbox) == 2, 3), "reports must wait on disk during the cut"
        assert cut.faults.network_down() and plays_of("CUT-1") == [], "a report got through the cut"

        assert wait_until(lambda: len(plays()) == 4, 15), plays()
        assert len(cut.outbox) == 0
        records = plays()
        by_device = Counter((r["device_id"], r["outcome"]) for r in records)
        assert sorted(by_device.values()) == [2, 2] and len({r["report_id"] for r in records}) == 4
        played = [r for r in records if r["outcome"] == "played"]
        failed = [r for r in records if r["outcome"] == "failed"]
        assert len(played) == 2 and all(r["played_sha256"] == sha for r in played)
        assert len(failed) == 2 and all(r["detail"] == AMPLIFIER_FAULT_VI for r in failed)
        assert not (tmp_path / "nodes" / "AMP-1" / "recordings" / "playlog.jsonl").exists()
        assert admin.get("/api/v1/devices/CUT-1").json()["state"] == "online"
    finally:
        fleet.stop()
        for api in (officer, approver):
            api.client.close()


def _schedule(officer: Api, bulletin_id: int, starts_at: datetime) -> timedelta:
    response = officer.post(
        "/api/v1/broadcasts", {"bulletin_id": bulletin_id, "commune_code": COMMUNE, "starts_at": starts_at.isoformat()}
    )
    assert response.status_code == 201, response.text
    playlist = officer.get(f"/api/v1/communes/{COMMUNE}/playlist").json()
    duration_ms = next(
        i["duration_ms"] for i in playlist["items"] if datetime.fromisoformat(i["starts_at"]) == starts_at
    )
    return timedelta(milliseconds=duration_ms)
