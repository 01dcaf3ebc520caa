"""The provincial monitor's pages over real HTTP with real nodes: the dashboard's counts, commune table
and alerts (acknowledged from the page), a cluster's page with its heartbeat chart, the map of clusters
from their GPS, scope for a commune officer, and the admin's cluster form with installation facts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from audio_library.timestamps import utc_now
from controller.accounts import Role
from controller.settings import Settings
from devices.proof_of_play import PlayRecord
from devices.registry import get_device
from tests.conftest import ADMIN_PASSWORD
from tests.console import ConsoleClient
from tests.harness import Api, ControllerServer, FleetRunner, add_user_directly, setup_commune, wait_until

pytestmark = pytest.mark.one_database(
    "sqlite", why="pages over the queries the fleet API tests cover on both databases"
)

A, B = "XA-A", "XA-B"
HEARTBEAT_S = 0.5


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Heartbeats every 0.5 s on both sides, a quick sweep, a history sample every second."""
    fleet = settings.fleet.model_copy(
        update={"heartbeat_interval_s": HEARTBEAT_S, "health_sweep_interval_s": 0.25, "history_sample_s": 1.0}
    )
    node = settings.node.model_copy(
        update={"heartbeat_interval_s": HEARTBEAT_S, "network_type": "4g", "signal_dbm": -71}
    )
    web = settings.web.model_copy(update={"live_refresh_s": 1.0})
    return settings.model_copy(update={"fleet": fleet, "node": node, "web": web})


