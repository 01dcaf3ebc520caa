"""An emergency for one cluster of a commune: that node switches to it within 2 s of the order, and the
other node keeps playing the normal item to its end, uninterrupted, and never plays the emergency.

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

COMMUNE = "XA-HAI-THON"
TARGETED, OTHER = "HT-01", "HT-02"
SWITCH_LIMIT_S = 2.0
LONG_BODY = (
    "Kính thưa bà con! Ủy ban nhân dân xã thông báo lịch tiêm phòng cho gia súc, gia cầm trong tháng này. "
    "Các hộ chăn nuôi đưa vật nuôi đến điểm tiêm tại nhà văn hóa thôn vào buổi sáng."
)


@pytest.mark.one_database("sqlite", why="pre-emption timing is the nodes' and the broker's; the database plays no part")
def test_an_emergency_for_one_cluster_leaves_the_other_playing(
    settings: Settings, controller: ControllerServer, admin: Api, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    identities = setup_commune(admin, "QUANG-NAM", COMMUNE, [TARGETED, OTHER])
    officer, approver = staff(settings, controller.base_url, request, commune=COMMUNE)
    normal_id, normal_sha = approved_bulletin(officer, approver, COMMUNE, "Lịch tiêm phòng", LONG_BODY)
    alert_id, alert_sha = approved_bulletin(
        officer, approver, COMMUNE, "Lũ quét", "Khẩn cấp! Nước lũ lên nhanh ở thôn Bãi.", priority="emergency"
    )

    fleet = FleetRunner(
        settings.node.model_copy(update={"controller_url": controller.base_url, "playlist_poll_interval_s": 600}),
        identities,
        tmp_path / "nodes",
    )
    playlogs = {code: tmp_path / "nodes" / code / "recordings" / "playlog.jsonl" for code in (TARGETED, OTHER)}
    fleet.start()
    try:
        fleet.wait_connected()
        starts_at = datetime.now(UTC) + timedelta(seconds=4)
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
        assert wait_until(lambda: all(item in a.on_air for a in fleet.fleet.agents), 10), "not playing"
        assert wait_until(lambda: datetime.now(UTC) > starts_at + timedelta(seconds=2), 5)

        response = officer.post("/api/v1/emergencies", {"bulletin_id": alert_id, "clusters": [TARGETED]})
        issued = datetime.now(UTC)
        assert response.status_code == 201, response.text
        (order,) = response.json()
        assert order["commune_code"] == COMMUNE and order["clusters"] == [TARGETED]
        emergency, rest = f"e{order['id']}", f"{item}~rest"
        # Each node's copy of the playlist: the targeted one gets the emergency, the other never does.
        agents = {a.code: a for a in fleet.fleet.agents}
        targeted = agents[TARGETED]
        assert wait_until(
            lambda: targeted.playlist is not None and emergency in [i.item_id for i in targeted.playlist.items],
            SWITCH_LIMIT_S,
            interval_s=0.01,
        )
        assert wait_until(
            lambda: (
                rest in [e["item_id"] for e in read_playlog(playlogs[TARGETED])]
                and item in [e["item_id"] for e in read_playlog(playlogs[OTHER])]
            ),
            duration_s + 20,
            interval_s=0.25,
        ), {code: read_playlog(p) for code, p in playlogs.items()}
        plays_path = f"/api/v1/communes/{COMMUNE}/plays"
        assert wait_until(lambda: len(officer.get(plays_path).json()) == 4, 10)
        plays = officer.get(plays_path).json()
        other_playlist = agents[OTHER].playlist
    finally:
        fleet.stop()

    cut, alert, resumed = read_playlog(playlogs[TARGETED])
    assert [cut["item_id"], alert["item_id"], resumed["item_id"]] == [item, emergency, rest]
    assert cut["interrupted"] is True and alert["sha256"] == alert_sha and resumed["sha256"] == normal_sha
    switch_s = (datetime.fromisoformat(alert["started_at"]) - issued).total_seconds()
    assert switch_s < SWITCH_LIMIT_S, f"{TARGETED} switched {switch_s:.2f} s after the order"

    # The other node: the normal item, once, whole, as if no emergency had been issued.
    (whole,) = read_playlog(playlogs[OTHER])
    assert whole["item_id"] == item and whole["sha256"] == normal_sha and whole["interrupted"] is False
    played_s = (datetime.fromisoformat(whole["ended_at"]) - datetime.fromisoformat(whole["started_at"])).total_seconds()
    assert abs(played_s - duration_s) < 0.5, f"{OTHER} played {played_s:.2f} s of {duration_s:.2f} s"
    assert other_playlist is not None
    assert [i.item_id for i in other_playlist.items if i.is_for(OTHER)] == [item]
    print(f"{TARGETED} switched {switch_s:.2f} s after the order; {OTHER} played the whole {played_s:.2f} s item")

    # Proof of play, per node: the targeted one aired the cut, the emergency and the rest; the other, the whole item.
    by_device: dict[int, list[tuple[str, str]]] = {}
    for play in plays:
        by_device.setdefault(play["device_id"], []).append((play["item_id"], play["outcome"]))
    assert sorted(sorted(outcomes) for outcomes in by_device.values()) == sorted(
        [sorted([(item, "interrupted"), (emergency, "played"), (rest, "played")]), [(item, "played")]]
    )
