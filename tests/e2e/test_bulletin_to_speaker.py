"""The foundation slice: an approved bulletin travels from an officer to three speaker clusters.

Real mosquitto, real database, real espeak-ng and ffmpeg, the real controller over HTTP, real node agents.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from controller.settings import Settings
from tests.harness import Api, ControllerServer, FleetRunner, setup_commune, staff, wait_until

pytestmark = pytest.mark.e2e

COMMUNE = "XA-TAN-AN"
CLUSTERS = ["CL-01", "CL-02", "CL-03"]
START_TOLERANCE_MS = 500


def _bulletin(officer: Api, title: str, body: str) -> int:
    response = officer.post(
        "/api/v1/bulletins",
        {
            "commune_code": COMMUNE,
            "title": title,
            "body": body,
            "topic": "an toàn giao thông",
            "legal_refs": ["Nghị định 168/2024/NĐ-CP"],
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "draft"
    return int(response.json()["id"])


def test_approved_bulletin_plays_on_every_cluster_and_nothing_else_does(
    settings: Settings, controller: ControllerServer, admin: Api, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    identities = setup_commune(admin, "LONG-AN", COMMUNE, CLUSTERS)
    assert len({i.password for i in identities}) == 3, "each cluster has its own password"
    officer, approver = staff(settings, controller.base_url, request, commune=COMMUNE)

    fleet = FleetRunner(
        settings.node.model_copy(
            # No polling during the test: the retained MQTT notice alone must bring the new playlist.
            update={"controller_url": controller.base_url, "playlist_poll_interval_s": 600}
        ),
        identities,
        tmp_path / "nodes",
    )
    fleet.start()
    try:
        fleet.wait_connected()
        assert wait_until(lambda: admin.get("/api/v1/fleet/summary").json()["online"] == 3, 30)
        assert admin.get("/api/v1/fleet/summary").json() == {
            "total": 3,
            "online": 3,
            "degraded": 0,
            "offline": 0,
            "unknown": 0,
        }

        approved = _bulletin(
            officer,
            "Không lái xe khi đã uống rượu, bia",
            "Kính thưa bà con! Đã uống rượu, bia thì không lái xe.",
        )
        draft = _bulletin(officer, "Bản nháp", "Bản tin này chưa gửi duyệt.")
        pending = _bulletin(officer, "Chờ duyệt", "Bản tin này đang chờ duyệt.")
        rejected = _bulletin(officer, "Bị từ chối", "Bản tin này bị từ chối.")
        for bulletin_id in (approved, pending, rejected):
            assert officer.post(f"/api/v1/bulletins/{bulletin_id}/submit").status_code == 200

        # Only an approver approves; the author's role cannot.
        denied = officer.post(f"/api/v1/bulletins/{approved}/approve")
        assert denied.status_code == 403 and denied.json()["error"] == "forbidden"
        response = approver.post(f"/api/v1/bulletins/{rejected}/reject", {"reason": "Sai căn cứ pháp lý"})
        assert response.status_code == 200 and response.json()["status"] == "rejected"
        response = approver.post(f"/api/v1/bulletins/{approved}/approve")
        assert response.status_code == 200, response.text
        asset_sha = response.json()["audio_sha256"]
        assert response.json()["status"] == "approved" and len(asset_sha) == 64

        # Nothing unapproved can be scheduled.
        soon = (datetime.now(UTC) + timedelta(seconds=30)).isoformat()
        for bulletin_id in (draft, pending, rejected):
            refused = officer.post(
                "/api/v1/broadcasts", {"bulletin_id": bulletin_id, "commune_code": COMMUNE, "starts_at": soon}
            )
            assert refused.status_code == 409 and refused.json()["error"] == "not_approved", refused.text

        starts_at = datetime.now(UTC) + timedelta(seconds=4)
        response = officer.post(
            "/api/v1/broadcasts",
            {"bulletin_id": approved, "commune_code": COMMUNE, "starts_at": starts_at.isoformat()},
        )
        assert response.status_code == 201, response.text

        playlist = officer.get(f"/api/v1/communes/{COMMUNE}/playlist").json()
        assert [item["asset_sha256"] for item in playlist["items"]] == [asset_sha]
        duration_s = playlist["items"][0]["duration_ms"] / 1000

        plays_path = f"/api/v1/communes/{COMMUNE}/plays"
        wait_until(lambda: len(officer.get(plays_path).json()) >= 3, timeout_s=4 + duration_s + 20, interval_s=0.25)
        plays = officer.get(plays_path).json()
    finally:
        fleet.stop()

    assert len(plays) == 3, plays
    assert {p["device_id"] for p in plays} and len({p["device_id"] for p in plays}) == 3
    for play in plays:
        assert play["outcome"] == "played" and play["flag_reason"] is None  # proof of play, not suspect
        assert play["asset_sha256"] == play["played_sha256"] == asset_sha
        assert abs(int(str(play["start_error_ms"]))) < START_TOLERANCE_MS, play

    stored = (settings.audio.storage_dir / asset_sha[:2] / f"{asset_sha}.opus").read_bytes()
    for code in CLUSTERS:
        recordings = tmp_path / "nodes" / code / "recordings"
        log = [json.loads(line) for line in (recordings / "playlog.jsonl").read_text().splitlines()]
        assert [entry["sha256"] for entry in log] == [asset_sha], f"{code} played something else"
        started = datetime.fromisoformat(log[0]["started_at"])
        assert abs((started - starts_at).total_seconds()) * 1000 < START_TOLERANCE_MS
        played_files = [p for p in recordings.iterdir() if p.suffix == ".opus"]
        assert len(played_files) == 1
        assert hashlib.sha256(played_files[0].read_bytes()).hexdigest() == asset_sha
        assert played_files[0].read_bytes() == stored
        # Nothing but the approved audio ever reached the node's cache.
        cached = [p.name for p in (tmp_path / "nodes" / code / "cache").iterdir()]
        assert cached == [f"{asset_sha}.opus"]
