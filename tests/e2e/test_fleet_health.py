"""Heartbeats to health states, alerts at a real webhook, and the fleet endpoints, over the real broker."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from controller.accounts import Role
from controller.settings import Settings
from devices.protocol import Heartbeat, device_heartbeat_topic, encode
from devices.settings import FleetSettings
from tests.harness import Api, ControllerServer, FleetRunner, Probe, add_user_directly, login, setup_commune, wait_until

pytestmark = pytest.mark.e2e

HEARTBEAT_S = 0.5
SWEEP_S = 0.25


class WebhookReceiver:
    """A real HTTP server on a free port that keeps every JSON body POSTed to it."""

    def __init__(self) -> None:
        received: list[dict[str, Any]] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def kinds(self) -> list[tuple[str, str | None]]:
        return [(r["kind"], r["device"]) for r in self.received]


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()


@pytest.fixture
def settings(settings: Settings, webhook: WebhookReceiver) -> Settings:
    """Heartbeats every 0.5 s on both sides, a quick sweep, and alerts without the field's patience."""
    fleet = FleetSettings(
        heartbeat_interval_s=HEARTBEAT_S,
        health_sweep_interval_s=SWEEP_S,
        offline_alert_after_s=0.5,
        commune_down_pct=40,
        webhook_url=webhook.url,
        webhook_retry_backoff_s=0.1,
        command_key_file=settings.fleet.command_key_file,
    )
    node = settings.node.model_copy(
        update={"heartbeat_interval_s": HEARTBEAT_S, "network_type": "4g", "signal_dbm": -71}
    )
    return settings.model_copy(update={"fleet": fleet, "node": node})


