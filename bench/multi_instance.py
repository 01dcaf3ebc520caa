"""Benchmark: several `loaxa serve` instances on one PostgreSQL and one mosquitto, behind haproxy.

Each instance is its own process, as deployed; haproxy (tests/haproxy.py: round robin, health checks)
is the one address the load goes to. Three measurements:

- **requests/s** through haproxy with 1, 2 and 4 instances, from `wrk` (2 threads, 50 connections kept
  alive): a console page as a logged-in officer (`/xa/<commune>/lich-phat`, the commune's playlist), and
  a node's unchanged-playlist poll (HTTP Basic + `If-None-Match`, answered 304). With each figure, every
  instance's CPU over the run (100 % = one core).
- **failover**: two instances with the production lease (`LEADER_LEASE_S` 15, `LEADER_RENEW_S` 3, or
  `--lease-s`); broadcasts enter the playlist's horizon every few seconds, so the leader's republication
  job publishes a new version each time. The leader is killed with SIGKILL; measured from the kill until
  the other instance says it leads (`/api/v1/health`), and until the first playlist version it publishes
  (its first job run that leaves a trace).
- **heartbeats** with two instances: node accounts publish heartbeats (QoS 0, as nodes do) at a given rate
  for a window; every instance receives every heartbeat (a plain subscription). Measured: the rate sent,
  each instance's CPU and the broker's over the window, and how long after the window the leader had
  handled every cluster's last heartbeat (it reports a fault: the leader's summary then counts every
  cluster degraded). A backlog would show as seconds here.

Needs PostgreSQL (several instances cannot share SQLite), haproxy and wrk (Debian packages):

  LOAXA_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
    .venv/bin/python -m bench.multi_instance [--instances 1,2,4] [--seconds 5] [--heartbeat-rates 333,1000]

On a machine with 2 cores, the load generator, haproxy, the broker, PostgreSQL and 4 instances share
them: the figures say how the parts compare, not what a server does.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiomqtt
import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from audio_library import AudioSettings
from bench.process_stats import cpu_percent, sample
from controller.accounts import Role, UserCreate
from controller.api.users import create_user_from
from controller.db import make_engine, session_factory
from controller.demo import quiet_hours_elsewhere
from controller.migrate import upgrade
from controller.settings import DatabaseSettings, Settings
from devices.mosquitto import MosquittoProcess
from devices.protocol import AmplifierState, Heartbeat, device_heartbeat_topic, encode
from devices.registry import add_commune, add_device, add_province
from devices.settings import FleetSettings, MqttSettings
from province_link import SourceLinkSettings
from schedules import SchedulerSettings
from tests.console import ConsoleClient
from tests.haproxy import HaproxyServer, server_name
from tests.harness import ControllerProcess, approved_bulletin, controller_env, login

COMMUNE = "XA-BENCH"
PASSWORD = "bench-password-1"
POSTGRES_ENV = "LOAXA_TEST_POSTGRES_URL"


@dataclass
class Installation:
    root: Path
    settings: Settings
    clusters: list[tuple[str, str]]  # (code, password)


@contextlib.contextmanager
def installation(server_url: str, clusters: int) -> Iterator[Installation]:
    """A fresh PostgreSQL database (migrated, dropped afterwards), a private mosquitto, a commune with
    `clusters` clusters, and an officer, an approver and an admin."""
    root = Path(tempfile.mkdtemp(prefix="loaxa-bench-multi-"))
    name = f"loaxa_bench_{uuid.uuid4().hex[:12]}"
    server = make_url(server_url)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    mqtt = MosquittoProcess.settings_for(root / "broker", MqttSettings(password="bench-mqtt"))
    settings = Settings(
        env="test",
        database=DatabaseSettings(url=url),
        mqtt=mqtt,
        audio=AudioSettings(storage_dir=root / "audio"),
        fleet=FleetSettings(command_key_file=root / "command.key"),
        source_link=SourceLinkSettings(signing_key_file=root / "source-link.key"),
        # The failover run airs bulletins seconds ahead, at any hour: keep quiet hours away from now.
        scheduler=SchedulerSettings(**quiet_hours_elsewhere()),
    )
    try:
        upgrade(url)
        engine = make_engine(settings.database)
        accounts = []
        with session_factory(engine)() as session:
            province = add_province(session, "P", "Tỉnh")
            commune = add_commune(session, province, COMMUNE, "Xã")
            for n in range(clusters):
                _, credentials = add_device(session, commune, f"B-{n:04d}", hash_iterations=1000)
                accounts.append((credentials.username, credentials.password))
            for username, role in (("canbo", Role.OFFICER), ("duyet", Role.APPROVER)):
                create_user_from(
                    session, UserCreate(username=username, role=role, password=PASSWORD, commune_codes=[COMMUNE])
                )
            create_user_from(session, UserCreate(username="admin", role=Role.ADMIN, password=PASSWORD))
            session.commit()
        engine.dispose()
        with MosquittoProcess(root / "broker", mqtt):
            yield Installation(root, settings, accounts)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def instances(
    setup: Installation, count: int, extra: dict[str, str] | None = None
) -> Iterator[tuple[list[ControllerProcess], HaproxyServer]]:
    """`count` controller processes, each with its own broker account, and haproxy in front of them."""
    names = [f"loaxa-controller-{n}" for n in range(1, count + 1)]
    env = controller_env(setup.settings) | {
        "LOAXA_LOG_LEVEL": "WARNING",
        "LOAXA_MQTT__SERVICE_USERNAMES": ",".join(names),
        "LOAXA_WEB__TRUSTED_PROXIES": "127.0.0.1",
        # The production lease, unless the caller says otherwise (controller_env shortens it for tests).
        "LOAXA_SCHEDULER__LEADER_LEASE_S": "15",
        "LOAXA_SCHEDULER__LEADER_RENEW_S": "3",
        **(extra or {}),
    }
    run = setup.root / f"run-{uuid.uuid4().hex[:6]}"
    processes = []
    for name in names:
        (run / name).mkdir(parents=True)
        processes.append(ControllerProcess(env | {"LOAXA_MQTT__USERNAME": name}, run / name))
    balancer = HaproxyServer(run / "haproxy", [f"127.0.0.1:{p.port}" for p in processes])
    try:
        for process in processes:
            process.start(timeout_s=60)
        balancer.start()
        wanted = {server_name(i) for i in range(count)}
        deadline = time.monotonic() + 15
        while balancer.up() != wanted and time.monotonic() < deadline:
            time.sleep(0.2)
        yield processes, balancer
    finally:
        balancer.stop()
        for process in processes:
            process.stop()


def wrk(url: str, headers: dict[str, str], seconds: float) -> float:
    """Requests per second from `wrk` (2 threads, 50 connections); every answer must be below 400."""
    command = ["wrk", "-t2", "-c50", f"-d{seconds:.0f}s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    match = re.search(r"Requests/sec:\s+([0-9.]+)", done.stdout)
    if match is None or "Non-2xx or 3xx responses" in done.stdout or "Socket errors" in done.stdout:
        raise RuntimeError(done.stdout)
    return float(match.group(1))


def measured(processes: list[ControllerProcess], url: str, headers: dict[str, str], seconds: float) -> str:
    pids = [p.process.pid for p in processes if p.process is not None]
    before = [sample(pid) for pid in pids]
    began = time.monotonic()
    rate = wrk(url, headers, seconds)
    wall = time.monotonic() - began
    cpu = [cpu_percent(b, sample(pid), wall) for b, pid in zip(before, pids, strict=True)]
    return f"{rate:,.0f} ({' / '.join(f'{c:.0f}' for c in cpu)})"


def requests_per_second(setup: Installation, counts: list[int], seconds: float) -> list[tuple[int, str, str]]:
    rows = []
    code, password = setup.clusters[0]
    for count in counts:
        with instances(setup, count) as (processes, balancer):
            officer = ConsoleClient(balancer.url)
            officer.login("canbo", PASSWORD)
            page = f"/xa/{COMMUNE}/lich-phat"
            assert officer.get(page).status_code == 200
            cookie = "; ".join(f"{name}={value}" for name, value in officer.client.cookies.items())
            officer.close()
            poll = httpx.get(f"{balancer.url}/api/v1/node/playlist", auth=(code, password), timeout=30)
            poll.raise_for_status()
            node_headers = {
                "Authorization": "Basic " + base64.b64encode(f"{code}:{password}".encode()).decode(),
                "If-None-Match": poll.headers["ETag"],
            }
            console = measured(processes, balancer.url + page, {"Cookie": cookie}, seconds)
            node = measured(processes, balancer.url + "/api/v1/node/playlist", node_headers, seconds)
            rows.append((count, console, node))
            print(f"{count} instance(s): console page {console}; node poll {node}", flush=True)
    return rows


def leads(process: ControllerProcess) -> bool:
    try:
        return bool(httpx.get(process.base_url + "/api/v1/health", timeout=1).json().get("leader"))
    except httpx.HTTPError:
        return False


def failover(setup: Installation, lease_s: float, renew_s: float) -> tuple[float, float]:
    """Seconds from the leader's SIGKILL until the other leads, and until it publishes a playlist version."""
    horizon_s, spacing_s, airings = 20.0, 3.0, 30
    extra = {
        "LOAXA_SCHEDULER__LEADER_LEASE_S": str(lease_s),
        "LOAXA_SCHEDULER__LEADER_RENEW_S": str(renew_s),
        # A horizon of seconds: the republication job (every second) publishes each airing as it enters.
        "LOAXA_SCHEDULER__PLAYLIST_HORIZON_H": str(horizon_s / 3600),
        "LOAXA_SCHEDULER__PUBLISH_LEAD_MIN": str(5 / 60),
        "LOAXA_SCHEDULER__REPUBLISH_INTERVAL_S": "1",
    }
    with instances(setup, 2, extra) as (processes, balancer):
        officer = login(balancer.url, "canbo", PASSWORD)
        approver = login(balancer.url, "duyet", PASSWORD)
        bulletin_id, _ = approved_bulletin(officer, approver, COMMUNE, "Thử", "Chào bà con.")
        first = datetime.now(UTC) + timedelta(seconds=horizon_s + 5)
        for n in range(airings):
            starts = first + timedelta(seconds=n * spacing_s)
            slot = {"bulletin_id": bulletin_id, "commune_code": COMMUNE, "starts_at": starts.isoformat()}
            officer.post("/api/v1/broadcasts", slot).raise_for_status()

        def version(process: ControllerProcess) -> int:
            answer = httpx.get(f"{process.base_url}/api/v1/communes/{COMMUNE}/playlist", headers=officer.client.headers)
            return int(answer.json()["version"]) if answer.status_code == 200 else 0

        leader = next(p for p in processes if leads(p))
        survivor = next(p for p in processes if p is not leader)
        deadline = time.monotonic() + 30
        while not any(item for item in officer.get(f"/api/v1/communes/{COMMUNE}/playlist").json()["items"]):
            if time.monotonic() > deadline:
                raise RuntimeError("the leader published nothing")
            time.sleep(0.2)
        time.sleep(2)
        leader.kill()
        killed = time.monotonic()
        at_kill = version(survivor)
        took_over = published = 0.0
        while time.monotonic() - killed < lease_s + 30 and not published:
            if not took_over and leads(survivor):
                took_over = time.monotonic() - killed
            if version(survivor) > at_kill:
                published = time.monotonic() - killed
            time.sleep(0.05)
        for api in (officer, approver):
            api.client.close()
    print(
        f"failover (lease {lease_s:g} s, renew {renew_s:g} s): leads after {took_over:.1f} s, "
        f"first publication after {published:.1f} s",
        flush=True,
    )
    return took_over, published


