"""Benchmark: N simulated nodes against a private broker and the real controller on this machine.

Measures, for one commune of N clusters:
- fleet start: time until every node is connected and the controller has recorded it online;
- airtime accuracy: start-time error of one scheduled bulletin across all N nodes (p50, p99, max);
- proof-of-play ingest: time from airtime until all N reports are stored;
- playlist pulls per second on the unchanged (304) path, from 50 concurrent clients (with
  `--content-server`: nodes use the controller's nginx, and the pulls go to the signed link it names).

Usage: .venv/bin/python -m bench.fleet_airtime --nodes 200 [--content-server] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlmodel import col, func, select

from audio_library import AudioSettings
from bench.controller_process import start_controller
from controller.accounts import Role, UserCreate
from controller.api.users import create_user_from
from controller.db import make_engine, session_factory
from controller.fleet_provisioning import ensure_fleet_identities
from controller.migrate import upgrade
from controller.settings import DatabaseSettings, Settings
from devices.content import ContentSettings
from devices.mosquitto import MosquittoProcess
from devices.proof_of_play import PlayRecord
from devices.protocol import PLAYLIST_URL_HEADER
from devices.registry import Device, add_commune, add_province
from devices.settings import MqttSettings
from firmware_sim import Fleet, NodeSettings

COMMUNE = "XA-BENCH"
PASSWORD = "bench-password"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _poll_target(base_url: str, code: str, password: str, via_content: bool) -> tuple[str, dict[str, str]]:
    """The URL and headers of an unchanged-playlist poll: the controller's (HTTP Basic), or the signed link
    to nginx its answer names (no credentials)."""
    answer = httpx.get(f"{base_url}/api/v1/node/playlist", auth=(code, password))
    if via_content:
        link = answer.headers[PLAYLIST_URL_HEADER]
        return link, {"If-None-Match": httpx.get(link).headers["ETag"]}
    basic = base64.b64encode(f"{code}:{password}".encode()).decode()
    return f"{base_url}/api/v1/node/playlist", {
        "Authorization": f"Basic {basic}",
        "If-None-Match": answer.headers["ETag"],
    }


async def pulls_per_second(
    base_url: str, code: str, password: str, seconds: float = 5.0, *, via_content: bool = False
) -> float:
    """304 pulls/s from 50 concurrent clients: with wrk (a separate, native process) when installed."""
    url, headers = await asyncio.to_thread(_poll_target, base_url, code, password, via_content)
    if shutil.which("wrk"):
        return await asyncio.to_thread(wrk_pulls_per_second, url, headers, seconds)
    async with httpx.AsyncClient() as client:
        done = 0
        deadline = time.monotonic() + seconds

        async def worker() -> None:
            nonlocal done
            while time.monotonic() < deadline:
                response = await client.get(url, headers=headers)
                assert response.status_code == 304
                done += 1

        began = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(50)))
        return done / (time.monotonic() - began)


def audio_requests_per_second(base_url: str, code: str, password: str, seconds: float = 5.0) -> float:
    """Whole-file audio requests/s to nginx (wrk, 50 connections): the first item of the node's playlist,
    by the signed link the content server's playlist gives it. NaN without wrk or without an item."""
    answer = httpx.get(f"{base_url}/api/v1/node/playlist", auth=(code, password))
    link = answer.headers[PLAYLIST_URL_HEADER]
    items = httpx.get(link).json()["items"]
    if not items or not shutil.which("wrk"):
        return float("nan")
    origin = httpx.URL(link).copy_with(path="/", query=None)
    url = str(origin.join(items[0]["asset_url"]))
    if httpx.get(url).status_code != 200:
        raise RuntimeError(f"audio link {url} not served")
    return wrk_pulls_per_second(url, {}, seconds, expect_304=False)


