"""Emergency pre-emption: a node playing a long normal item switches to the emergency within 2 s of the
order being issued, and the interrupted item then follows its policy (here: resume where it stopped).

Real mosquitto, database, espeak-ng, controller over HTTP and node agents with the file sink.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

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

COMMUNE = "XA-KHAN"
CLUSTERS = ["KH-01", "KH-02"]
SWITCH_LIMIT_S = 2.0
LONG_BODY = (
    "Kính thưa bà con! Ủy ban nhân dân xã thông báo lịch tiêm phòng cho gia súc, gia cầm trong tháng này. "
    "Các hộ chăn nuôi đưa vật nuôi đến điểm tiêm tại nhà văn hóa thôn vào buổi sáng."
)


@pytest.mark.one_database("sqlite", why="pre-emption timing is the nodes' and the broker's; the database plays no part")
def test_emergency_preempts_a_playing_item_which_then_resumes(
    settings: Settings, controller: ControllerServer, admin: Api, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    identities = setup_commune(admin, "QUANG-NAM", COMMUNE, CLUSTERS)
    officer, approver = staff(settings, controller.base_url, request, commune=COMMUNE)
    normal_id, normal_sha = approved_bulletin(officer, approver, COMMUNE, "Lịch tiêm phòng", LONG_BODY)
    alert_id, alert_sha = approved_bulletin(
        officer, approver, COMMUNE, "Bão số 5", "Khẩn cấp! Bão đổ bộ, bà con vào nơi trú ẩn.", priority="emergency"
    )
    # A normal bulletin cannot be issued as an emergency.
    refused = officer.post("/api/v1/emergencies", {"bulletin_id": normal_id, "commune_code": COMMUNE})
    assert refused.status_code == 422 and refused.json()["error"] == "not_emergency", refused.text

    fleet = FleetRunner(
        settings.node.model_copy(update={"controller_url": controller.base_url, "playlist_poll_interval_s": 600}),
        identities,
        tmp_path / "nodes",
    )
    fleet.start()
    try:
        fleet.wait_connected()
        # Nodes pull after a random wait of up to 3 s (`notice_jitter_s`), then fetch the audio: 8 s leaves
        # room for that on a loaded CI machine (4 s once missed it).
        starts_at = datetime.now(UTC) + timedelta(seconds=8)
        response = officer.post(
            "/api/v1/broadcasts",
            {
                "bulletin_id": normal_id,
                "commune_code": COMMUNE,
                "starts_at": starts_at.isoformat(),
                "on_interrupt": "resume",
            },
        )
        assert response.status_code == 201, response.text
        item = f"b{response.json()['id']}"
        duration_s = officer.get(f"/api/v1/communes/{COMMUNE}/playlist").json()["items"][0]["duration_ms"] / 1000
        assert duration_s > 7, "the normal item must be long enough to be interrupted"
        assert wait_until(lambda: all(item in a.on_air for a in fleet.fleet.agents), 15), "not playing"
        assert wait_until(lambda: datetime.now(UTC) > starts_at + timedelta(seconds=2), 5)

        response = officer.post("/api/v1/emergencies", {"bulletin_id": alert_id, "commune_code": COMMUNE})
        issued = datetime.now(UTC)
        assert response.status_code == 201, response.text
        (order,) = response.json()
        assert order["commune_code"] == COMMUNE and order["clusters"] is None
        emergency = f"e{order['id']}"

        def delivered() -> bool:
            return all(
                a.playlist is not None and emergency in [i.item_id for i in a.playlist.items]
                for a in fleet.fleet.agents
            )

        # Every node has the emergency (playlist and audio) before it is due to start.
        assert wait_until(delivered, SWITCH_LIMIT_S, interval_s=0.01)
        delivery_s = (datetime.now(UTC) - issued).total_seconds()
        assert datetime.now(UTC) < datetime.fromisoformat(order["starts_at"]), f"delivered after {delivery_s:.2f} s"

        playlogs = {code: tmp_path / "nodes" / code / "recordings" / "playlog.jsonl" for code in CLUSTERS}
        rest = f"{item}~rest"
        assert wait_until(
            lambda: all(rest in [e["item_id"] for e in read_playlog(p)] for p in playlogs.values()),
            duration_s + 30,
            interval_s=0.25,
        ), {code: read_playlog(p) for code, p in playlogs.items()}
        plays_path = f"/api/v1/communes/{COMMUNE}/plays"
        assert wait_until(lambda: len(officer.get(plays_path).json()) == 3 * len(CLUSTERS), 10)
        plays = officer.get(plays_path).json()
    finally:
        fleet.stop()

    switches = []
    for code, path in playlogs.items():
        log = read_playlog(path)
        assert [e["item_id"] for e in log] == [item, emergency, rest], f"{code}: {log}"
        cut, alert, resumed = log
        assert cut["interrupted"] is True and cut["sha256"] == normal_sha
        assert alert["sha256"] == alert_sha and alert["interrupted"] is False
        alert_start = datetime.fromisoformat(alert["started_at"])
        switch_s = (alert_start - issued).total_seconds()
        switches.append(switch_s)
        assert switch_s < SWITCH_LIMIT_S, f"{code} switched {switch_s:.2f} s after the order"
        # The normal item stopped when the emergency began, not before and not after.
        assert abs((datetime.fromisoformat(cut["ended_at"]) - alert_start).total_seconds()) < 0.3
        # Resume: the rest of the same audio, from where it stopped, right after the emergency.
        played_ms = (datetime.fromisoformat(cut["ended_at"]) - datetime.fromisoformat(cut["started_at"])) / timedelta(
            milliseconds=1
        )
        assert resumed["sha256"] == normal_sha and abs(resumed["offset_ms"] - played_ms) < 300
        # It follows the emergency (scheduled back to back; sleeps overshoot by a few ms).
        gap_s = (
            datetime.fromisoformat(resumed["started_at"]) - datetime.fromisoformat(alert["ended_at"])
        ).total_seconds()
        assert -0.1 < gap_s < 0.5
    print(
        f"emergency delivered to every node {delivery_s:.2f} s after the order; switches after the order: "
        f"{', '.join(f'{s:.2f} s' for s in switches)}"
    )
    outcomes = sorted((p["item_id"], p["outcome"]) for p in plays)
    expected = sorted([(item, "interrupted"), (emergency, "played"), (rest, "played")] * len(CLUSTERS))
    assert outcomes == expected
    # The interrupted item, the emergency and the resumed rest: each was sent to these nodes.
    assert {p["flag_reason"] for p in plays} == {None}
