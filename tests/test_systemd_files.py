"""The deployment files in systemd/ are what they claim: haproxy accepts the shipped config, and run in
front of a real controller it checks health, balances, and sends the client's own address."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from controller.access.login_sessions import LoginSession
from controller.accounts import Role
from controller.db import make_engine, session_factory
from controller.settings import Settings
from devices.mosquitto import free_port
from public_site.settings import PublicSiteSettings
from tests.haproxy import PUBLIC_RATE_MESSAGE, HaproxyServer, find_haproxy, public_rate_lines
from tests.harness import ControllerServer, add_user_directly, wait_until

ROOT = Path(__file__).resolve().parent.parent
HAPROXY_CONFIG = ROOT / "systemd" / "haproxy-loaxa.cfg"
BACKEND = "loaxa_controllers"

needs_haproxy = pytest.mark.skipif(find_haproxy() is None, reason="haproxy is not installed (scripts/bootstrap.sh)")


@needs_haproxy
def test_haproxy_accepts_the_shipped_config() -> None:
    haproxy = find_haproxy()
    assert haproxy is not None
    checked = subprocess.run([haproxy, "-c", "-f", str(HAPROXY_CONFIG)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "[WARNING]" not in checked.stdout + checked.stderr, checked.stdout + checked.stderr


def runnable(config: str, directory: Path, port: int, backends: list[str]) -> str:
    """The shipped config as a test can run it: in the foreground, as this user, logging to stdout, within
    this machine's open files limit, listening on `port`, its stats socket in `directory`, over
    `backends` instead of 8001/8002.
    Everything else (checks, balancing, retries, headers) is the shipped text."""
    lines = []
    for line in config.splitlines():
        words = line.split()
        if words in (["daemon"], ["user", "haproxy"], ["group", "haproxy"]) or words[:1] == ["server"]:
            continue
        if words[:2] == ["log", "/dev/log"]:
            line = "  log stdout format raw local0"  # into haproxy.log beside the config
        elif words[:1] == ["maxconn"]:
            line = f"  maxconn {HaproxyServer.maxconn()}"  # within this machine's open files limit
        elif words[:2] == ["stats", "socket"]:
            line = f"  stats socket {directory / 'stats.sock'} mode 600 level admin"
        elif words == ["bind", ":80"]:
            line = f"  bind 127.0.0.1:{port}"
        lines.append(line)
    # The backend is the file's last section: the servers go at its end.
    lines += [f"  server loaxa-{n} {address} check" for n, address in enumerate(backends, start=1)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The controller behind haproxy believes haproxy's X-Forwarded-For, as the config's comment says; its
    own public rate limit is out of reach here, so that only haproxy's can refuse."""
    return settings.model_copy(
        update={
            "web": settings.web.model_copy(update={"trusted_proxies": "127.0.0.1"}),
            "public": settings.public.model_copy(update={"rate_limit_requests": 100_000}),
        }
    )


@pytest.fixture
def shipped_haproxy(controller: ControllerServer, tmp_path: Path) -> Iterator[HaproxyServer]:
    """The shipped config in front of the controller and of an instance that is down (nothing listens)."""
    port = free_port()
    backends = [controller.base_url.removeprefix("http://"), f"127.0.0.1:{free_port()}"]
    config = runnable(HAPROXY_CONFIG.read_text(), tmp_path / "haproxy", port, backends)
    server = HaproxyServer(tmp_path / "haproxy", backends, port=port, config=config, backend=BACKEND)
    server.start()
    yield server
    server.stop()


@needs_haproxy
@pytest.mark.one_database("sqlite", why="the subject is haproxy's config, not the database")
def test_the_shipped_config_checks_health_retries_and_forwards_the_client_address(
    settings: Settings, shipped_haproxy: HaproxyServer
) -> None:
    # Requests that reach the dead instance before its check fails are sent to the live one.
    for _ in range(4):
        response = httpx.get(shipped_haproxy.url + "/api/v1/health", timeout=10)
        assert response.status_code == 200 and response.json()["database"] is True
    # The check (every 2 s, out after 3 failures) takes the dead one out; the live one stays in.
    assert wait_until(lambda: shipped_haproxy.up() == {"loaxa-1"}, 15, interval_s=0.5), shipped_haproxy.stats()

    # The address the controller records is the one haproxy saw, not what the client claims.
    add_user_directly(settings, "admin", Role.ADMIN, "admin-password-1")
    response = httpx.post(
        shipped_haproxy.url + "/api/v1/auth/token",
        json={"username": "admin", "password": "admin-password-1"},
        headers={"X-Forwarded-For": "203.0.113.9"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        addresses = session.exec(select(LoginSession.address)).all()
    engine.dispose()
    assert addresses == ["127.0.0.1"]


def test_the_shipped_public_rate_limit_is_the_settings_default() -> None:
    """haproxy counts the public site's requests with the same limit and window as the setting's default."""
    defaults = PublicSiteSettings()
    window_s = int(defaults.rate_limit_window_s)
    assert window_s == defaults.rate_limit_window_s
    expected = public_rate_lines(defaults.rate_limit_requests, window_s)
    shipped = HAPROXY_CONFIG.read_text().splitlines()
    start = shipped.index(expected[0])
    assert shipped[start : start + len(expected)] == expected


@needs_haproxy
@pytest.mark.one_database("sqlite", why="the subject is haproxy's config, not the database")
def test_the_shipped_config_limits_the_public_site_per_client_address(
    settings: Settings, shipped_haproxy: HaproxyServer
) -> None:
    limit = PublicSiteSettings().rate_limit_requests
    assert wait_until(lambda: shipped_haproxy.up() == {"loaxa-1"}, 15, interval_s=0.5), shipped_haproxy.stats()
    with httpx.Client(base_url=shipped_haproxy.url, timeout=10) as client:
        # A commune that does not exist: a cheap answer from the controller, counted all the same.
        statuses = [client.get("/nghe-lai/khong-co").status_code for _ in range(limit)]
        assert 429 not in statuses, statuses
        refused = client.get("/nghe-lai/khong-co")
        # Not the public site: never counted.
        assert client.get("/api/v1/health").status_code == 200
    assert refused.status_code == 429
    assert refused.text == PUBLIC_RATE_MESSAGE.format(seconds=60)
    assert refused.headers["Retry-After"] == "60"


def test_the_instance_template_takes_its_port_and_broker_account_from_its_name() -> None:
    lines = (ROOT / "systemd" / "loaxa-controller@.service").read_text().splitlines()
    assert "Environment=LOAXA_WEB__PORT=%i" in lines
    assert "Environment=LOAXA_MQTT__USERNAME=loaxa-controller-%i" in lines
    assert "EnvironmentFile=/etc/loaxa/controller.env" in lines and "Restart=always" in lines
    # The shipped haproxy config names the instances the template's documentation starts.
    servers = [line.split() for line in HAPROXY_CONFIG.read_text().splitlines() if line.strip().startswith("server ")]
    assert [words[2] for words in servers] == ["127.0.0.1:8001", "127.0.0.1:8002"]
