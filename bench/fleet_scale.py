"""Benchmark: a province-sized fleet (2,000 or 10,000 simulated clusters) against mosquitto and the controller.

Everything runs on this machine, each part in its own process as deployed: a private mosquitto, the
controller (`loaxa serve`, SQLite), and the simulated fleet (one process, one event loop, like
`firmware_sim` fleet mode). Measured:

- fleet start: seconds until the controller has recorded every cluster online;
- heartbeat ingest: over a steady window, heartbeats stored per second, and the controller's CPU
  (percent of one core) and resident memory; mosquitto's CPU beside it;
- emergency command: a signed commune-wide `play_now` to every commune at once; seconds from issue
  until each cluster's acknowledgement was stored (p50, p99, max over clusters), and until its result;
- 304 pulls/s: unchanged-playlist polls per second on one controller process (wrk, 50 connections),
  while the fleet keeps running.

Usage: .venv/bin/python -m bench.fleet_scale --nodes 2000 [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session, col, func, select

from audio_library import AudioSettings
from bench.controller_process import start_controller
from bench.fleet_airtime import PASSWORD, percentile, pulls_per_second
from bench.process_stats import cpu_percent, sample
from controller.accounts import Role, UserCreate
from controller.api.users import create_user_from
from controller.db import make_engine, session_factory
from controller.fleet_provisioning import ensure_fleet_identities
from controller.migrate import upgrade
from controller.settings import DatabaseSettings, Settings
from devices.command_signing import CommandSigner
from devices.commands import DeviceCommand
from devices.mosquitto import MosquittoProcess
from devices.registry import Device, add_commune, add_province
from devices.settings import FleetSettings, MqttSettings
from firmware_sim import Fleet, NodeSettings, load_identities

PROVINCE = "TINH-BENCH"
# A commune has a few dozen to a hundred clusters; 100 per commune keeps the commune count realistic.
CLUSTERS_PER_COMMUNE = 100


def _commune_codes(nodes: int) -> list[str]:
    return [f"XA-{i:03d}" for i in range(max(1, -(-nodes // CLUSTERS_PER_COMMUNE)))]


# -- the fleet process ------------------------------------------------------------------------------


def fleet_worker(config_path: Path) -> None:
    """Run the fleet described by `config_path` until SIGTERM; then write every node's command acks
    (command id, the node's time of the ack) to `<config>.acks.json`, for the node-side latency."""
    config = json.loads(config_path.read_text())
    template = NodeSettings.model_validate(config["node"])
    fleet = Fleet(template, load_identities(Path(config["identities"])), Path(config["state_root"]))

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        task = asyncio.create_task(fleet.run())
        while not task.done() and not stop.is_set():
            print(f"connected {fleet.connected}", flush=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1)
        acks = [[a.command_id, a.at.isoformat()] for agent in fleet.agents for a in agent.command_acks]
        config_path.with_suffix(".acks.json").write_text(json.dumps(acks))
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())


def node_ack_latencies(path: Path, issued: dict[str, datetime]) -> list[float]:
    """Seconds from each command's issue to the node's own ack time, from the fleet's ack file."""
    if not path.exists():
        return []
    return [
        (datetime.fromisoformat(at) - issued[command_id]).total_seconds()
        for command_id, at in json.loads(path.read_text())
        if command_id in issued
    ]


# -- the benchmark ----------------------------------------------------------------------------------


