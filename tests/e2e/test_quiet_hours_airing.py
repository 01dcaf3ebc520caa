"""Quiet hours: normal content placed in them is refused (in Vietnamese) and never reaches a node; an
emergency issued in them plays, on the clusters it targets only.

The commune's own quiet hours are set around the present moment, so the test runs at any hour.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from controller.settings import Settings
from tests.harness import (
    Api,
    ControllerServer,
    FleetRunner,
    approved_bulletin,
    read_playlog,
    setup_commune,
    staff,
    wait_until,
)

pytestmark = pytest.mark.e2e

COMMUNE = "XA-YEN"


@pytest.mark.one_database("postgresql", why="the API tests cover quiet hours on both databases")
def test_quiet_hours_refuse_normal_content_but_not_emergencies(
    settings: Settings, controller: ControllerServer, admin: Api, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    identities = setup_commune(admin, "HA-TINH", COMMUNE, ["YEN-1", "YEN-2"])
    officer, approver = staff(settings, controller.base_url, request, commune=COMMUNE)
    normal_id, _ = approved_bulletin(officer, approver, COMMUNE, "Họp tổ dân phố", "Mời bà con họp tổ dân phố.")
    alert_id, alert_sha = approved_bulletin(
        officer, approver, COMMUNE, "Lũ quét", "Khẩn cấp! Lũ quét, bà con lên chỗ cao ngay.", priority="emergency"
    )
    fleet = FleetRunner(
        settings.node.model_copy(update={"controller_url": controller.base_url, "playlist_poll_interval_s": 1.0}),
        identities,
        tmp_path / "nodes",
    )
    fleet.start()
    try:
        fleet.wait_connected()
        # Scheduled while it is not yet quiet: in the playlist.
        early = (datetime.now(UTC) + timedelta(seconds=8)).isoformat()
        response = officer.post(
            "/api/v1/broadcasts", {"bulletin_id": normal_id, "commune_code": COMMUNE, "starts_at": early}
        )
        assert response.status_code == 201, response.text
        assert len(officer.get(f"/api/v1/communes/{COMMUNE}/playlist").json()["items"]) == 1

        # Quiet hours now begin a minute ago, for two hours (wall clock in Hà Nội; may cross midnight).
        local_now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
        quiet = {
            "start_time": (local_now - timedelta(minutes=1)).strftime("%H:%M"),
            "end_time": (local_now + timedelta(hours=2)).strftime("%H:%M"),
        }
        response = officer.client.put(f"/api/v1/communes/{COMMUNE}/quiet-hours", json=quiet)
        assert response.status_code == 200, response.text
        # The airing already planned leaves the playlist at once: it will never reach a node.
        assert officer.get(f"/api/v1/communes/{COMMUNE}/playlist").json()["items"] == []

        # A new normal airing is refused, saying why in Vietnamese.
        later = (datetime.now(UTC) + timedelta(seconds=10)).isoformat()
        refused = officer.post(
            "/api/v1/broadcasts", {"bulletin_id": normal_id, "commune_code": COMMUNE, "starts_at": later}
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"] == "quiet_hours"
        assert "giờ yên lặng" in refused.json()["message"] and "chỉ tin khẩn cấp" in refused.json()["message"]

        # An emergency plays regardless, here on one cluster of the two.
        response = officer.post("/api/v1/emergencies", {"bulletin_id": alert_id, "clusters": ["YEN-1"]})
        assert response.status_code == 201, response.text
        assert response.json()[0]["clusters"] == ["YEN-1"]
        emergency = f"e{response.json()[0]['id']}"
        playlog = tmp_path / "nodes" / "YEN-1" / "recordings" / "playlog.jsonl"
        assert wait_until(lambda: len(read_playlog(playlog)) >= 1, 20), "the emergency did not play"
        # Past the normal item's original airtime: it stays silent.
        assert wait_until(lambda: datetime.now(UTC) > datetime.fromisoformat(early) + timedelta(seconds=3), 15)
    finally:
        fleet.stop()
    log = read_playlog(playlog)
    assert [(e["item_id"], e["sha256"]) for e in log] == [(emergency, alert_sha)]
    other = tmp_path / "nodes" / "YEN-2"
    assert read_playlog(other / "recordings" / "playlog.jsonl") == [], "a cluster outside the target played"
    assert not any((other / "cache").glob(f"{alert_sha}.*")), "a cluster outside the target fetched the audio"
