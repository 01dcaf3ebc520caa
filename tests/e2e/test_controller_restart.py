"""Restart safety: the controller process is killed with SIGKILL around publications and airtimes and
restarted; every scheduled item still airs exactly once on every node, none lost, none duplicated.

The horizon and the publication lead are seconds here, so every item reaches the nodes only through a
persistent APScheduler job (or the start-up pass after a restart), never at the moment it is scheduled.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from controller.accounts import Role
from controller.db import make_engine, session_factory
from controller.settings import Settings
from devices.proof_of_play import PlayRecord
from devices.registry import Device
from tests.harness import (
    ControllerProcess,
    FleetRunner,
    add_user_directly,
    approved_bulletin,
    controller_env,
    login,
    read_playlog,
    setup_commune,
    wait_until,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

COMMUNE = "XA-BEN"
CLUSTERS = ["BEN-1", "BEN-2", "BEN-3"]
HORIZON_S = 16.0  # nodes see 16 s ahead: nothing scheduled later reaches them when it is created
LEAD_S = 12.0  # each item is published 12 s before it airs, by its commune's publication job
# A restart takes about 5 s on 2 busy cores; the lead leaves room for that and for the audio download.
FIRST_S, SPACING_S, ITEMS = 30.0, 12.0, 4


def reached(moment: datetime) -> Callable[[], bool]:
    return lambda: datetime.now(UTC) >= moment


@pytest.mark.one_database("postgresql", why="the scale-out database; the test takes over a minute")
def test_kill_and_restart_loses_and_duplicates_nothing(settings: Settings, broker: object, tmp_path: Path) -> None:
    env = controller_env(settings) | {
        "LOAXA_SCHEDULER__PLAYLIST_HORIZON_H": str(HORIZON_S / 3600),
        "LOAXA_SCHEDULER__PUBLISH_LEAD_MIN": str(LEAD_S / 60),
        "LOAXA_SCHEDULER__REPUBLISH_INTERVAL_S": "3600",
        "LOAXA_SCHEDULER__MISFIRE_GRACE_S": "60",
    }
    controller = ControllerProcess(env, tmp_path)
    controller.start()
    fleet: FleetRunner | None = None
    try:
        add_user_directly(settings, "admin", Role.ADMIN, "admin-password-1")
        admin = login(controller.base_url, "admin", "admin-password-1")
        identities = setup_commune(admin, "BEN-TRE", COMMUNE, CLUSTERS)
        add_user_directly(settings, "canbo", Role.OFFICER, "officer-pass-1", commune_codes=[COMMUNE])
        add_user_directly(settings, "duyet", Role.APPROVER, "approver-pass-1", commune_codes=[COMMUNE])
        officer = login(controller.base_url, "canbo", "officer-pass-1")
        approver = login(controller.base_url, "duyet", "approver-pass-1")
        bulletin_id, _ = approved_bulletin(officer, approver, COMMUNE, "Tin ngắn", "Xin chào bà con.")
        fleet = FleetRunner(
            # No polling: only the controller's notices (live, or re-announced at start-up) bring playlists.
            settings.node.model_copy(update={"controller_url": controller.base_url, "playlist_poll_interval_s": 600}),
            identities,
            tmp_path / "nodes",
        )
        fleet.start()
        fleet.wait_connected()

        t0 = datetime.now(UTC)
        airtimes = [t0 + timedelta(seconds=FIRST_S + k * SPACING_S) for k in range(ITEMS)]
        items = []
        for starts_at in airtimes:
            response = officer.post(
                "/api/v1/broadcasts",
                {"bulletin_id": bulletin_id, "commune_code": COMMUNE, "starts_at": starts_at.isoformat()},
            )
            assert response.status_code == 201, response.text
            items.append(f"b{response.json()['id']}")
        assert officer.get(f"/api/v1/communes/{COMMUNE}/playlist").json()["items"] == [], "published too early"
        for api in (admin, officer, approver):
            api.client.close()

        lead = timedelta(seconds=LEAD_S)
        kills = [
            (airtimes[0] - lead - timedelta(seconds=0.5), 1.0),  # just before item 1's publication job
            (airtimes[1] + timedelta(seconds=0.5), 2.0),  # while item 2 is on air
            (airtimes[3] - lead + timedelta(seconds=0.05), 1.0),  # while item 4's publication job runs
        ]
        for moment, down_s in kills:
            assert wait_until(reached(moment), 60, interval_s=0.01)
            controller.kill()
            assert wait_until(reached(moment + timedelta(seconds=down_s)), 10)
            controller.start()

        playlogs = [tmp_path / "nodes" / code / "recordings" / "playlog.jsonl" for code in CLUSTERS]
        last = items[-1]
        assert wait_until(
            lambda: all(last in [e["item_id"] for e in read_playlog(p)] for p in playlogs), 60, interval_s=0.25
        ), [read_playlog(p) for p in playlogs]
        engine = make_engine(settings.database)
        sessions = session_factory(engine)

        def play_records() -> list[tuple[PlayRecord, Device]]:
            # A fresh session each time: one long read transaction would keep seeing the same snapshot.
            with sessions() as session:
                rows = session.exec(select(PlayRecord, Device).where(PlayRecord.device_id == Device.id)).all()
                return [(record, device) for record, device in rows]

        assert wait_until(lambda: len(play_records()) >= ITEMS * len(CLUSTERS), 60, interval_s=0.25)
        records = play_records()
        engine.dispose()
    finally:
        if fleet is not None:
            fleet.stop()
        controller.stop()

    for path in playlogs:
        played = [e["item_id"] for e in read_playlog(path)]
        assert played == items, f"{path.parent.parent.name}: {played}"
        for entry, starts_at in zip(read_playlog(path), airtimes, strict=True):
            assert abs((datetime.fromisoformat(entry["started_at"]) - starts_at).total_seconds()) < 0.5
    per_node_item = Counter((device.code, record.item_id) for record, device in records)
    assert per_node_item == Counter({(code, item): 1 for code in CLUSTERS for item in items})
    assert all(record.outcome == "played" for record, _ in records)
    print(
        f"restart test: {controller.starts - 1} kills, {len(records)} plays of {ITEMS} items on {len(CLUSTERS)} nodes"
    )
