"""A bulletin in Vietnamese and Khmer, from writing to approval to both versions aired in order on a node.

Real mosquitto, database, espeak-ng (the Vietnamese speech), ffmpeg (the Khmer recording through the audio
chain), controller over HTTP and a node agent with the file sink.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from controller.settings import Settings
from tests.controller.test_web_bulletins import tone_wav
from tests.harness import Api, ControllerServer, FleetRunner, read_playlog, setup_commune, staff, wait_until

pytestmark = pytest.mark.e2e

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.one_database("sqlite", why="airing in order is the nodes'; the API tests cover both databases")
def test_both_versions_air_in_order_vietnamese_first(
    settings: Settings, controller: ControllerServer, admin: Api, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    identities = setup_commune(admin, "TINH", "XA-SONG-NGU", ["SN-01"])
    officer, approver = staff(settings, controller.base_url, request, commune="XA-SONG-NGU")
    created = officer.post(
        "/api/v1/bulletins",
        {"commune_code": "XA-SONG-NGU", "title": "Họp dân", "body": "Mời bà con dự họp tối nay."},
    )
    assert created.status_code == 201, created.text
    bulletin_id = created.json()["id"]
    version = f"/api/v1/bulletins/{bulletin_id}/translations/km"
    assert officer.client.put(version, json={"title": "ប្រជុំ"}).status_code == 201
    recorded = officer.client.put(f"{version}/recording", content=tone_wav(2.0))
    assert recorded.status_code == 200, recorded.text
    assert officer.post(f"/api/v1/bulletins/{bulletin_id}/submit").status_code == 200
    approved = approver.post(f"/api/v1/bulletins/{bulletin_id}/approve")
    assert approved.status_code == 200, approved.text
    vietnamese = approved.json()["audio_sha256"]
    khmer = officer.get(version).json()["approved_sha256"]
    assert khmer and khmer != vietnamese

    fleet = FleetRunner(
        settings.node.model_copy(update={"controller_url": controller.base_url, "playlist_poll_interval_s": 600}),
        identities,
        tmp_path / "nodes",
    )
    playlog = tmp_path / "nodes" / "SN-01" / "recordings" / "playlog.jsonl"
    fleet.start()
    try:
        fleet.wait_connected()
        # A few seconds ahead (whole seconds: rules are wall-clock times), time for publication and downloads.
        at = (datetime.now(ZONE) + timedelta(seconds=8)).replace(microsecond=0)
        program = officer.post(
            "/api/v1/programs",
            {"commune_code": "XA-SONG-NGU", "title": "Họp dân", "items": [{"bulletin_id": bulletin_id}]},
        )
        assert program.status_code == 201, program.text
        rule = {"pattern": "once", "day": at.date().isoformat(), "at": at.time().isoformat()}
        placed = officer.post(f"/api/v1/programs/{program.json()['id']}/rules", rule)
        assert placed.status_code == 201, placed.text
        assert wait_until(lambda: len(read_playlog(playlog)) >= 2, 60, interval_s=0.25), read_playlog(playlog)
    finally:
        fleet.stop()

    first, second = read_playlog(playlog)
    assert (first["sha256"], second["sha256"]) == (vietnamese, khmer)
    assert not first["interrupted"] and not second["interrupted"]
    assert datetime.fromisoformat(second["started_at"]) >= datetime.fromisoformat(first["ended_at"])
    plays = officer.get("/api/v1/communes/XA-SONG-NGU/plays").json()
    assert {play["asset_sha256"] for play in plays} >= {vietnamese, khmer}
