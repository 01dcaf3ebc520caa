"""A province's bulletin placed once by the province reaches the speakers of every commune of the province,
on time, and no speaker of another province.

Real mosquitto, database, espeak-ng, controller over HTTP and node agents with the file sink.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from controller.settings import Settings
from tests.harness import (
    Api,
    ControllerServer,
    FleetRunner,
    read_playlog,
    setup_commune,
    staff,
    wait_until,
)

pytestmark = pytest.mark.e2e

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
PROVINCE = "TINH-E2E"
COMMUNES = {"XA-DONG": ["DONG-01"], "XA-TAY": ["TAY-01", "TAY-02"]}
ELSEWHERE = ("XA-KHAC", "KHAC-01")
# A node starts an item on its own timer from the playlist it already holds; lateness is its timer's.
ON_TIME_S = 1.0


@pytest.mark.one_database(
    "sqlite", why="airing on time is the nodes' and the broker's; the API tests cover both databases"
)
def test_a_province_program_airs_in_every_commune_of_the_province(
    settings: Settings, controller: ControllerServer, admin: Api, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    identities = [
        node for commune, codes in COMMUNES.items() for node in setup_commune(admin, PROVINCE, commune, codes)
    ]
    identities += setup_commune(admin, "TINH-KHAC", ELSEWHERE[0], [ELSEWHERE[1]])
    officer, approver = staff(settings, controller.base_url, request, province=PROVINCE)
    created = officer.post(
        "/api/v1/bulletins",
        {
            "province_code": PROVINCE,
            "title": "Phòng chống lừa đảo qua mạng",
            "body": "Bà con không chuyển tiền cho người lạ.",
        },
    )
    assert created.status_code == 201, created.text
    bulletin_id = created.json()["id"]
    assert officer.post(f"/api/v1/bulletins/{bulletin_id}/submit").status_code == 200
    approved = approver.post(f"/api/v1/bulletins/{bulletin_id}/approve")
    assert approved.status_code == 200, approved.text
    sha256 = approved.json()["audio_sha256"]

    fleet = FleetRunner(
        settings.node.model_copy(update={"controller_url": controller.base_url, "playlist_poll_interval_s": 600}),
        identities,
        tmp_path / "nodes",
    )
    playlogs = {
        node.device_code: tmp_path / "nodes" / node.device_code / "recordings" / "playlog.jsonl" for node in identities
    }
    fleet.start()
    try:
        fleet.wait_connected()
        # One exact time for every commune, a few seconds ahead (whole seconds: rules are wall-clock times).
        # 8 s: the placement (two communes checked and published) and the nodes' downloads come first.
        at = (datetime.now(ZONE) + timedelta(seconds=8)).replace(microsecond=0)
        placed = officer.post(
            f"/api/v1/provinces/{PROVINCE}/programs",
            {
                "title": "Cảnh báo lừa đảo",
                "items": [{"kind": "bulletin", "bulletin_id": bulletin_id}],
                "rule": {"pattern": "once", "day": at.date().isoformat(), "at": at.time().isoformat()},
            },
        )
        assert placed.status_code == 201, placed.text
        assert sorted(part["commune_code"] for part in placed.json()["parts"]) == sorted(COMMUNES)
        province_nodes = [code for codes in COMMUNES.values() for code in codes]
        assert wait_until(lambda: all(read_playlog(playlogs[code]) for code in province_nodes), 40, interval_s=0.25), {
            code: read_playlog(path) for code, path in playlogs.items()
        }
        # The parts go to the province's communes only: a node of another province never plays it.
        assert wait_until(lambda: datetime.now(ZONE) > at + timedelta(seconds=2), 10)
    finally:
        fleet.stop()

    lateness = {}
    for code in province_nodes:
        (play,) = read_playlog(playlogs[code])
        assert play["sha256"] == sha256 and play["interrupted"] is False
        lateness[code] = late_s = (datetime.fromisoformat(play["started_at"]) - at).total_seconds()
        assert -0.1 < late_s < ON_TIME_S, f"{code} started {late_s:.2f} s after {at.time()}"
    print("started after the province program's time:", {code: f"{s:.3f} s" for code, s in lateness.items()})
    assert read_playlog(playlogs[ELSEWHERE[1]]) == []