@pytest.fixture
def world(settings: Settings, controller: ControllerServer, admin: Api, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Commune A: A1 (with GPS) well, A2 (no GPS) with a dead amplifier; commune B: B1 (GPS), never connected."""
    nodes = setup_commune(admin, "P", A, ["A1", "A2"])
    setup_commune(admin, "P", B, ["B1"])
    for code, lat, lon in (("A1", 10.76, 106.66), ("B1", 10.80, 106.70)):
        patched = admin.client.patch(f"/api/v1/devices/{code}", json={"latitude": lat, "longitude": lon})
        assert patched.status_code == 200, patched.text
    add_user_directly(settings, "giamsat", Role.MONITOR, "giamsat-pass", province_code="P")
    add_user_directly(settings, "officer.b", Role.OFFICER, "officer-b-pass", commune_codes=[B])
    template = settings.node.model_copy(update={"controller_url": controller.base_url})
    fleet = FleetRunner(template, nodes, tmp_path / "nodes")
    fleet.fleet.agents[1].faults.amplifier_failed = True
    fleet.start()
    monitor, stranger = ConsoleClient(controller.base_url), ConsoleClient(controller.base_url)
    try:
        fleet.wait_connected()
        monitor.login("giamsat", "giamsat-pass")
        stranger.login("officer.b", "officer-b-pass")
        yield {"monitor": monitor, "stranger": stranger, "controller": controller}
    finally:
        fleet.stop()
        monitor.close()
        stranger.close()


def counts(page: str) -> dict[str, int]:
    ids = {"so-cum": "total", "so-hoat-dong": "online", "so-suy-giam": "degraded", "so-chua-ket-noi": "unknown"}
    found = re.finditer(r'id="(so-[a-z-]+)">(\d+)<', page)
    return {ids[m.group(1)]: int(m.group(2)) for m in found if m.group(1) in ids}


def commune_row(page: str, code: str) -> str:
    match = re.search(rf'<tr class="([a-z-]+)" id="xa-{code}">(.*?)</tr>', page, re.S)
    assert match is not None, page
    return match.group(1) + " " + match.group(2)


def test_dashboard_cluster_page_and_map(world: dict[str, Any]) -> None:
    monitor, stranger, controller = world["monitor"], world["stranger"], world["controller"]
    expected = {"total": 3, "online": 1, "degraded": 1, "unknown": 1}

    # The live fragment catches up by itself (what htmx polls).
    def caught_up() -> bool:
        live = monitor.get("/giam-sat/truc-tiep").text
        return counts(live) == expected and "bộ khuếch đại bị lỗi" in live

    assert wait_until(caught_up, 8)
    page = monitor.get("/giam-sat")
    assert page.status_code == 200 and counts(page.text) == expected
    assert 'href="/ban-do"' in page.text, "the map is in the monitor's menu"
    row = commune_row(page.text, A)
    assert row.startswith("trang-thai-mot-phan") and "Có sự cố" in row and "1/2 hoạt động" in row
    assert re.search(r"Hoạt động \d+\.\d%", row) and "1 cảnh báo" in row
    assert "Chưa kết nối" in commune_row(page.text, B)

    # The dead amplifier's alert, acknowledged from the dashboard.
    alert = re.search(r'action="/canh-bao/(\d+)/xac-nhan"', page.text)
    assert alert is not None
    acked = monitor.post(f"/canh-bao/{alert.group(1)}/xac-nhan", {"next": "/giam-sat"})
    assert acked.status_code == 303 and acked.headers["location"] == "/giam-sat"
    elsewhere = monitor.post(f"/canh-bao/{alert.group(1)}/xac-nhan", {"next": "//example.org/"})
    assert elsewhere.headers["location"] == "/giam-sat", "never sent off the console"
    assert stranger.post(f"/canh-bao/{alert.group(1)}/xac-nhan").status_code == 403
    page = monitor.get("/giam-sat")
    assert "Đã xác nhận bởi giamsat" in page.text and f"/canh-bao/{alert.group(1)}/xac-nhan" not in page.text

    # A cluster's page: its latest heartbeat, charts, uptime and play log.
    with controller.services.sessions() as session:
        a1 = get_device(session, "A1")
        assert a1.id is not None
        now = utc_now()
        session.add(
            PlayRecord(
                report_id="r-1",
                device_id=a1.id,
                commune_code=A,
                playlist_version=1,
                item_id="ban-tin-1",
                asset_sha256="0" * 64,
                scheduled_start=now - timedelta(seconds=5),
                started_at=now - timedelta(seconds=5),
                ended_at=now,
                start_error_ms=12,
                outcome="played",
            )
        )
        session.commit()
    assert wait_until(lambda: "-71 dBm" in monitor.get("/cum-loa/A1/truc-tiep").text, 5)
    cluster = monitor.get("/cum-loa/A1")
    assert cluster.status_code == 200
    for text in ("Đang hoạt động", "4G, -71 dBm", "10.76000, 106.66000", "ban-tin-1", "Đã phát"):
        assert text in cluster.text, text
    assert 'id="bieu-do-tin-hieu"' in cluster.text and cluster.text.count("<svg") == 3
    signal_chart = cluster.text.split('id="bieu-do-tin-hieu"')[1].split("</svg>")[0]
    assert 'class="duong"' in signal_chart or 'class="diem"' in signal_chart, "the samples are drawn"
    assert re.search(r'class="dai [a-z]+"', signal_chart), "with the state behind them"
    assert 'id="bang-hoat-dong"' in cluster.text
    a2 = monitor.get("/cum-loa/A2").text
    assert "Có sự cố" in a2 and "Bộ khuếch đại lỗi" in a2

    # The map: a circle per cluster with GPS, linking to its page; the one without GPS listed below.
    the_map = monitor.get("/ban-do")
    assert the_map.status_code == 200 and "tile" not in the_map.text.lower()
    circles = re.findall(r'<a href="/cum-loa/([A-Z0-9]+)" class="diem-cum"', the_map.text)
    assert sorted(circles) == ["A1", "B1"] and the_map.text.count('class="cum ') == 2
    unplaced = re.search(r'id="chua-co-toa-do">(.*?)</ul>', the_map.text, re.S)
    assert unplaced is not None and "/cum-loa/A2" in unplaced.group(1)
    assert re.search(r"\d+(\.\d+)? k?m</text>", the_map.text), "a scale bar"
    one = monitor.get(f"/ban-do/truc-tiep?xa={A}").text
    assert 'href="/cum-loa/A1" class="diem-cum"' in one and "/cum-loa/B1" not in one

    # Commune B's officer: none of commune A.
    assert stranger.get("/cum-loa/A1").status_code == 403
    assert stranger.get(f"/ban-do?xa={A}").status_code == 403
    theirs = stranger.get("/ban-do").text
    assert "/cum-loa/B1" in theirs and "/cum-loa/A1" not in theirs and "/cum-loa/A2" not in theirs
    dashboard = stranger.get("/giam-sat").text
    assert f'id="xa-{B}"' in dashboard and f'id="xa-{A}"' not in dashboard and "khuếch đại" not in dashboard
    assert 'href="/ban-do"' not in dashboard, "the map is not in an officer's menu"


def test_admin_adds_a_cluster_with_its_installation_facts(controller: ControllerServer, admin: Api) -> None:
    setup_commune(admin, "P", A, [])
    console = ConsoleClient(controller.base_url)
    try:
        console.login("admin", ADMIN_PASSWORD)
        console.get("/quan-tri/dia-ban")
        hamlet = console.post("/quan-tri/dia-ban/ap", {"commune_code": A, "code": "AP-1", "name": "Ấp Một"})
        assert hamlet.status_code == 303
        form = {
            "commune_code": A,
            "code": "LOA-9",
            "name": "Chợ",
            "hamlet": "AP-1",
            "latitude": "95",
            "longitude": "106.7",
            "horn_count": "4",
            "amplifier_watts": "250",
            "network_type": "4g",
            "installed_on": "2026-03-01",
        }
        bad = console.post("/quan-tri/dia-ban/cum-loa", form)
        assert bad.status_code == 422 and "Vĩ độ phải nằm trong khoảng -90 đến 90." in bad.text
        assert 'value="LOA-9"' in bad.text, "what was typed comes back"
        word = console.post("/quan-tri/dia-ban/cum-loa", {**form, "latitude": "bắc"})
        assert word.status_code == 422 and "Vĩ độ phải là một số" in word.text
        added = console.post("/quan-tri/dia-ban/cum-loa", {**form, "latitude": "10,75"})
        assert added.status_code == 200 and "chỉ hiện một lần" in added.text
        password = re.search(r'<code id="mat-khau-thiet-bi">([^<]+)</code>', added.text)
        key = re.search(r'<code id="khoa-lenh">([^<]+)</code>', added.text)
        assert password is not None and key is not None and len(key.group(1)) >= 40
        device = admin.get("/api/v1/devices/LOA-9").json()
        assert device["hamlet"] == "AP-1" and device["latitude"] == 10.75 and device["horn_count"] == 4
        assert device["amplifier_watts"] == 250 and device["network_type"] == "4g"
        assert device["installed_on"] == "2026-03-01"
        again = console.get("/quan-tri/dia-ban").text
        assert password.group(1) not in again and key.group(1) not in again
        page = console.get("/cum-loa/LOA-9").text
        assert "Ấp Một" in page and "250 W" in page and "01/03/2026" in page and "Chưa kết nối" in page
    finally:
        console.close()
