"""Benchmark: a province-sized fleet (1,000 to 10,000 simulated clusters) against mosquitto and the controller.

Everything runs on this machine, each part in its own process as deployed: a private mosquitto, the
controller (`loaxa serve`, SQLite), and the simulated fleet spread over P processes, one event loop each
(`firmware_sim.FleetProcesses`, as `loaxa fleet --processes P`). For each --nodes value, in one run:

- raw broker fan-out (first, before the controller starts): one plain QoS 1 publish per commune from the
  same mosquitto to N plain aiomqtt clients over the same P processes; seconds from the publish until
  each client had it (p50, p99, max; bench/raw_fanout.py). The controller's figures below are also given
  as a ratio to this p99;
- fleet start: seconds until the controller has recorded every cluster online;
- heartbeat ingest: over a steady window, the controller's CPU (percent of one core) and resident
  memory, mosquitto's CPU, and each fleet process's CPU (the simulator's headroom);
- emergency command with a new recording: a signed commune-wide `play_now` of a just-approved bulletin to
  every commune at once; seconds from issue until each cluster's acknowledgement was stored (p50, p99,
  max), and until the cluster reported the emergency on air (p50, p99; clusters that never did within
  600 s); each fleet process's CPU meanwhile;
- emergency command with a stock message: the same, naming the approved `storm` warning that every node
  keeps pinned (`loaxa stock seed` before the controller starts; the clock starts once every node holds
  the library), so nothing is downloaded: on air p50/p99 and clusters that never aired it;
- emergency order with a stock message (`POST /emergencies` for the province, as an officer orders it):
  how long the order and the publication of every commune's playlist took, then seconds from the order
  until each cluster's reported start (the order starts `scheduler.emergency_dispatch_lead_s` after it
  is issued, the "lead" in the table), and clusters that never aired it;
- 304 pulls/s: unchanged-playlist polls per second on one controller process (wrk, 50 connections),
  while the fleet keeps running.

Usage: .venv/bin/python -m bench.fleet_scale --nodes 1000,2000,5000,10000 --processes 2 [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, func, select

from audio_library import AudioSettings
from bench.controller_process import controller_env, start_controller
from bench.fleet_airtime import PASSWORD, audio_requests_per_second, percentile, pulls_per_second
from bench.process_stats import ProcessSample, cpu_percent, sample
from bench.raw_fanout import measure_raw_fanout
from controller.accounts import Role, UserCreate
from controller.api.users import create_user_from
from controller.db import make_engine, session_factory
from controller.fleet_provisioning import ensure_fleet_identities
from controller.migrate import upgrade
from controller.settings import DatabaseSettings, Settings
from devices.command_signing import CommandSigner
from devices.commands import DeviceCommand
from devices.content import ContentSettings
from devices.mosquitto import MosquittoProcess
from devices.proof_of_play import PlayRecord
from devices.registry import Device, add_commune, add_province
from devices.settings import FleetSettings, MqttSettings
from firmware_sim import FleetProcesses, NodeSettings, load_identities
from firmware_sim.fleet_processes import raise_open_files_limit

PROVINCE = "TINH-BENCH"
# A commune has a few dozen to a hundred clusters; 100 per commune keeps the commune count realistic.
CLUSTERS_PER_COMMUNE = 100


def _commune_codes(nodes: int) -> list[str]:
    return [f"XA-{i:03d}" for i in range(max(1, -(-nodes // CLUSTERS_PER_COMMUNE)))]


def node_ack_latencies(acks: list[tuple[str, str]], issued: dict[str, datetime]) -> list[float]:
    """Seconds from each command's issue to the node's own ack time (the fleet's record of its acks)."""
    return [
        (datetime.fromisoformat(at) - issued[command_id]).total_seconds()
        for command_id, at in acks
        if command_id in issued
    ]


def _samples(pids: list[int]) -> list[ProcessSample]:
    return [sample(pid) for pid in pids]


def _cpu_each(before: list[ProcessSample], after: list[ProcessSample], wall_s: float) -> list[float]:
    return [cpu_percent(b, a, wall_s) for b, a in zip(before, after, strict=True)]


class CpuWatch:
    """Each process's CPU while something runs: the mean, and the busiest second.

    A mean over a minute-long emergency hides a saturated start; the simulator had headroom only if
    its busiest second stayed below one core."""

    def __init__(self, pids: list[int], interval_s: float = 1.0) -> None:
        self._pids, self._interval_s = pids, interval_s
        self._done = threading.Event()
        self.peaks = [0.0] * len(pids)
        self._first, self._began = _samples(pids), time.monotonic()
        self._thread = threading.Thread(target=self._watch, name="cpu-watch", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        last, at = self._first, self._began
        while not self._done.wait(self._interval_s):
            now, now_at = _samples(self._pids), time.monotonic()
            self.peaks = [max(p, c) for p, c in zip(self.peaks, _cpu_each(last, now, now_at - at), strict=True)]
            last, at = now, now_at

    def stop(self) -> list[float]:
        """Stop watching; the mean CPU of each process since the start (peaks are in `peaks`)."""
        self._done.set()
        self._thread.join()
        return _cpu_each(self._first, _samples(self._pids), time.monotonic() - self._began)


# -- the benchmark ----------------------------------------------------------------------------------


def run(nodes: int, processes: int, heartbeat_s: float, window_s: float, raw_rounds: int) -> dict[str, Any]:
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
        # 10,000 simulated nodes the poll would measure the simulator's HTTP client, not the controller.
        node=NodeSettings(broker_port=mqtt.port, playlist_poll_interval_s=600, keepalive_s=60),
        # Playlists and scheduled audio from the controller's private nginx, as in a deployment.
        content=ContentSettings(enabled=True, directory=root / "content", access_log=False),
    )
    upgrade(settings.database.url)
    engine = make_engine(settings.database)
    sessions = session_factory(engine)
    with sessions() as session:
        province = add_province(session, PROVINCE, "Tỉnh thử tải")
        for code in communes:
            add_commune(session, province, code, f"Xã {code}")
        for name, role in (("admin", Role.ADMIN), ("officer", Role.OFFICER), ("approver", Role.APPROVER)):
            create_user_from(session, UserCreate(username=name, role=role, password=PASSWORD, province_code=PROVINCE))
        session.commit()
    # The stock library every node pins (espeak-ng speech), approved, before the controller announces it.
    subprocess.run(
        [sys.executable, "-m", "controller", "stock", "seed"],
        env={**os.environ, **controller_env(settings)},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    broker = MosquittoProcess(root / "broker", mqtt)
    broker.start()
    began = time.monotonic()
    identities = ensure_fleet_identities(settings, root / "ids.json", nodes, communes, prefix="S")
    results: dict[str, Any] = {
        "nodes": nodes,
        "processes": processes,
        "communes": len(communes),
        "provision_s": time.monotonic() - began,
    }
    print(f"{nodes} clusters registered in {results['provision_s']:.1f} s", file=sys.stderr, flush=True)
    # The raw reference first, while the controller is not running: the publisher uses its broker account.
    raw = asyncio.run(
        measure_raw_fanout(
            mqtt.host,
            mqtt.port,
            (mqtt.username, mqtt.password.get_secret_value()),
            identities,
            processes,
            rounds=raw_rounds,
        )
    )
    results.update(
        raw_delivered=raw.delivered,
        raw_expected=raw.clients * raw.rounds,
        raw_p50_s=raw.p50_s,
        raw_p99_s=raw.p99_s,
        raw_max_s=raw.max_s,
        raw_client_cpu_pct=list(raw.cpu_pct),
    )
    print(f"raw fan-out p50 {raw.p50_s:.3f} s, p99 {raw.p99_s:.3f} s", file=sys.stderr, flush=True)
    server, base_url = start_controller(settings)
    # Every simulated node fsyncs its nonce, volume and report files, as a real node does on its own
    # SD card. Thousands of nodes sharing this machine's one disk would queue behind each other's
    # fsyncs, so their state lives in memory (tmpfs) when the machine has one: what is measured is the
    # protocol and the controller, not one disk serving a province.
    shm = Path("/dev/shm")
    fleet_root = Path(tempfile.mkdtemp(prefix="loaxa-fleet-", dir=shm)) if shm.is_dir() else root / "fleet"
    public_key = CommandSigner.load_or_create(settings.fleet.command_key_file).public_key_b64
    template = settings.node.model_copy(
        update={"controller_url": base_url, "heartbeat_interval_s": heartbeat_s, "command_public_key": public_key}
    )
    fleet = FleetProcesses(template, load_identities(root / "ids.json"), fleet_root, processes)
    fleet.start()

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
            fleet.check()
            time.sleep(0.2)
        results["fleet_start_s"] = time.monotonic() - started
        print(f"all online after {results['fleet_start_s']:.1f} s", file=sys.stderr, flush=True)
        # Every node pins the stock library on its first sync (a storm warning needs no download later).
        while fleet.stock_ready < nodes and time.monotonic() < started + 600:
            fleet.check()
            time.sleep(0.5)
        results["stock_ready"] = fleet.stock_ready
        results["stock_pinned_s"] = time.monotonic() - started
        print(f"{fleet.stock_ready} hold the stock library after {results['stock_pinned_s']:.1f} s", file=sys.stderr)

        # Steady state: let the start-up burst (births, first pulls) settle, then watch one window.
        time.sleep(min(10.0, heartbeat_s))
        assert broker.process is not None
        watched = [server.pid, broker.process.pid, *fleet.pids]
        s0, t0 = _samples(watched), time.monotonic()
        time.sleep(window_s)
        s1, t1 = _samples(watched), time.monotonic()
        cpu = _cpu_each(s0, s1, t1 - t0)
        results["controller_cpu_pct"], results["broker_cpu_pct"] = cpu[0], cpu[1]
        results["fleet_cpu_pct"] = cpu[2:]
        results["controller_rss_mb"] = s1[0].rss_mb
        results["heartbeats_per_s"] = nodes / heartbeat_s

        with httpx.Client(base_url=base_url, timeout=300) as client:
            headers = _tokens(client)
            bulletin_id = _approved_emergency(client, headers)
            metrics, issued = emergency_command(
                client, headers["admin"], {"bulletin_id": bulletin_id}, communes, nodes, sessions, fleet.pids
            )
            results.update(metrics)
            fleet.check()
            time.sleep(5)  # let the recording's plays and reports settle first
            stock = {"stock_key": "storm", "stock_language": "vi"}
            metrics, stock_issued = emergency_command(
                client, headers["admin"], stock, communes, nodes, sessions, fleet.pids
            )
            results.update({f"stock_{k}": v for k, v in metrics.items()})
            issued.update(stock_issued)
            time.sleep(5)
            results.update(stock_order(client, headers["officer"], nodes, sessions))
        fleet.check()
        identity = identities[0]
        results["pulls_304_per_s"] = asyncio.run(pulls_per_second(base_url, identity.device_code, identity.password))
        # The same polls, and whole audio files, from nginx while the whole fleet stays connected.
        results["content_pulls_304_per_s"] = asyncio.run(
            pulls_per_second(base_url, identity.device_code, identity.password, via_content=True)
        )
        results["content_audio_per_s"] = audio_requests_per_second(base_url, identity.device_code, identity.password)
    finally:
        fleet.stop()
        node_acks = node_ack_latencies(fleet.command_acks(), issued)
        urgent_pulls = fleet.urgent_pulls()
        shutil.rmtree(fleet_root, ignore_errors=True)
        server.terminate()
        server.wait(30)
        broker.stop()
        engine.dispose()
    if node_acks:
        results["node_ack_p50_s"] = statistics.median(node_acks)
        results["node_ack_p99_s"] = percentile(node_acks, 0.99)
    if "order_issued_at" in results:
        results.update(order_stages(urgent_pulls, results.pop("order_issued_at")))
    raw_p99 = results["raw_p99_s"]
    for figure in ("ack_p99", "result_p50", "result_p99"):
        results[f"{figure}_x_raw"] = results[f"{figure}_s"] / raw_p99 if raw_p99 > 0 else float("nan")
    results["never_aired"] = nodes - results["succeeded"]
    results["stock_never_aired"] = nodes - results["stock_succeeded"]
    return results


def _tokens(client: httpx.Client) -> dict[str, dict[str, str]]:
    headers = {}
    for name in ("officer", "approver", "admin"):
        token = client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD}).json()
        headers[name] = {"Authorization": f"Bearer {token['access_token']}"}
    return headers