def test_states_alerts_and_fleet_endpoints(
    settings: Settings, controller: ControllerServer, admin: Api, webhook: WebhookReceiver, tmp_path: Path
) -> None:
    healthy, broken = setup_commune(admin, "P", "XA-H", ["H1", "H2"])
    (other,) = setup_commune(admin, "P", "XA-K", ["K1"])
    add_user_directly(settings, "officer-k", Role.OFFICER, "password-k", commune_codes=["XA-K"])
    officer = login(controller.base_url, "officer-k", "password-k")
    template = settings.node.model_copy(update={"controller_url": controller.base_url})
    # H1 runs on its own event loop, so that the test can freeze it alone.
    frozen = FleetRunner(template, [healthy], tmp_path / "frozen")
    fleet = FleetRunner(template, [broken], tmp_path / "nodes")
    fleet.fleet.agents[0].faults.amplifier_failed = True
    frozen.start()
    fleet.start()
    try:
        frozen.wait_connected()
        fleet.wait_connected()

        def summary(api: Api = admin) -> dict[str, int]:
            return dict(api.get("/api/v1/fleet/summary").json())

        expected = {"total": 3, "online": 1, "degraded": 1, "offline": 0, "unknown": 1}
        assert wait_until(lambda: summary() == expected, 5), summary()
        assert wait_until(lambda: ("amplifier_fault", "H2") in webhook.kinds(), 5), webhook.received
        hook = next(r for r in webhook.received if r["kind"] == "amplifier_fault")
        assert hook["commune"] == "XA-H" and hook["severity"] == "critical" and "khuếch đại" in hook["message"]

        def commune_page() -> dict[str, Any]:
            return dict(admin.get("/api/v1/fleet/communes/XA-H").json())

        # A birth alone makes a cluster online; its first heartbeat's fields follow within a sweep.
        assert wait_until(lambda: all(c["last_heartbeat_at"] for c in commune_page()["clusters"]), 3)
        page = commune_page()
        h1 = next(c for c in page["clusters"] if c["code"] == "H1")
        h2 = next(c for c in page["clusters"] if c["code"] == "H2")
        assert h1["state"] == "online" and h1["network"] == "4g" and h1["signal_dbm"] == -71
        assert h1["storage_free_mb"] > 0 and h1["firmware"] and h1["volume"] == 100
        assert h2["state"] == "degraded" and h2["problems"] == ["amplifier_fault"] and h2["amplifier"] == "fault"
        assert [a["kind"] for a in page["open_alerts"]] == ["amplifier_fault"]

        # The clock offset is measured on the playlist pull (X-Loaxa-Time) and comes back in heartbeats.
        assert wait_until(lambda: frozen.fleet.agents[0].clock_offset_ms is not None, 5)
        assert abs(frozen.fleet.agents[0].clock_offset_ms or 0) < 500

        # A hung node: its connection stays up (no last will within the broker's keepalive), but its
        # heartbeats stop. It must show offline within two heartbeat intervals (+ one sweep).
        loop = frozen._loop
        assert loop is not None
        frozen_at = time.monotonic()
        loop.call_soon_threadsafe(time.sleep, 3.0)
        assert wait_until(lambda: summary()["offline"] == 1, 2 * HEARTBEAT_S + SWEEP_S + 0.5), summary()
        detected_s = time.monotonic() - frozen_at
        with controller.services.sessions() as session:
            from sqlmodel import select

            from devices.registry import Device

            h1_row = session.exec(select(Device).where(Device.code == "H1")).one()
            assert h1_row.state == "online", "offline must come from missing heartbeats, not the last will"
        assert detected_s <= 2 * HEARTBEAT_S + SWEEP_S + 0.5
        # Offline longer than offline_alert_after_s; and half of XA-H down is over its 40 %.
        assert wait_until(lambda: {("offline", "H1"), ("commune_down", None)} <= set(webhook.kinds()), 3)
        # Back to life: online again, and both alerts resolve.
        assert wait_until(lambda: summary()["online"] == 1 and summary()["offline"] == 0, 6), summary()
        assert wait_until(
            lambda: {a["kind"] for a in admin.get("/api/v1/alerts?open=true").json()} == {"amplifier_fault"}, 3
        )
        # Today's uptime grows while it is up (one second of it, at least, soon).
        assert wait_until(lambda: admin.get("/api/v1/fleet/devices/H1").json()["uptime"][0]["up_s"] >= 1, 3)
        detail = admin.get("/api/v1/fleet/devices/H1").json()
        assert detail["cluster"]["state"] == "online" and detail["samples"]
        assert {a["kind"] for a in detail["alerts"]} == {"offline"} and detail["alerts"][0]["resolved_at"]

        # An alert acknowledged stays open while its cause lasts.
        amp = next(a for a in admin.get("/api/v1/alerts?open=true").json() if a["kind"] == "amplifier_fault")
        acked = admin.post(f"/api/v1/alerts/{amp['id']}/ack").json()
        assert acked["acknowledged_by"] == "admin" and acked["resolved_at"] is None

        # Scope: an officer of XA-K sees only XA-K.
        assert summary(officer) == {"total": 1, "online": 0, "degraded": 0, "offline": 0, "unknown": 1}
        for path in ("/api/v1/fleet/communes/XA-H", "/api/v1/fleet/devices/H1"):
            response = officer.get(path)
            assert response.status_code == 403 and response.json()["message"] == "Bạn không phụ trách địa bàn này."
        assert officer.get("/api/v1/alerts").json() == []
        assert officer.post(f"/api/v1/alerts/{amp['id']}/ack").status_code == 403
        assert admin.get("/api/v1/fleet/devices/NOPE").json()["message"] == "Không tìm thấy cụm loa."
    finally:
        fleet.stop()
        frozen.stop()

    # A malformed heartbeat does not stop the next, valid one.
    probe = Probe(settings.mqtt, "K1", other.password)
    assert probe.connect()
    for garbage in (b"", b"{}", b'{"v": 1, "type": "heartbeat"}', b"\xff" * 50):
        probe.client.publish(device_heartbeat_topic("K1"), garbage, qos=0)
    valid = Heartbeat(
        session_seq=1, sent_at=datetime.now(UTC), uptime_s=5, firmware="fw-k", volume=42, storage_free_mb=900
    )
    probe.client.publish(device_heartbeat_topic("K1"), encode(valid), qos=0)
    assert wait_until(lambda: officer.get("/api/v1/fleet/devices/K1").json()["cluster"]["volume"] == 42, 3)
    cluster = officer.get("/api/v1/fleet/devices/K1").json()["cluster"]
    assert cluster["state"] == "online" and cluster["firmware"] == "fw-k"
    probe.close()
