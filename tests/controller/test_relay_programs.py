"""Relays in programs over the real API: placed in slots like any item, by a commune or a province, compiled
into a stream item of each commune's playlist, and never longer than their slot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from controller.settings import Settings
from devices.icecast import IcecastServer
from devices.protocol import Playlist, RelayCheck, device_relay_topic, encode, stream_asset_sha256
from devices.registry import Commune
from schedules.publication import CommunePlaylist
from tests.conftest import ADMIN_PASSWORD
from tests.console import ConsoleClient
from tests.harness import Api, ControllerServer, Probe, setup_commune, staff, wait_until
from tests.tone_source import ToneSource

PROVINCE = "TINH-RELAY"
COMMUNES = ("XA-A", "XA-B")
MINUTE_MS = 60_000


def playlist_of(controller: ControllerServer, commune: str) -> Playlist:
    with controller.services.sessions() as session:
        row = session.exec(select(Commune).where(Commune.code == commune)).one()
        stored = session.get(CommunePlaylist, row.id)
        assert stored is not None
        return Playlist.model_validate_json(stored.content)


@pytest.mark.one_database(
    "sqlite", why="the subject is placement and compilation; the tables are covered by migrations"
)
def test_a_province_places_a_relay_in_every_commune(
    settings: Settings,
    controller: ControllerServer,
    admin: Api,
    icecast: IcecastServer,
    request: pytest.FixtureRequest,
) -> None:
    for commune in COMMUNES:
        setup_commune(admin, PROVINCE, commune, [f"{commune}-1"])
        slot = admin.post(
            f"/api/v1/communes/{commune}/slots", {"name": "Sáng", "start_time": "06:00", "end_time": "06:30"}
        )
        assert slot.status_code == 201, slot.text
    setup_commune(admin, "TINH-KHAC", "XA-KHAC", [])
    with ToneSource(icecast, "/vov1.mp3") as vov, ToneSource(icecast, "/khac.mp3") as other:
        national = admin.post("/api/v1/streams", {"name": "VOV1", "url": vov.url}).json()
        elsewhere = admin.post(
            "/api/v1/streams", {"name": "Đài tỉnh khác", "url": other.url, "province_code": "TINH-KHAC"}
        ).json()
    officer, _ = staff(settings, controller.base_url, request, province=PROVINCE)
    relay = {"kind": "relay", "stream_source_id": national["id"], "duration_ms": 20 * MINUTE_MS}

    # Bad relays: no duration, a file as well, another province's source, longer than the slot.
    rule = {"pattern": "daily", "slot_rank": 1}
    for bad, code in (
        ({"kind": "relay", "stream_source_id": national["id"]}, "invalid_relay"),
        ({**relay, "bulletin_id": 1}, "invalid_relay"),
        ({**relay, "stream_source_id": elsewhere["id"]}, "stream_source_not_found"),
        ({**relay, "duration_ms": 40 * MINUTE_MS}, "slot_overfull"),
    ):
        refused = officer.post(f"/api/v1/provinces/{PROVINCE}/programs", {"title": "Sai", "items": [bad], "rule": rule})
        assert refused.status_code in (404, 409, 422), refused.text
        assert refused.json()["error"] == code, refused.json()

    placed = officer.post(
        f"/api/v1/provinces/{PROVINCE}/programs", {"title": "Thời sự VOV", "items": [relay], "rule": rule}
    )
    assert placed.status_code == 201, placed.text
    assert sorted(p["commune_code"] for p in placed.json()["parts"]) == sorted(COMMUNES)
    for commune in COMMUNES:
        (item,) = playlist_of(controller, commune).items
        assert item.stream is not None and item.stream.url == vov.url and item.stream.source == "VOV1"
        assert item.stream.fill is None  # silence until the commune chooses
        assert item.asset_url == vov.url and item.asset_sha256 == stream_asset_sha256(vov.url)
        assert item.duration_ms == 20 * MINUTE_MS and item.title == "VOV1"
        local = item.starts_at.astimezone(settings.scheduler.planning().zone)
        assert (local.hour, local.minute) == (6, 0)
        assert item.starts_at + timedelta(milliseconds=item.duration_ms) <= item.starts_at + timedelta(minutes=30)
    # Another province's commune gets nothing.
    assert not _has_playlist(controller, "XA-KHAC") or playlist_of(controller, "XA-KHAC").items == ()

    # The commune's fill goes into its playlist at once; the other commune keeps silence.
    chosen = officer.client.put("/api/v1/communes/XA-A/relay-fill", json={"fill": "stock", "stock_key": "storm"})
    assert chosen.status_code == 200, chosen.text
    (item,) = playlist_of(controller, "XA-A").items
    assert item.stream is not None and item.stream.fill is not None and item.stream.fill.key == "storm"
    (other_item,) = playlist_of(controller, "XA-B").items
    assert other_item.stream is not None and other_item.stream.fill is None

    # The week and the day's schedule show it like any item.
    console = ConsoleClient(controller.base_url)
    console.login("admin", ADMIN_PASSWORD)
    week = console.get("/xa/XA-A/lich-tuan")
    assert week.status_code == 200 and "VOV1" in week.text
    console.close()
    day = item.starts_at.astimezone(settings.scheduler.planning().zone).date()
    shown = admin.get(f"/api/v1/communes/XA-A/schedule?date={day.isoformat()}")
    assert shown.status_code == 200 and "VOV1" in shown.text, shown.text

    # A source a program relays cannot be removed.
    in_use = admin.client.delete(f"/api/v1/streams/{national['id']}")
    assert in_use.status_code == 409 and in_use.json()["error"] == "stream_source_in_use"


def _has_playlist(controller: ControllerServer, commune: str) -> bool:
    with controller.services.sessions() as session:
        row = session.exec(select(Commune).where(Commune.code == commune)).one()
        return session.get(CommunePlaylist, row.id) is not None


@pytest.mark.one_database("sqlite", why="the subject is the MQTT uplink and the alert")
def test_a_node_reporting_an_unreachable_source_raises_an_alert(
    settings: Settings, controller: ControllerServer, admin: Api
) -> None:
    (node,) = setup_commune(admin, PROVINCE, "XA-A", ["XA-A-1"])
    probe = Probe(settings.mqtt, node.device_code, node.password)
    assert probe.connect()
    try:
        starts = datetime.now(UTC) + timedelta(minutes=1)
        for reachable in (True, False):
            check = RelayCheck(
                commune="XA-A",
                item_id="p1-0-2612080600",
                starts_at=starts,
                url="http://127.0.0.1:1/vov1.mp3",
                reachable=reachable,
                checked_at=datetime.now(UTC),
                detail="Connection refused",
            )
            probe.client.publish(device_relay_topic(node.device_code), encode(check), qos=1).wait_for_publish(5)

        def alerts() -> list[dict[str, object]]:
            return [a for a in admin.get("/api/v1/alerts?open=true").json() if a["kind"] == "relay_unreachable"]

        assert wait_until(lambda: len(alerts()) == 1, 10)
        (alert,) = alerts()
        assert "nguồn tiếp sóng" in str(alert["message"]) and "Connection refused" in str(alert["message"])
    finally:
        probe.close()