def wrk_pulls_per_second(url: str, headers: dict[str, str], seconds: float, *, expect_304: bool = True) -> float:
    command = ["wrk", "-t2", "-c50", f"-d{seconds:.0f}s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    match = re.search(r"Requests/sec:\s+([0-9.]+)", done.stdout)
    if match is None or ("Non-2xx" in done.stdout and (not expect_304 or "304" not in done.stdout)):
        raise RuntimeError(done.stdout)
    return float(match.group(1))


def schedule_one(base_url: str, lead_s: float) -> str:
    """Write, approve and schedule one bulletin `lead_s` ahead, through the API."""
    with httpx.Client(base_url=base_url, timeout=120) as client:
        tokens = {}
        for name in ("officer", "approver"):
            r = client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD})
            tokens[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        body = {"commune_code": COMMUNE, "title": "Thử", "body": "Kính thưa bà con, đây là bản tin thử."}
        b = client.post("/api/v1/bulletins", headers=tokens["officer"], json=body).json()
        client.post(f"/api/v1/bulletins/{b['id']}/submit", headers=tokens["officer"]).raise_for_status()
        approved = client.post(f"/api/v1/bulletins/{b['id']}/approve", headers=tokens["approver"])
        approved.raise_for_status()
        airtime = datetime.now(UTC) + timedelta(seconds=lead_s)
        slot = {"bulletin_id": b["id"], "commune_code": COMMUNE, "starts_at": airtime.isoformat()}
        client.post("/api/v1/broadcasts", headers=tokens["officer"], json=slot).raise_for_status()
        return str(approved.json()["audio_sha256"])


def run(nodes: int, *, content_server: bool = False) -> dict[str, float]:
    root = Path(tempfile.mkdtemp(prefix="loaxa-bench-"))
    mqtt = MosquittoProcess.settings_for(root / "broker", MqttSettings(password="bench-mqtt"))
    settings = Settings(
        env="test",
        database=DatabaseSettings(url=f"sqlite:///{root / 'loaxa.db'}"),
        mqtt=mqtt,
        audio=AudioSettings(storage_dir=root / "audio"),
        node=NodeSettings(broker_port=mqtt.port, playlist_poll_interval_s=600, keepalive_s=60),
        content=ContentSettings(enabled=content_server, directory=root / "content", access_log=False),
    )
    upgrade(settings.database.url)
    engine = make_engine(settings.database)
    sessions = session_factory(engine)
    with sessions() as session:
        add_commune(session, add_province(session, "P", "Tỉnh"), COMMUNE, "Xã")
        for name, role in (("officer", Role.OFFICER), ("approver", Role.APPROVER)):
            create_user_from(session, UserCreate(username=name, role=role, password=PASSWORD, commune_codes=[COMMUNE]))
        session.commit()
    broker = MosquittoProcess(root / "broker", mqtt)
    broker.start()
    # The controller in its own process, as deployed: in this one it would fight the fleet for the GIL.
    server, base_url = start_controller(settings)
    identities = ensure_fleet_identities(settings, root / "ids.json", nodes, [COMMUNE], prefix="B")
    fleet = Fleet(settings.node.model_copy(update={"controller_url": base_url}), identities, root / "fleet")
    results: dict[str, float] = {"nodes": nodes}

    def count(query: object) -> int:
        with sessions() as session:
            return int(session.exec(query).one())  # type: ignore[call-overload]

    async def scenario() -> None:
        began = time.monotonic()
        task = asyncio.create_task(fleet.run())
        online = select(func.count()).select_from(Device).where(Device.state == "online")
        while count(online) < nodes:  # noqa: ASYNC110 - polling the database is what we measure
            await asyncio.sleep(0.05)
        results["fleet_start_s"] = time.monotonic() - began
        print(f"{nodes} nodes online after {results['fleet_start_s']:.1f} s", file=sys.stderr, flush=True)

        # Enough lead for every node to fetch the audio first: accuracy, not distribution, is measured
        # here (in the field the lead is the scheduler's, 30 minutes by default).
        lead_s = 10 + nodes / 20
        scheduled = time.monotonic()
        sha = await asyncio.to_thread(schedule_one, base_url, lead_s)
        while not all(agent.cache.has(sha, "opus") for agent in fleet.agents):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        results["distribution_s"] = time.monotonic() - scheduled
        print("bulletin scheduled; waiting for proof of play", file=sys.stderr, flush=True)
        reports = select(func.count()).select_from(PlayRecord)
        while count(reports) < nodes:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        with sessions() as session:
            rows = session.exec(select(PlayRecord).order_by(col(PlayRecord.received_at))).all()
            errors = [abs(r.start_error_ms) for r in rows]
            last_end = max(r.ended_at for r in rows)
            results["all_reports_after_end_s"] = (rows[-1].received_at - last_end).total_seconds()
        results["start_error_p50_ms"] = statistics.median(errors)
        results["start_error_p99_ms"] = percentile([float(e) for e in errors], 0.99)
        results["start_error_max_ms"] = max(errors)
        first = identities[0]
        results["pulls_304_per_s"] = await pulls_per_second(
            base_url, first.device_code, first.password, via_content=content_server
        )
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    try:
        asyncio.run(scenario())
    finally:
        server.terminate()
        server.wait(10)
        broker.stop()
        engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--write", help="append a result row to this markdown file")
    parser.add_argument(
        "--content-server", action="store_true", help="nodes fetch playlists and audio from the controller's nginx"
    )
    args = parser.parse_args()
    r = run(args.nodes, content_server=args.content_server)
    row = (
        f"| {datetime.now(UTC):%Y-%m-%d} | {r['nodes']:.0f} | {r['fleet_start_s']:.1f} | {r['distribution_s']:.1f} | "
        f"{r['start_error_p50_ms']:.0f} / {r['start_error_p99_ms']:.0f} / {r['start_error_max_ms']:.0f} | "
        f"{r['all_reports_after_end_s']:.2f} | {r['pulls_304_per_s']:.0f} |"
    )
    print(r)
    print(row)
    if args.write:
        with open(args.write, "a", encoding="utf-8") as out:
            out.write(row + "\n")
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")


if __name__ == "__main__":
    main()