def run(nodes: int, heartbeat_s: float, window_s: float) -> dict[str, float]:
    root = Path(tempfile.mkdtemp(prefix="loaxa-bench-scale-"))
    mqtt = MosquittoProcess.settings_for(root / "broker", MqttSettings(password="bench-mqtt"))
    communes = _commune_codes(nodes)
    settings = Settings(
        env="test",
        database=DatabaseSettings(url=f"sqlite:///{root / 'loaxa.db'}"),
        mqtt=mqtt,
        audio=AudioSettings(storage_dir=root / "audio"),
        # Every cluster downloads the emergency audio before it reports its result: give the whole fleet
        # time to, so the result latency is measured rather than cut off by the 30 s field default.
        fleet=FleetSettings(
            heartbeat_interval_s=heartbeat_s, command_key_file=root / "command-key.pem", command_timeout_s=600
        ),
        # Polls every 10 minutes: notices do the real work; a field node polls once a minute, but at
        # 10,000 nodes in one process the poll would measure the simulator's HTTP client, not the controller.
        node=NodeSettings(broker_port=mqtt.port, playlist_poll_interval_s=600, keepalive_s=60),
    )
    upgrade(settings.database.url)
    engine = make_engine(settings.database)
    sessions = session_factory(engine)
    with sessions() as session:
        province = add_province(session, PROVINCE, "Tỉnh thử tải")
        for code in communes:
            add_commune(session, province, code, f"Xã {code}")
        create_user_from(
            session, UserCreate(username="admin", role=Role.ADMIN, password=PASSWORD, province_code=PROVINCE)
        )
        session.commit()
    broker = MosquittoProcess(root / "broker", mqtt)
    broker.start()
    began = time.monotonic()
    ensure_fleet_identities(settings, root / "ids.json", nodes, communes, prefix="S")
    results: dict[str, float] = {"nodes": nodes, "communes": len(communes), "provision_s": time.monotonic() - began}
    print(f"{nodes} clusters registered in {results['provision_s']:.1f} s", file=sys.stderr, flush=True)
    server, base_url = start_controller(settings)
    worker_config = root / "fleet.json"
    # Every simulated node fsyncs its nonce, volume and report files, as a real node does on its own
    # SD card. Thousands of nodes sharing this machine's one disk would queue behind each other's
    # fsyncs, so their state lives in memory (tmpfs) when the machine has one: what is measured is the
    # protocol and the controller, not one disk serving a province.
    shm = Path("/dev/shm")
    fleet_root = Path(tempfile.mkdtemp(prefix="loaxa-fleet-", dir=shm)) if shm.is_dir() else root / "fleet"
    public_key = CommandSigner.load_or_create(settings.fleet.command_key_file).public_key_b64
    template = settings.node.model_copy(
        update={"controller_url": base_url, "heartbeat_interval_s": heartbeat_s, "command_public_key": public_key}
    ).model_dump(mode="json")
    template["password"] = ""
    worker_config.write_text(
        json.dumps({"node": template, "identities": str(root / "ids.json"), "state_root": str(fleet_root)})
    )
    fleet = subprocess.Popen(
        [sys.executable, "-m", "bench.fleet_scale", "--fleet-worker", str(worker_config)],
        stdout=subprocess.DEVNULL,
    )

    def count(session: Session, query: Any) -> int:
        return int(session.exec(query).one())

    issued: dict[str, datetime] = {}
    try:
        started = time.monotonic()
        online = select(func.count()).select_from(Device).where(Device.state == "online")
        while True:
            with sessions() as session:
                if count(session, online) >= nodes:
                    break
            if fleet.poll() is not None:
                raise RuntimeError("the fleet process exited")
            time.sleep(0.2)
        results["fleet_start_s"] = time.monotonic() - started
        print(f"all online after {results['fleet_start_s']:.1f} s", file=sys.stderr, flush=True)

        # Steady state: let the start-up burst (births, first pulls) settle, then watch one window.
        time.sleep(min(10.0, heartbeat_s))
        c0, b0, t0 = sample(server.pid), sample(broker.process.pid), time.monotonic()  # type: ignore[union-attr]
        time.sleep(window_s)
        c1, b1, t1 = sample(server.pid), sample(broker.process.pid), time.monotonic()  # type: ignore[union-attr]
        results["controller_cpu_pct"] = cpu_percent(c0, c1, t1 - t0)
        results["controller_rss_mb"] = c1.rss_mb
        results["broker_cpu_pct"] = cpu_percent(b0, b1, t1 - t0)
        results["heartbeats_per_s"] = nodes / heartbeat_s

        metrics, issued = emergency_command(base_url, communes, nodes, sessions)
        results.update(metrics)
        identity = load_identities(root / "ids.json")[0]
        results["pulls_304_per_s"] = asyncio.run(pulls_per_second(base_url, identity.device_code, identity.password))
    finally:
        fleet.terminate()
        try:
            fleet.wait(60)
        except subprocess.TimeoutExpired:
            fleet.kill()
            fleet.wait(30)
        shutil.rmtree(fleet_root, ignore_errors=True)
        server.terminate()
        server.wait(30)
        broker.stop()
        engine.dispose()
    node_acks = node_ack_latencies(worker_config.with_suffix(".acks.json"), issued)
    if node_acks:
        results["node_ack_p50_s"] = statistics.median(node_acks)
        results["node_ack_p99_s"] = percentile(node_acks, 0.99)
    return results