def _approved_emergency(client: httpx.Client, headers: dict[str, dict[str, str]]) -> int:
    """Only approved content airs (schedules.clearance): the emergency is a province bulletin, written,
    submitted and approved (its speech made by espeak-ng) before the clock starts."""
    text = "Khẩn cấp: bão số ba sắp đổ bộ, bà con vào nơi trú ẩn."
    body = {"province_code": PROVINCE, "title": "Khẩn cấp: bão số ba", "body": text}
    bulletin = client.post("/api/v1/bulletins", headers=headers["officer"], json=body)
    bulletin.raise_for_status()
    bulletin_id = int(bulletin.json()["id"])
    client.post(f"/api/v1/bulletins/{bulletin_id}/submit", headers=headers["officer"]).raise_for_status()
    client.post(f"/api/v1/bulletins/{bulletin_id}/approve", headers=headers["approver"]).raise_for_status()
    return bulletin_id


def emergency_command(
    client: httpx.Client,
    headers: dict[str, str],
    audio: dict[str, Any],
    communes: list[str],
    nodes: int,
    sessions: Any,
    fleet_pids: list[int],
) -> tuple[dict[str, Any], dict[str, datetime]]:
    """A signed `play_now` of `audio` (a bulletin, or a stock message) to every commune at once, as a
    province would send it.

    Latencies are per cluster, from the controller's issue time to the ack (or result) it stored, so
    they include the broker's fan-out, each node's signature check, and the controller's ingest.
    """

    def issue(commune: str) -> str:
        response = client.post(
            f"/api/v1/communes/{commune}/commands", headers=headers, json={"name": "play_now", **audio}
        )
        response.raise_for_status()
        return str(response.json()["command_id"])

    watch = CpuWatch(fleet_pids)
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
    fleet_cpu = watch.stop()
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
        "ack_p50_s": statistics.median(acks) if acks else float("nan"),
        "ack_p99_s": percentile(acks, 0.99) if acks else float("nan"),
        "ack_max_s": max(acks, default=float("nan")),
        "succeeded": len(done),
        "result_p50_s": statistics.median(done) if done else float("nan"),
        "result_p99_s": percentile(done, 0.99) if done else float("nan"),
        "fleet_emergency_cpu_pct": fleet_cpu,
        "fleet_emergency_peak_cpu_pct": watch.peaks,
    }, issued


