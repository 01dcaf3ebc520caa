"""The health sweep's loop edge and the alert webhook's retries, with a real database and HTTP server."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlmodel import Session

from controller.db import make_engine, session_factory
from controller.settings import DatabaseSettings
from devices.alerts import AlertWebhook, WebhookPayload
from devices.health_monitor import HealthMonitor
from devices.settings import FleetSettings
from tests.harness import wait_until


def test_a_failing_pass_does_not_stop_the_sweep(database_url: str) -> None:
    engine = make_engine(DatabaseSettings(url=database_url))
    monitor = HealthMonitor(session_factory(engine), FleetSettings(health_sweep_interval_s=0.05))
    calls = []

    def flaky_check(session: Session, now: datetime, _: HealthMonitor) -> None:
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("one bad pass")

    monitor.add_check(flaky_check)
    monitor.start()
    try:
        assert wait_until(lambda: monitor.sweeps >= 2, 5), "the sweep stopped after a failing pass"
        assert len(calls) >= 3
    finally:
        monitor.stop()
        engine.dispose()


def test_the_webhook_retries_until_the_receiver_takes_it() -> None:
    received: list[dict[str, Any]] = []
    statuses = [500, 503, 204]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(statuses[min(len(received), len(statuses)) - 1])
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = AlertWebhook(
        f"http://127.0.0.1:{server.server_address[1]}/", timeout_s=2, retries=3, backoff_s=0.01, queue_max=10
    )
    hook.start()
    try:
        payload = WebhookPayload(
            id=1, kind="offline", severity="critical", message="Cụm loa A1 mất kết nối quá lâu.",
            commune="XA", device="A1", opened_at=datetime(2026, 11, 22, 8, 0, tzinfo=UTC),
        )  # fmt: skip
        hook.send(payload)
        assert wait_until(lambda: hook.sent == 1, 5)
        assert len(received) == 3 and received[-1]["message"] == payload.message and received[-1]["device"] == "A1"
        assert hook.failed == 0
    finally:
        hook.stop()
        server.shutdown()
