"""A CAP alert end to end: the simulated source's Actual alert for one district's geocode becomes, once a
provincial officer confirms it, an emergency on exactly that district's communes' clusters, which play it;
a Test alert airs nothing; the source's Cancel cuts the emergency off the air.

Real processes: mosquitto, `loaxa serve`, simulated nodes in three communes (two in district 801), and the
simulated source system (`source_sim`) pushing CAP XML over HTTP.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.accounts import Role
from controller.settings import Settings
from source_sim import SourceSystemSim
from tests.controller.test_cap_api import loaxa
from tests.harness import (
    ControllerProcess,
    FleetRunner,
    add_user_directly,
    controller_env,
    login,
    read_playlog,
    setup_commune,
    wait_until,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

# Long enough (about 20 s of speech) to be on air when the Cancel arrives.
DESCRIPTION = (
    "Mưa lớn kéo dài trên thượng nguồn làm nước sông Vàm Cỏ Đông dâng nhanh, có nguy cơ lũ quét và sạt lở "
    "đất ven sông trong những giờ tới, nhất là các thôn ven kênh và khu vực trũng thấp của hai xã."
)
INSTRUCTION = "Bà con di chuyển người già, trẻ em lên vùng cao, không đi qua ngầm tràn, giữ liên lạc với tổ trưởng."


@pytest.mark.one_database("sqlite", why="processes and HTTP are the subject; the alert's SQL runs on both elsewhere")
def test_a_district_alert_airs_on_its_communes_after_confirmation_and_a_cancel_ends_it(
    settings: Settings, broker: object, tmp_path: Path
) -> None:
    controller = ControllerProcess(controller_env(settings), tmp_path)
    controller.start()
    source = SourceSystemSim(tmp_path / "source", "PCTT-P", loaxa_url=controller.base_url)
    source.start()
    fleet: FleetRunner | None = None
    try:
        add_user_directly(settings, "admin", Role.ADMIN, "admin-password-1")
        admin = login(controller.base_url, "admin", "admin-password-1")
        identities = [
            *setup_commune(admin, "P", "XA-A", ["A1"]),
            *setup_commune(admin, "P", "XA-B", ["B1"]),
            *setup_commune(admin, "P", "XA-C", ["C1"]),
        ]
        for commune, code in (("XA-A", "80101"), ("XA-B", "80102"), ("XA-C", "80103")):
            loaxa(settings, "cap", "admin-code", commune, code)
        loaxa(settings, "cap", "area-code", "add", "801", "--commune", "XA-A", "--commune", "XA-B")
        add_user_directly(settings, "so.canbo", Role.OFFICER, "province-pass-1", province_code="P")
        key = source.key.public_key_b64
        registered = admin.post(
            "/api/v1/source-systems",
            {"code": "PCTT-P", "name": "Ban Chỉ huy PCTT", "province_code": "P", "public_key": key},
        )
        assert registered.status_code == 201, registered.text
        fleet = FleetRunner(
            settings.node.model_copy(update={"controller_url": controller.base_url}), identities, tmp_path / "nodes"
        )
        fleet.start()
        fleet.wait_connected()
        staff = login(controller.base_url, "so.canbo", "province-pass-1")

        spec = {"event": "Lũ quét", "severity": "Extreme", "geocodes": ["801"], "headline": "Cảnh báo lũ quét"}
        _, _, test = source.publish_cap({**spec, "status": "Test"})
        assert test is not None and test.status_code == 201 and test.json()["state"] == "held", test
        _, identifier, actual = source.publish_cap({**spec, "description": DESCRIPTION, "instruction": INSTRUCTION})
        assert actual is not None and actual.status_code == 201, actual
        assert actual.json()["state"] == "pending" and actual.json()["communes"] == ["XA-A", "XA-B"]

        confirmed = staff.post(f"/api/v1/cap-alerts/{actual.json()['alert_id']}/confirm")
        assert confirmed.status_code == 200, confirmed.text
        orders = confirmed.json()["emergency_ids"]
        items = {f"e{order}" for order in orders}
        agents = {agent.code: agent for agent in fleet.fleet.agents}
        assert wait_until(lambda: all(items & set(agents[c].on_air) for c in ("A1", "B1")), 30), "not on air"

        _, _, cancel = source.publish_cap({"msg_type": "Cancel", "references": [identifier]})
        assert cancel is not None and cancel.status_code == 201 and cancel.json()["state"] == "applied", cancel
        playlogs = {c: tmp_path / "nodes" / c / "recordings" / "playlog.jsonl" for c in ("A1", "B1", "C1")}
        assert wait_until(lambda: all(read_playlog(playlogs[c]) for c in ("A1", "B1")), 30), "never ended"
        states = {a["identifier"]: a["state"] for a in staff.get("/api/v1/cap-alerts").json()}
        for api in (admin, staff):
            api.client.close()
    finally:
        if fleet is not None:
            fleet.stop()
        controller.stop()
        source.stop()

    for code in ("A1", "B1"):
        [played] = read_playlog(playlogs[code])
        assert played["item_id"] in items and played["interrupted"] is True, played  # cut by the Cancel
    assert read_playlog(playlogs["C1"]) == []  # outside the district; and the Test alert aired nowhere
    assert states[identifier] == "cancelled" and list(states.values()).count("held") == 1
