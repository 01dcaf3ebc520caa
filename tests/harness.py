"""Real services for tests: a migrated database, a private broker, the controller on a real port, nodes."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as paho
import pytest
import uvicorn
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url

from controller.accounts import Role, UserCreate
from controller.api.users import create_user_from
from controller.app import create_app, server_config
from controller.db import make_engine, session_factory
from controller.migrate import upgrade
from controller.services import Services
from controller.settings import Settings
from devices.mosquitto import free_port
from devices.proof_of_play import PlayRecord
from devices.settings import MqttSettings
from firmware_sim import Fleet, NodeIdentity, NodeSettings

POSTGRES_ENV = "LOAXA_TEST_POSTGRES_URL"


def database_backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(POSTGRES_ENV) else ["sqlite"]


class _Templates:
    """One migrated database per backend and test process, copied for each test: migrating from scratch
    (fourteen revisions) cost more than most tests themselves. SQLite: a file copied; PostgreSQL: a database
    made with `CREATE DATABASE ... TEMPLATE`. Removed when the process ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sqlite: Path | None = None
        self._postgres: str | None = None

    def sqlite(self) -> Path:
        with self._lock:
            if self._sqlite is None:
                directory = Path(tempfile.mkdtemp(prefix="loaxa-template-"))
                atexit.register(shutil.rmtree, directory, True)
                upgrade(f"sqlite:///{directory / 'template.db'}")
                self._sqlite = directory / "template.db"
            return self._sqlite

    def postgres(self, admin: Engine, server_url: URL) -> str:
        with self._lock:
            if self._postgres is None:
                name = f"loaxa_template_{uuid.uuid4().hex[:12]}"
                with admin.connect() as connection:
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
                upgrade(server_url.set(database=name).render_as_string(hide_password=False))
                atexit.register(_drop_database, server_url, name)
                self._postgres = name
            return self._postgres


def _drop_database(server_url: URL, name: str) -> None:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


_templates = _Templates()