async def publish_heartbeats(setup: Installation, rate_per_s: float, seconds: float, pids: list[int]) -> list[float]:
    """Heartbeats from every cluster account (all connected first), spread evenly, for `seconds`.
    Returns the rate sent, then the CPU % of each of `pids` over that window."""
    mqtt = setup.settings.mqtt
    sent = 0
    per_client_s = len(setup.clusters) / rate_per_s  # each account's interval
    connected = 0
    everyone = asyncio.Event()
    window: list[float] = []  # its start and end

    def heartbeat(seq: int, amplifier: AmplifierState = "ok") -> Heartbeat:
        return Heartbeat(
            session_seq=1,
            sent_at=datetime.now(UTC),
            uptime_s=seq,
            firmware="bench",
            volume=80,
            amplifier=amplifier,
            storage_free_mb=1000,
        )

    async def node(code: str, password: str, offset_s: float) -> None:
        nonlocal sent, connected
        async with aiomqtt.Client(mqtt.host, mqtt.port, username=code, password=password, identifier=code) as client:
            connected += 1
            if connected == len(setup.clusters):
                everyone.set()
            await everyone.wait()
            await asyncio.sleep(offset_s)
            seq = 0
            began = time.monotonic()
            while time.monotonic() < window[1]:
                seq += 1
                await client.publish(device_heartbeat_topic(code), encode(heartbeat(seq)), qos=0)
                sent += 1
                await asyncio.sleep(max(0.0, began + seq * per_client_s - time.monotonic()))
            # The last one reports a fault: once the leader shows every cluster degraded, it has handled
            # everything sent before (one queue, in order).
            await client.publish(device_heartbeat_topic(code), encode(heartbeat(seq + 1, "fault")), qos=0)

    async def clock() -> list[float]:
        await everyone.wait()
        before = [sample(pid) for pid in pids]
        window.extend([time.monotonic(), time.monotonic() + seconds])
        await asyncio.sleep(seconds)
        wall = time.monotonic() - window[0]
        return [sent / wall] + [cpu_percent(b, sample(pid), wall) for b, pid in zip(before, pids, strict=True)]

    spread = per_client_s / len(setup.clusters)
    measuring = asyncio.create_task(clock())
    await asyncio.gather(*(node(code, pw, n * spread) for n, (code, pw) in enumerate(setup.clusters)))
    return await measuring