def stock_order(client: httpx.Client, headers: dict[str, str], nodes: int, sessions: Any) -> dict[str, Any]:
    """An emergency order for the whole province naming the stock `storm` warning (`POST /emergencies`):
    one order per commune, each published at once (urgent notices, playlists on nginx); every node plays
    its pinned copy at the order's start. Seconds from the order until each cluster's reported start."""
    began = time.monotonic()
    response = client.post(
        "/api/v1/emergencies",
        headers=headers,
        json={"stock_key": "storm", "stock_language": "vi", "province_code": PROVINCE},
    )
    response.raise_for_status()
    publish_s = time.monotonic() - began
    orders = {f"e{order['id']}": datetime.fromisoformat(order["issued_at"]) for order in response.json()}
    lead = statistics.median(
        (datetime.fromisoformat(o["starts_at"]) - datetime.fromisoformat(o["issued_at"])).total_seconds()
        for o in response.json()
    )
    print(f"stock emergency ordered in {len(orders)} communes ({publish_s:.1f} s)", file=sys.stderr, flush=True)
    deadline = time.monotonic() + 600
    starts: list[float] = []
    late: list[str] = []
    while time.monotonic() < deadline:
        with sessions() as session:
            reports = session.execute(
                select_columns(
                    col(PlayRecord.item_id),
                    col(PlayRecord.started_at),
                    col(PlayRecord.scheduled_start),
                    col(PlayRecord.outcome),
                    col(PlayRecord.detail),
                ).where(col(PlayRecord.item_id).in_(orders))
            ).all()
        aired = [(item, at, due) for item, at, due, outcome, _ in reports if outcome in ("played", "interrupted")]
        starts = [(at - orders[item]).total_seconds() for item, at, _ in aired]
        behind = [(at - due).total_seconds() for _, at, due in aired]
        late = [detail for *_, outcome, detail in reports if outcome not in ("played", "interrupted")]
        if len(reports) >= nodes:  # every cluster said whether it aired it
            break
        time.sleep(1)
    if late:
        print(f"{len(late)} clusters did not air the order, e.g. {late[0]!r}", file=sys.stderr, flush=True)
    if behind:
        p50, p99 = statistics.median(behind), percentile(behind, 0.99)
        print(f"stock order started behind its start: p50 {p50:.2f} s, p99 {p99:.2f} s", file=sys.stderr, flush=True)
    return {
        "order_issued_at": min(orders.values()),
        "order_publish_s": publish_s,
        "order_lead_s": lead,
        "order_on_air_p50_s": statistics.median(starts) if starts else float("nan"),
        "order_on_air_p99_s": percentile(starts, 0.99) if starts else float("nan"),
        "order_never_aired": nodes - len(starts),
    }


