"""Speech to speaker: a previewed, approved bulletin plays as Opus on a current node and as MP3 on a legacy one.

Real mosquitto, real database, real espeak-ng and ffmpeg, the real controller over HTTP, real node agents
(one asking for Opus, one configured with `codec="mp3"`), each with the file sink.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from controller.settings import Settings
from tests.harness import (
    Api,
    ControllerServer,
    FleetRunner,
    setup_commune,
    staff,
    wait_until,
)

pytestmark = pytest.mark.e2e

COMMUNE = "XA-LOA"
START_TOLERANCE_MS = 500


@pytest.mark.one_database("sqlite", why="which rendition a node plays does not depend on the database")
def test_a_legacy_node_plays_the_mp3_rendition_of_the_previewed_speech(
    settings: Settings, controller: ControllerServer, admin: Api, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    current, legacy = setup_commune(admin, "P", COMMUNE, ["CL-OPUS", "CL-MP3"])
    officer, approver = staff(settings, controller.base_url, request, commune=COMMUNE)

    template = settings.node.model_copy(update={"controller_url": controller.base_url})
    fleets = [
        FleetRunner(template, [current], tmp_path / "nodes"),
        FleetRunner(template.model_copy(update={"codec": "mp3"}), [legacy], tmp_path / "nodes"),
    ]
    for fleet in fleets:
        fleet.start()
    try:
        for fleet in fleets:
            fleet.wait_connected()
        created = officer.post(
            "/api/v1/bulletins", {"commune_code": COMMUNE, "title": "Thông báo", "body": "Họp lúc 7h30 tại UBND xã."}
        )
        assert created.status_code == 201, created.text
        bulletin_id = created.json()["id"]
        assert officer.post(f"/api/v1/bulletins/{bulletin_id}/submit").status_code == 200
        preview = approver.post(f"/api/v1/bulletins/{bulletin_id}/preview").json()
        approved = approver.post(f"/api/v1/bulletins/{bulletin_id}/approve").json()
        opus_sha = approved["audio_sha256"]
        assert opus_sha == preview["sha256"] and approved["spoken_text"] == preview["spoken_text"]
        mp3_sha = preview["mp3_sha256"]

        starts_at = datetime.now(UTC) + timedelta(seconds=4)
        response = officer.post(
            "/api/v1/broadcasts",
            {"bulletin_id": bulletin_id, "commune_code": COMMUNE, "starts_at": starts_at.isoformat()},
        )
        assert response.status_code == 201, response.text
        duration_s = preview["duration_ms"] / 1000
        plays_path = f"/api/v1/communes/{COMMUNE}/plays"
        wait_until(lambda: len(officer.get(plays_path).json()) >= 2, timeout_s=4 + duration_s + 20, interval_s=0.25)
        plays = officer.get(plays_path).json()
    finally:
        for fleet in fleets:
            fleet.stop()

    assert sorted((p["asset_sha256"], p["played_sha256"], p["outcome"]) for p in plays) == sorted(
        [(opus_sha, opus_sha, "played"), (mp3_sha, mp3_sha, "played")]
    ), plays
    assert all(abs(int(p["start_error_ms"])) < START_TOLERANCE_MS for p in plays), plays
    assert [p["flag_reason"] for p in plays] == [None, None], "the MP3 rendition is what the legacy node was sent"

    for node, sha, codec in [(current, opus_sha, "opus"), (legacy, mp3_sha, "mp3")]:
        home = tmp_path / "nodes" / node.device_code
        log = [json.loads(line) for line in (home / "recordings" / "playlog.jsonl").read_text().splitlines()]
        assert [entry["sha256"] for entry in log] == [sha], f"{node.device_code} played something else"
        started = datetime.fromisoformat(log[0]["started_at"])
        assert abs((started - starts_at).total_seconds()) * 1000 < START_TOLERANCE_MS
        [played] = [p for p in (home / "recordings").iterdir() if p.suffix != ".jsonl"]
        assert played.suffix == f".{codec}" and hashlib.sha256(played.read_bytes()).hexdigest() == sha
        stored = settings.audio.storage_dir / sha[:2] / f"{sha}.{codec}"
        assert played.read_bytes() == stored.read_bytes()
        assert [p.name for p in (home / "cache").iterdir()] == [f"{sha}.{codec}"], "only the one rendition"