def heartbeats(setup: Installation, rates: list[float], seconds: float) -> list[tuple[float, str, float, float, int]]:
    rows = []
    with instances(setup, 2) as (processes, balancer):
        admin = login(balancer.url, "admin", PASSWORD)
        broker_pid = int(Path(str(setup.settings.mqtt.broker_pid_file)).read_text())
        pids = [p.process.pid for p in processes if p.process is not None] + [broker_pid]
        # Warm-up, not measured: every cluster's first heartbeat makes it online (a state the sweep writes).
        asyncio.run(publish_heartbeats(setup, min(rates), 3.0, pids))
        time.sleep(3)

        def degraded() -> int:
            return int(admin.get("/api/v1/fleet/summary").json()["degraded"])

        for rate in rates:
            sent_per_s, *cpu = asyncio.run(publish_heartbeats(setup, rate, seconds, pids))
            ended = time.monotonic()
            while degraded() < len(setup.clusters) and time.monotonic() - ended < 60:
                time.sleep(0.1)
            caught_up_s = time.monotonic() - ended
            count = degraded()
            row = (sent_per_s, " / ".join(f"{c:.0f}" for c in cpu[:-1]), cpu[-1], caught_up_s, count)
            rows.append(row)
            print(
                f"heartbeats {sent_per_s:,.0f}/s: instances' CPU {row[1]} %, broker {row[2]:.0f} %; "
                f"the leader had handled the last one of {count} of {len(setup.clusters)} clusters "
                f"{caught_up_s:.1f} s after the window",
                flush=True,
            )
        admin.client.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", default="1,2,4", help="instance counts for requests/s")
    parser.add_argument("--seconds", type=float, default=5.0, help="each wrk run")
    parser.add_argument("--heartbeat-rates", default="333,1000", help="heartbeats per second to send")
    parser.add_argument("--heartbeat-seconds", type=float, default=10.0)
    parser.add_argument("--clusters", type=int, default=200, help="cluster accounts sending heartbeats")
    parser.add_argument("--lease-s", type=float, default=15.0)
    parser.add_argument("--renew-s", type=float, default=3.0)
    parser.add_argument("--skip", default="", help="comma-separated: requests, failover, heartbeats")
    args = parser.parse_args()
    server_url = os.environ.get(POSTGRES_ENV)
    if not server_url:
        raise SystemExit(f"needs PostgreSQL: set {POSTGRES_ENV} (several instances cannot share SQLite)")
    skip = set(args.skip.split(","))
    with installation(server_url, args.clusters) as setup:
        if "requests" not in skip:
            requests_per_second(setup, [int(n) for n in args.instances.split(",")], args.seconds)
        if "failover" not in skip:
            failover(setup, args.lease_s, args.renew_s)
        if "heartbeats" not in skip:
            heartbeats(setup, [float(r) for r in args.heartbeat_rates.split(",")], args.heartbeat_seconds)


if __name__ == "__main__":
    main()