TABLE_HEADER = (
    "| date | nodes | fleet processes | raw p50 / p99 (s) | start (s) | controller CPU % / RSS MB | broker CPU % "
    "| fleet CPU % per process: steady; emergency mean (busiest second) | node ack p99 (s) "
    "| ack p50 / p99 (s) (p99 × raw) | on air p50 / p99 (s) (× raw) | never aired "
    "| stock message: ack p99 (s); on air p50 / p99 (s); never aired "
    "| stock emergency order: published in (s); on air p50 / p99 (s) (lead); never aired "
    "| 304 pulls/s: controller; nginx | audio requests/s (nginx) |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def order_stages(pulls: list[tuple[datetime, ...]], issued_at: datetime) -> dict[str, Any]:
    """Where a stock order's seconds went on the nodes: p50/p99 of each stage of their urgent pulls.

    notice: the order's issue until the node had the urgent notice; turn: until its sync loop asked for
    the playlist; pull: until the playlist was in hand (HTTP); audio: until its audio was checked (pinned
    or cached); apply: until the timers were set."""
    pulls = [p for p in pulls if p[0] >= issued_at]
    stages: dict[str, list[float]] = {"notice": [], "turn": [], "pull": [], "audio": [], "apply": [], "total": []}
    for noticed, asked, fetched, ready, applied in pulls:
        stages["notice"].append((noticed - issued_at).total_seconds())
        stages["turn"].append((asked - noticed).total_seconds())
        stages["pull"].append((fetched - asked).total_seconds())
        stages["audio"].append((ready - fetched).total_seconds())
        stages["apply"].append((applied - ready).total_seconds())
        stages["total"].append((applied - issued_at).total_seconds())
    text = "; ".join(
        f"{name} {statistics.median(values):.2f}/{percentile(values, 0.99):.2f}"
        for name, values in stages.items()
        if values
    )
    print(f"stock order on the nodes, p50/p99 s ({len(pulls)} pulls): {text}", file=sys.stderr, flush=True)
    return {"order_node_pulls": len(pulls), "order_node_stages": text}


def _percents(values: list[float]) -> str:
    return " ".join(f"{v:.0f}" for v in values)


def _row(r: dict[str, Any]) -> str:
    """One line of the table in docs/benchmarks.md (TABLE_HEADER)."""
    raw = f"{r['raw_p50_s']:.2f} / {r['raw_p99_s']:.2f}"
    if r["raw_delivered"] < r["raw_expected"]:
        raw += f" ({r['raw_delivered']:,} of {r['raw_expected']:,} delivered)"
    return (
        f"| {datetime.now(UTC):%Y-%m-%d} | {r['nodes']:,} | {r['processes']} | {raw} | {r['fleet_start_s']:.0f} | "
        f"{r['controller_cpu_pct']:.0f} / {r['controller_rss_mb']:.0f} | {r['broker_cpu_pct']:.0f} | "
        f"{_percents(r['fleet_cpu_pct'])}; {_percents(r['fleet_emergency_cpu_pct'])} "
        f"({_percents(r['fleet_emergency_peak_cpu_pct'])}) | "
        f"{r.get('node_ack_p99_s', float('nan')):.2f} | "
        f"{r['ack_p50_s']:.2f} / {r['ack_p99_s']:.2f} ({r['ack_p99_x_raw']:.0f}×) | "
        f"{r['result_p50_s']:.1f} / {r['result_p99_s']:.1f} "
        f"({r['result_p50_x_raw']:.0f}× / {r['result_p99_x_raw']:.0f}×) | "
        f"{r['never_aired']:,} | "
        f"{r['stock_ack_p99_s']:.2f}; {r['stock_result_p50_s']:.2f} / {r['stock_result_p99_s']:.2f}; "
        f"{r['stock_never_aired']:,} | "
        f"{r['order_publish_s']:.1f}; {r['order_on_air_p50_s']:.2f} / {r['order_on_air_p99_s']:.2f} "
        f"({r['order_lead_s']:.0f}); {r['order_never_aired']:,} | {r['pulls_304_per_s']:.0f}; "
        f"{r.get('content_pulls_304_per_s', float('nan')):,.0f} | {r.get('content_audio_per_s', float('nan')):,.0f} |"
    )


def _node_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of node counts: {text!r}") from exc
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"node counts must be positive: {text!r}")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=_node_counts, default=[2000], help="e.g. 1000,2000,5000,10000")
    parser.add_argument("--processes", type=int, default=2, help="fleet (and raw client) processes")
    parser.add_argument("--heartbeat-s", type=float, default=30.0, help="heartbeat interval (field default 30 s)")
    parser.add_argument("--window-s", type=float, default=60.0, help="steady-state window for CPU and memory")
    parser.add_argument("--raw-rounds", type=int, default=3, help="publishes of the raw reference (pooled)")
    parser.add_argument("--write", help="append the result rows to this markdown file")
    args = parser.parse_args()
    if args.processes < 1 or args.raw_rounds < 1:
        parser.error("--processes and --raw-rounds must be at least 1")
    # Children inherit it: the controller, and the fleet and raw client processes (which raise it again).
    raise_open_files_limit()
    rows = []
    for nodes in args.nodes:
        r = run(nodes, args.processes, args.heartbeat_s, args.window_s, args.raw_rounds)
        print(json.dumps(r, indent=1), flush=True)
        rows.append(_row(r))
    print(TABLE_HEADER)
    print("\n".join(rows))
    if args.write:
        with open(args.write, "a", encoding="utf-8") as out:
            out.write("\n".join(rows) + "\n")
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} cores, Python {platform.python_version()}")


if __name__ == "__main__":
    main()
