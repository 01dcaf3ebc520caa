"""Fixtures over real services; see tests/harness.py for the parts."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from audio_library import AudioSettings
from controller.accounts import Role, use_password_policy
from controller.api.live import listener_key
from controller.demo import quiet_hours_elsewhere
from controller.settings import DatabaseSettings, Settings, WebSettings
from devices.content import ContentSettings
from devices.icecast import IcecastServer, IcecastSettings
from devices.mosquitto import MosquittoProcess, free_port
from devices.nginx import NginxServer
from devices.settings import FleetSettings, MqttSettings
from firmware_sim import NodeSettings
from province_link import SourceLinkSettings
from schedules import SchedulerSettings
from tests.haproxy import HaproxyServer
from tests.harness import (
    Api,
    ControllerServer,
    add_user_directly,
    database_backends,
    fresh_database,
    login,
)
from tts.settings import TtsSettings

ADMIN_PASSWORD = "admin-password-1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`@pytest.mark.one_database("sqlite", why=...)`: run that test on one backend only, deselecting the
    other variant before any fixture is set up (a test whose subject is not the database)."""
    if len(database_backends()) < 2:
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        mark = item.get_closest_marker("one_database")
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("database_url") if callspec is not None else None
        (drop if mark is not None and backend is not None and backend != mark.args[0] else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(params=database_backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh migrated database: SQLite always; PostgreSQL too when LOAXA_TEST_POSTGRES_URL is set."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def mqtt_settings(tmp_path: Path) -> MqttSettings:
    return MosquittoProcess.settings_for(tmp_path / "broker", MqttSettings(password="controller-test-pw"))


@pytest.fixture
def broker(tmp_path: Path, mqtt_settings: MqttSettings) -> Iterator[MosquittoProcess]:
    """A private mosquitto on a free port: password auth, the registry's ACL, client id = username."""
    with MosquittoProcess(tmp_path / "broker", mqtt_settings) as process:
        yield process


# argon2 at its cheapest (1 pass over 8 MiB): tests hash and check hundreds of passwords, and the
# production cost (0.1-0.6 s each) made fixture set-up the slowest part of the suite.
CHEAP_PASSWORDS = (1, 8 * 1024)


@pytest.fixture(scope="session", autouse=True)
def cheap_passwords() -> None:
    use_password_policy(*CHEAP_PASSWORDS)


@pytest.fixture
def settings(tmp_path: Path, database_url: str, mqtt_settings: MqttSettings) -> Settings:
    return Settings(
        env="test",
        database=DatabaseSettings(url=database_url, wait_timeout_s=5),
        mqtt=mqtt_settings,
        audio=AudioSettings(storage_dir=tmp_path / "audio"),
        web=WebSettings(password_time_cost=CHEAP_PASSWORDS[0], password_memory_kib=CHEAP_PASSWORDS[1]),
        # Offline: the edge-tts cloud is not reachable from tests (its stand-in is injected where needed).
        tts=TtsSettings(engine="espeak"),
        scheduler=SchedulerSettings(**quiet_hours_elsewhere()),
        fleet=FleetSettings(command_key_file=tmp_path / "command-signing-key.pem"),
        source_link=SourceLinkSettings(signing_key_file=tmp_path / "source-link-key.pem"),
        node=NodeSettings(
            broker_host=mqtt_settings.host,
            broker_port=mqtt_settings.port,
            # Short intervals so that tests never wait on a default meant for the field.
            playlist_poll_interval_s=2.0,
            notice_jitter_s=0.5,
            keepalive_s=5,
            reconnect_min_s=0.2,
            reconnect_max_s=1.0,
            publish_timeout_s=5.0,
        ),
    )


@pytest.fixture
def controller(settings: Settings, broker: MosquittoProcess) -> Iterator[ControllerServer]:
    server = ControllerServer(settings)
    server.start()
    assert server.services.link is not None and server.services.link.wait_connected(10)
    yield server
    server.stop()


@pytest.fixture
def admin(settings: Settings, controller: ControllerServer) -> Iterator[Api]:
    add_user_directly(settings, "admin", Role.ADMIN, ADMIN_PASSWORD)
    api = login(controller.base_url, "admin", ADMIN_PASSWORD)
    yield api
    api.client.close()


# Signs the nginx fixture's links (a test's own value, so tests can sign and tamper with links themselves).
CONTENT_SECRET = "content-link-test-secret"


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[NginxServer]:
    """A private nginx on a free port with a generated config (devices/nginx.py): it serves the test's
    audio store (`tmp_path/audio`, as in `settings`) and the playlist files under `tmp_path/content`. A
    controller given `nginx.settings` as its `content` section writes those files and signs links for it."""
    content = ContentSettings(
        enabled=True,
        start_nginx=False,
        port=free_port(),
        directory=tmp_path / "content",
        secret=CONTENT_SECRET,
        workers=1,
        max_connections=256,
    )
    with NginxServer(content, CONTENT_SECRET, tmp_path / "audio") as server:
        yield server


@pytest.fixture
def live_controller(
    settings: Settings, broker: MosquittoProcess, tmp_path: Path
) -> Iterator[tuple[ControllerServer, IcecastServer]]:
    """The controller with live broadcasts on, and the private Icecast its live mounts go through: listeners
    authenticated by the controller (Icecast's URL authentication), so only targeted nodes hear a session."""
    port = free_port()
    auth_url = f"http://127.0.0.1:{port}/api/v1/live/listeners?key={listener_key(settings)}"
    ice = IcecastSettings(directory=tmp_path / "icecast-live", max_clients=200, listener_auth_url=auth_url)
    with IcecastServer(ice) as server:
        live = settings.live.model_copy(
            update={"icecast": ice.model_copy(update={"port": server.port, "source_password": server.source_password})}
        )
        controller = ControllerServer(settings.model_copy(update={"live": live}), port=port)
        controller.start()
        assert controller.services.link is not None and controller.services.link.wait_connected(10)
        yield controller, server
        controller.stop()


@pytest.fixture
def icecast(tmp_path: Path) -> Iterator[IcecastServer]:
    """A private Icecast 2 on a free port with a generated config and passwords (devices/icecast.py)."""
    with IcecastServer(IcecastSettings(directory=tmp_path / "icecast", max_clients=200)) as server:
        yield server


@pytest.fixture
def load_balancer(tmp_path: Path) -> Iterator[Callable[[Sequence[str]], HaproxyServer]]:
    """Starts a private haproxy on a free port in front of the given backends (`host:port` each; the
    controller instances a test started), with a generated config (tests/haproxy.py): health checks on
    `/api/v1/health`, round robin, the answering instance named in `X-Loaxa-Backend`. Stopped after the test."""
    started: list[HaproxyServer] = []

    def start(backends: Sequence[str]) -> HaproxyServer:
        server = HaproxyServer(tmp_path / f"haproxy-{len(started) + 1}", backends)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
