"""A relay of an external stream, end to end: a local Icecast carries a known tone fed by ffmpeg; the
commune's slot relays it; the nodes record what their horns received, bridge a drop of the source in the
middle and report it, and an emergency cuts in, after which the relay goes on until the slot's end.

Real Icecast, ffmpeg (the station's encoder and the nodes' decoder), mosquitto, database, espeak-ng, the
controller over HTTP and node agents with the file sink.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from controller.settings import Settings
from devices.icecast import IcecastServer
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
from tests.tone_source import ToneSource, read_wav, tone_windows

pytestmark = pytest.mark.e2e

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
COMMUNE = "XA-TIEP-SONG"
CLUSTERS = ["TS-01", "TS-02"]
SLOT_S = 22
# The drop: the station's encoder stops this long after the slot's start, and comes back after DOWN_S.
DROP_AT_S, DOWN_S = 4.0, 3.0
# The emergency is ordered this long after the start (after the drop is bridged).
EMERGENCY_AT_S = 12.0
ON_TIME_S = 0.5


@pytest.mark.one_database("sqlite", why="relaying is the nodes', Icecast's and the broker's; no database subject")
def test_nodes_relay_a_stream_through_a_drop_and_an_emergency(
    settings: Settings,
    controller: ControllerServer,
    admin: Api,
    icecast: IcecastServer,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    identities = setup_commune(admin, "TINH-TS", COMMUNE, CLUSTERS)
    officer, approver = staff(settings, controller.base_url, request, commune=COMMUNE)
    alert_id, alert_sha = approved_bulletin(
        officer, approver, COMMUNE, "Lũ về", "Khẩn cấp! Nước lũ lên nhanh.", priority="emergency"
    )
    station = ToneSource(icecast, "/vov1.mp3")
    station.start()
    request.addfinalizer(station.stop)
    source = admin.post("/api/v1/streams", {"name": "VOV1", "url": station.url})
    assert source.status_code == 201, source.text

    node_settings = settings.node.model_copy(
        update={
            "controller_url": controller.base_url,
            "playlist_poll_interval_s": 600,
            "relay_reconnect_min_s": 0.2,
            "relay_reconnect_max_s": 1.0,
            "relay_stall_timeout_s": 2.0,
        }
    )
    fleet = FleetRunner(node_settings, identities, tmp_path / "nodes")
    playlogs = {code: tmp_path / "nodes" / code / "recordings" / "playlog.jsonl" for code in CLUSTERS}
    fleet.start()
    try:
        fleet.wait_connected()
        # A slot a few seconds ahead (placement, publication and the nodes' pull come first), filled by
        # the relay from its start to its end.
        start = (datetime.now(ZONE) + timedelta(seconds=7)).replace(microsecond=0)
        end = start + timedelta(seconds=SLOT_S)
        slot = officer.post(
            f"/api/v1/communes/{COMMUNE}/slots",
            {"name": "Thời sự", "start_time": start.time().isoformat(), "end_time": end.time().isoformat()},
        )
        assert slot.status_code == 201, slot.text
        program = officer.post(
            "/api/v1/programs",
            {
                "commune_code": COMMUNE,
                "title": "Tiếp sóng VOV1",
                "items": [{"kind": "relay", "stream_source_id": source.json()["id"], "duration_ms": SLOT_S * 1000}],
            },
        )
        assert program.status_code == 201, program.text
        rule = officer.post(
            f"/api/v1/programs/{program.json()['id']}/rules",
            {"pattern": "once", "day": start.date().isoformat(), "slot_id": slot.json()["id"]},
        )
        assert rule.status_code == 201, rule.text
        (item,) = officer.get(f"/api/v1/communes/{COMMUNE}/playlist").json()["items"]
        relay_id = item["item_id"]
        assert item["stream"]["url"] == station.url and item["duration_ms"] == SLOT_S * 1000

        # The drop in the middle, then the emergency.
        assert wait_until(lambda: datetime.now(ZONE) >= start + timedelta(seconds=DROP_AT_S), 20, interval_s=0.02)
        assert all(relay_id in agent.on_air for agent in fleet.fleet.agents)
        station.stop()
        time.sleep(DOWN_S)
        station.start()
        assert wait_until(lambda: datetime.now(ZONE) >= start + timedelta(seconds=EMERGENCY_AT_S), 10)
        ordered = officer.post("/api/v1/emergencies", {"bulletin_id": alert_id, "commune_code": COMMUNE})
        assert ordered.status_code == 201, ordered.text
        emergency = f"e{ordered.json()[0]['id']}"
        rest = f"{relay_id}~rest"
        assert wait_until(
            lambda: all(rest in [e["item_id"] for e in read_playlog(p)] for p in playlogs.values()),
            SLOT_S + 5,
            interval_s=0.25,
        ), {code: read_playlog(p) for code, p in playlogs.items()}
        plays_path = f"/api/v1/communes/{COMMUNE}/plays"
        assert wait_until(lambda: len(officer.get(plays_path).json()) == 3 * len(CLUSTERS), 10)
        plays = officer.get(plays_path).json()
    finally:
        fleet.stop()

    for code, path in playlogs.items():
        log = read_playlog(path)
        assert [e["item_id"] for e in log] == [relay_id, emergency, rest], f"{code}: {log}"
        cut, alert, resumed = log
        assert alert["sha256"] == alert_sha
        # On air from the slot's start to its end: the relay, the emergency within it, the relay again.
        assert abs((datetime.fromisoformat(cut["started_at"]) - start).total_seconds()) < ON_TIME_S
        assert abs((datetime.fromisoformat(resumed["ended_at"]) - end).total_seconds()) < ON_TIME_S
        assert cut["interrupted"] is True and resumed["interrupted"] is False
        alert_start = datetime.fromisoformat(alert["started_at"])
        assert abs((datetime.fromisoformat(cut["ended_at"]) - alert_start).total_seconds()) < 0.3
        gap_s = datetime.fromisoformat(resumed["started_at"]) - datetime.fromisoformat(alert["ended_at"])
        assert -0.1 < gap_s.total_seconds() < 0.5
        # What the horns received: the tone from the start, a gap where the station was down, the tone again.
        heard = tone_windows(read_wav(path.parent / cut["recording"]))
        marks = "".join("T" if w else "." for w in heard)
        assert all(heard[:35]), f"{code}: {marks}"  # the first 3.5 s: the station was still on air
        assert "." * 15 in marks and marks.endswith("T" * 10), f"{code}: {marks}"
        after = tone_windows(read_wav(path.parent / resumed["recording"]))
        assert sum(after) >= len(after) - 10, f"{code}: {after}"

        resumed_marks = "".join("T" if w else "." for w in after)
        print(f"{code} heard (100 ms each; T: the tone): {marks} | emergency | {resumed_marks}")
    relays = [p for p in plays if p["item_id"] == relay_id]
    rests = [p for p in plays if p["item_id"] == rest]
    assert len(relays) == len(rests) == len(CLUSTERS)
    for play in relays:
        assert play["outcome"] == "interrupted" and play["flag_reason"] is None, play
        (gap,) = play["interruptions"]
        assert gap["filled"] == "silence" and 1500 <= gap["duration_ms"] <= 6000, gap
        drop_at = datetime.fromisoformat(gap["at"])
        assert start + timedelta(seconds=DROP_AT_S) < drop_at < start + timedelta(seconds=DROP_AT_S + 3), gap
        aired_ms = (datetime.fromisoformat(play["ended_at"]) - datetime.fromisoformat(play["started_at"])) / timedelta(
            milliseconds=1
        )
        assert aired_ms - gap["duration_ms"] - 1000 <= play["relayed_ms"] <= aired_ms - gap["duration_ms"] + 300, play
        print(f"relayed {play['relayed_ms']} ms, interruption {gap}")
    for play in rests:
        assert play["outcome"] == "played" and play["flag_reason"] is None and play["interruptions"] == [], play
        assert play["relayed_ms"] >= 0.9 * (
            datetime.fromisoformat(play["ended_at"]) - datetime.fromisoformat(play["started_at"])
        ) / timedelta(milliseconds=1)