@contextlib.contextmanager
def fresh_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A new, migrated, empty database (a copy of this process's migrated template); PostgreSQL ones are
    dropped afterwards."""
    if backend == "sqlite":
        path = tmp_path / "loaxa.db"
        shutil.copyfile(_templates.sqlite(), path)
        yield f"sqlite:///{path}"
        return
    server_url = make_url(os.environ[POSTGRES_ENV])
    name = f"loaxa_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    template = _templates.postgres(admin, server_url)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = server_url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class ControllerServer:
    """The real FastAPI app under uvicorn, on a free port, in a background thread."""

    def __init__(
        self, settings: Settings, services_factory: Callable[[Settings], Services] | None = None, *, port: int = 0
    ) -> None:
        self.settings = settings
        self.app = create_app(settings, services_factory=services_factory)
        # The same uvicorn configuration as `loaxa serve` (forwarded headers, trusted proxies); port 0: a free one.
        self._server = uvicorn.Server(server_config(self.app, settings, host="127.0.0.1", port=port))
        self._thread = threading.Thread(target=self._server.run, name="controller", daemon=True)
        self.base_url = ""

    @property
    def services(self) -> Services:
        services: Services = self.app.state.services
        return services

    def start(self, timeout_s: float = 20.0) -> None:
        self._thread.start()
        ready = threading.Event()
        for _ in range(int(timeout_s * 20)):
            if self._server.started:
                ready.set()
                break
            if not self._thread.is_alive():
                break
            self._thread.join(0.05)
        if not ready.is_set():
            raise RuntimeError("controller did not start")
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(15)


class ControllerProcess:
    """`python -m controller serve` as a real process on a fixed port, so a test can kill -9 and restart it.

    `env` holds the LOAXA_* variables; the process logs to `<log_dir>/controller-<n>.log`.
    """

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = {**os.environ, **env}
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_dir = log_dir
        self.starts = 0
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 30.0) -> None:
        self.starts += 1
        log = (self.log_dir / f"controller-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "controller", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        if not wait_until(self._ready, timeout_s, interval_s=0.1):
            raise RuntimeError(f"controller did not start; see {self.log_dir}")

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"controller exited with {self.process.returncode}; see {self.log_dir}")
        try:
            return bool(httpx.get(self.base_url + "/api/v1/health", timeout=1).json().get("mqtt"))
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, as on a power cut."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)


# The marks of a test that runs several controller instances: they need PostgreSQL (SQLite refuses a
# second instance), so the test runs once, on PostgreSQL, and is skipped, saying why, without it.
SEVERAL_INSTANCES = [
    pytest.mark.skipif(
        not os.environ.get(POSTGRES_ENV),
        reason=f"needs PostgreSQL: set {POSTGRES_ENV} (several instances cannot share SQLite, which refuses a second)",
    ),
    pytest.mark.one_database("postgresql", why="several instances need PostgreSQL; SQLite refuses a second one"),
]


@contextlib.contextmanager
def controller_instances(
    settings: Settings, directory: Path, env: dict[str, str] | None = None, *, count: int = 2
) -> Iterator[list[ControllerProcess]]:
    """`count` controller processes on one database and broker, started in order and stopped at the end.

    Each has its own broker account (`loaxa-controller-<n>` after the first, all listed as service
    usernames, so they share node messages) and its own directory (`instance-<n>`: logs, and the
    content directory when `LOAXA_CONTENT__ENABLED`)."""
    names = [settings.mqtt.username, *(f"loaxa-controller-{n}" for n in range(2, count + 1))]
    common = controller_env(settings) | {"LOAXA_MQTT__SERVICE_USERNAMES": ",".join(names)} | (env or {})
    processes = []
    for number, name in enumerate(names, start=1):
        own = directory / f"instance-{number}"
        own.mkdir()
        mine = {"LOAXA_MQTT__USERNAME": name, "LOAXA_CONTENT__DIRECTORY": str(own / "content")}
        processes.append(ControllerProcess(common | mine, own))
    try:
        for process in processes:
            process.start()
        yield processes
    finally:
        for process in processes:
            process.stop()


def controller_env(settings: Settings) -> dict[str, str]:
    """The LOAXA_* variables that make a controller process match `settings` (database, broker, audio)."""
    mqtt = settings.mqtt
    assert mqtt.password_file and mqtt.acl_file and mqtt.broker_pid_file
    sched = settings.scheduler
    return {
        "LOAXA_ENV": "test",
        "LOAXA_LOG_LEVEL": "INFO",
        "LOAXA_DATABASE__URL": settings.database.url,
        "LOAXA_MQTT__PORT": str(mqtt.port),
        "LOAXA_MQTT__PASSWORD": mqtt.password.get_secret_value(),
        "LOAXA_MQTT__PASSWORD_FILE": str(mqtt.password_file),
        "LOAXA_MQTT__ACL_FILE": str(mqtt.acl_file),
        "LOAXA_MQTT__BROKER_PID_FILE": str(mqtt.broker_pid_file),
        "LOAXA_AUDIO__STORAGE_DIR": str(settings.audio.storage_dir),
        "LOAXA_FLEET__COMMAND_KEY_FILE": str(settings.fleet.command_key_file),
        "LOAXA_SOURCE_LINK__SIGNING_KEY_FILE": str(settings.source_link.signing_key_file),
        "LOAXA_TTS__ENGINE": "espeak",
        "LOAXA_SCHEDULER__QUIET_START": sched.quiet_start.isoformat(),
        "LOAXA_SCHEDULER__QUIET_END": sched.quiet_end.isoformat(),
        # A process killed with SIGKILL leaves its lease to lapse: a restart on PostgreSQL leads within 3 s.
        "LOAXA_SCHEDULER__LEADER_LEASE_S": "3",
        "LOAXA_SCHEDULER__LEADER_RENEW_S": "1",
    }


class FleetRunner:
    """Simulated nodes (the real agent) on their own event loop in a background thread."""

    def __init__(self, template: NodeSettings, identities: list[NodeIdentity], state_root: Path) -> None:
        self.fleet = Fleet(template, identities, state_root)
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), name="fleet", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        task = asyncio.create_task(self.fleet.run())
        self._ready.set()
        await self._stop.wait()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)

    def wait_connected(self, timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.fleet.connected == len(self.fleet.agents):
                return
            time.sleep(0.05)
        raise TimeoutError(f"only {self.fleet.connected}/{len(self.fleet.agents)} nodes connected")

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(15)


@dataclass
class Api:
    """An HTTP client logged in as one user."""

    client: httpx.Client
    username: str

    def post(self, path: str, json: Any = None) -> httpx.Response:
        return self.client.post(path, json=json)

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)


def login(base_url: str, username: str, password: str) -> Api:
    client = httpx.Client(base_url=base_url, timeout=60)
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    response.raise_for_status()
    client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return Api(client=client, username=username)


def add_user_directly(settings: Settings, username: str, role: Role, password: str, **scope: Any) -> None:
    """Create a user straight in the database (how an installation gets its first admin)."""
    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        create_user_from(session, UserCreate(username=username, role=role, password=password, **scope))
        session.commit()
    engine.dispose()


def staff(
    settings: Settings,
    base_url: str,
    request: pytest.FixtureRequest,
    *,
    commune: str | None = None,
    province: str | None = None,
) -> tuple[Api, Api]:
    """An officer and an approver of the commune (or of the whole province), logged in, closed after the test."""
    scope: dict[str, Any] = {"province_code": province} if province else {"commune_codes": [commune]}
    add_user_directly(settings, "canbo", Role.OFFICER, "officer-pass-1", **scope)
    add_user_directly(settings, "duyet", Role.APPROVER, "approver-pass-1", **scope)
    officer = login(base_url, "canbo", "officer-pass-1")
    approver = login(base_url, "duyet", "approver-pass-1")
    for api in (officer, approver):
        request.addfinalizer(api.client.close)
    return officer, approver


def setup_commune(admin: Api, province: str, commune: str, clusters: list[str]) -> list[NodeIdentity]:
    """Create the province (if new), the commune and its clusters through the API; return node identities."""
    response = admin.post("/api/v1/provinces", {"code": province, "name": f"Tỉnh {province}"})
    assert response.status_code in (201, 409), response.text
    response = admin.post(f"/api/v1/provinces/{province}/communes", {"code": commune, "name": f"Xã {commune}"})
    assert response.status_code == 201, response.text
    identities = []
    for code in clusters:
        response = admin.post(f"/api/v1/communes/{commune}/devices", {"code": code, "name": f"Cụm {code}"})
        assert response.status_code == 201, response.text
        creds = response.json()["credentials"]
        assert creds["username"] == creds["client_id"] == code and len(creds["password"]) >= 24
        identities.append(NodeIdentity(code, commune, creds["password"]))
    return identities


def approved_bulletin(
    officer: Api, approver: Api, commune: str, title: str, body: str, *, priority: str = "normal"
) -> tuple[int, str]:
    """Write, submit and approve a bulletin through the API; return its id and audio sha256."""
    response = officer.post(
        "/api/v1/bulletins", {"commune_code": commune, "title": title, "body": body, "priority": priority}
    )
    assert response.status_code == 201, response.text
    bulletin_id = int(response.json()["id"])
    assert officer.post(f"/api/v1/bulletins/{bulletin_id}/submit").status_code == 200
    response = approver.post(f"/api/v1/bulletins/{bulletin_id}/approve")
    assert response.status_code == 200, response.text
    return bulletin_id, str(response.json()["audio_sha256"])


def read_playlog(path: Path) -> list[dict[str, Any]]:
    """The file sink's playlog of one node (empty before anything played)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


class Probe:
    """A bare paho client standing in for a node, to see what the broker allows."""

    def __init__(self, settings: MqttSettings, username: str, password: str, client_id: str | None = None) -> None:
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id or username)
        self.client.username_pw_set(username, password)
        self.connected = threading.Event()
        self.refused: list[str] = []
        self.messages: list[tuple[str, bytes]] = []
        self.got = threading.Event()
        self.subscribed = threading.Event()
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.settings = settings

    def subscribe(self, topic: str) -> None:
        """Subscribe and wait for the broker's SUBACK, so nothing published next can be missed."""
        self.subscribed.clear()
        self.client.subscribe(topic, qos=1)
        assert self.subscribed.wait(5), f"no SUBACK for {topic}"

    def _on_connect(self, client: paho.Client, userdata: object, flags: object, rc: object, props: object) -> None:
        if getattr(rc, "is_failure", False):
            self.refused.append(str(rc))
        else:
            self.connected.set()

    def _on_message(self, client: paho.Client, userdata: object, message: paho.MQTTMessage) -> None:
        self.messages.append((message.topic, bytes(message.payload)))
        self.got.set()

    def connect(self) -> bool:
        self.client.connect(self.settings.host, self.settings.port, keepalive=10)
        self.client.loop_start()
        return self.connected.wait(3)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def wait_until(condition: Callable[[], bool], timeout_s: float, interval_s: float = 0.05) -> bool:
    """Poll a condition that no event announces (a file appearing, a row arriving); True once it holds."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval_s)
    return condition()


def play_record(
    device_id: int,
    commune_code: str,
    report_id: str,
    start: datetime,
    *,
    seconds: float = 30.0,
    item_id: str = "b1",
    sha256: str = "c" * 64,
    outcome: str = "played",
    flag_reason: str | None = None,
    started_at: datetime | None = None,
) -> PlayRecord:
    """A proof-of-play report as a node makes it (playlist version 1, no start error), to store directly."""
    began = started_at or start
    return PlayRecord(
        report_id=report_id,
        device_id=device_id,
        commune_code=commune_code,
        playlist_version=1,
        item_id=item_id,
        asset_sha256=sha256,
        played_sha256=sha256,
        scheduled_start=start,
        started_at=began,
        ended_at=began + timedelta(seconds=seconds),
        start_error_ms=0,
        outcome=outcome,
        flag_reason=flag_reason,
    )