def emergency_command(
    base_url: str, communes: list[str], nodes: int, sessions: Any
) -> tuple[dict[str, float], dict[str, datetime]]:
    """A signed `play_now` of one emergency recording to every commune at once, as a province would send it.

    Latencies are per cluster, from the controller's issue time to the ack (or result) it stored, so
    they include the broker's fan-out, each node's signature check, and the controller's ingest.
    """
    with httpx.Client(base_url=base_url, timeout=300) as client:
        token = client.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        preview = client.post(
            "/api/v1/speech/preview",
            headers=headers,
            json={"text": "Khẩn cấp: bão số ba sắp đổ bộ, bà con vào nơi trú ẩn."},
        )
        preview.raise_for_status()
        sha = preview.json()["sha256"]

        def issue(commune: str) -> str:
            response = client.post(
                f"/api/v1/communes/{commune}/commands", headers=headers, json={"name": "play_now", "asset_sha256": sha}
            )
            response.raise_for_status()
            return str(response.json()["command_id"])

        with ThreadPoolExecutor(max_workers=8) as pool:
            command_ids = list(pool.map(issue, communes))
    print(f"emergency sent to {len(communes)} communes", file=sys.stderr, flush=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        with sessions() as session:
            rows = session.exec(select(DeviceCommand).where(col(DeviceCommand.command_id).in_(command_ids))).all()
        if len(rows) >= nodes and all(r.finished_at is not None for r in rows):
            break
        time.sleep(0.5)
    acks = [(r.acked_at - r.issued_at).total_seconds() for r in rows if r.acked_at is not None]
    done = [
        (r.finished_at - r.issued_at).total_seconds()
        for r in rows
        if r.finished_at is not None and r.status == "succeeded"
    ]
    if len(acks) < nodes:
        print(f"only {len(acks)} of {nodes} clusters acknowledged", file=sys.stderr, flush=True)
    issued: dict[str, datetime] = {}
    for r in rows:
        issued[r.command_id] = min(issued.get(r.command_id, r.issued_at), r.issued_at)
    return {
        "acked": len(acks),
        "ack_p50_s": statistics.median(acks),
        "ack_p99_s": percentile(acks, 0.99),
        "ack_max_s": max(acks),
        "succeeded": len(done),
        "result_p50_s": statistics.median(done) if done else float("nan"),
        "result_p99_s": percentile(done, 0.99) if done else float("nan"),
    }, issued


def _row(r: dict[str, float]) -> str:
    return (
        f"| {datetime.now(UTC):%Y-%m-%d} | {r['nodes']:.0f} | {r['fleet_start_s']:.0f} | "
        f"{r['heartbeats_per_s']:.0f} | {r['controller_cpu_pct']:.0f} / {r['controller_rss_mb']:.0f} | "
        f"{r['broker_cpu_pct']:.0f} | {r.get('node_ack_p50_s', float('nan')):.2f} / "
        f"{r.get('node_ack_p99_s', float('nan')):.2f} | "
        f"{r['ack_p50_s']:.2f} / {r['ack_p99_s']:.2f} / {r['ack_max_s']:.2f} | "
        f"{r['result_p50_s']:.1f} / {r['result_p99_s']:.1f} | "
        f"{r['pulls_304_per_s']:.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--heartbeat-s", type=float, default=30.0, help="heartbeat interval (field default 30 s)")
    parser.add_argument("--window-s", type=float, default=60.0, help="steady-state window for CPU and memory")
    parser.add_argument("--write", help="append a result row to this markdown file")
    parser.add_argument("--fleet-worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fleet_worker:
        fleet_worker(args.fleet_worker)
        return
    r = run(args.nodes, args.heartbeat_s, args.window_s)
    print(json.dumps(r, indent=1))
    row = _row(r)
    print(row)
    if args.write:
        with open(args.write, "a", encoding="utf-8") as out:
            out.write(row + "\n")
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")


if __name__ == "__main__":
    main()
