"""Benchmark: province-wide content over the real controller, for a province of N communes.

Measures, through the HTTP API of one `loaxa serve` process (SQLite, private broker):
- placing one province program in every commune's first slot (one transaction: each commune's part is
  checked over a week, then each commune's playlist is published);
- replacing its items in every part;
- a province-wide emergency (one order per commune, each commune published with an urgent notice):
  the time until the API answers, i.e. until the last commune's nodes were told;
- withdrawing the province program from every commune.
Each commune has K clusters, two slots and a program of its own in its first slot, so every check
compiles a real timetable.

Usage: .venv/bin/python -m bench.province_fanout --communes 200 --clusters 10 [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from datetime import time as wall_time
from pathlib import Path

import httpx

from bench.controller_process import bench_settings, start_controller
from controller.accounts import Role, UserCreate
from controller.api.users import create_user_from
from controller.db import make_engine, session_factory
from controller.migrate import upgrade
from controller.settings import Settings
from devices.mosquitto import MosquittoProcess
from devices.registry import add_commune, add_device, add_province
from schedules.commune_hours import BroadcastSlot

PROVINCE = "TINH-BENCH"
PASSWORD = "bench-password"


def seed(settings: Settings, communes: int, clusters: int) -> None:
    """The province, its communes with clusters and slots, and the province's staff."""
    upgrade(settings.database.url)
    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        province = add_province(session, PROVINCE, "Tỉnh Bench")
        for n in range(communes):
            commune = add_commune(session, province, f"XA-{n:04d}", f"Xã {n:04d}")
            assert commune.id is not None
            for k in range(clusters):
                # One PBKDF2 iteration: set-up speed; the controller verifies no node login here.
                add_device(session, commune, f"L-{n:04d}-{k:02d}", hash_iterations=1)
            for start, end in ((wall_time(6), wall_time(6, 30)), (wall_time(17), wall_time(17, 30))):
                session.add(BroadcastSlot(commune_id=commune.id, start_time=start, end_time=end))
        for name, role in (("officer", Role.OFFICER), ("approver", Role.APPROVER)):
            user = UserCreate(username=name, role=role, password=PASSWORD, province_code=PROVINCE)
            create_user_from(session, user)
        session.commit()
    engine.dispose()


def approved(client: httpx.Client, tokens: dict[str, dict[str, str]], title: str, priority: str) -> int:
    body = {"province_code": PROVINCE, "title": title, "body": f"{title}. Kính thưa bà con.", "priority": priority}
    bulletin = client.post("/api/v1/bulletins", headers=tokens["officer"], json=body).json()
    client.post(f"/api/v1/bulletins/{bulletin['id']}/submit", headers=tokens["officer"]).raise_for_status()
    client.post(f"/api/v1/bulletins/{bulletin['id']}/approve", headers=tokens["approver"]).raise_for_status()
    return int(bulletin["id"])


def timed(action: object) -> tuple[float, httpx.Response]:
    began = time.monotonic()
    response: httpx.Response = action()  # type: ignore[operator]
    response.raise_for_status()
    return time.monotonic() - began, response


def run(communes: int, clusters: int) -> dict[str, float]:
    root = Path(tempfile.mkdtemp(prefix="loaxa-bench-"))
    settings = bench_settings(root)
    seed(settings, communes, clusters)
    broker = MosquittoProcess(root / "broker", settings.mqtt)
    broker.start()
    server, base_url = start_controller(settings)
    results: dict[str, float] = {"communes": communes, "clusters": communes * clusters}
    try:
        with httpx.Client(base_url=base_url, timeout=600) as client:
            tokens = {}
            for name in ("officer", "approver"):
                r = client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD})
                tokens[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}
            officer = tokens["officer"]
            first, second = (
                approved(client, tokens, "Luật mới", "normal"),
                approved(client, tokens, "Nhắc lại", "normal"),
            )
            alert = approved(client, tokens, "Bão khẩn cấp", "emergency")
            # Each commune's own program in its first slot, so every check compiles something.
            own = {"title": "Tin xã", "items": [{"kind": "bulletin", "bulletin_id": second}], "rule": {"slot_rank": 1}}
            client.post(f"/api/v1/provinces/{PROVINCE}/programs", headers=officer, json=own).raise_for_status()

            program = {
                "title": "Luật mới",
                "items": [{"kind": "bulletin", "bulletin_id": first}],
                "rule": {"slot_rank": 1},
            }
            results["place_s"], placed = timed(
                lambda: client.post(f"/api/v1/provinces/{PROVINCE}/programs", headers=officer, json=program)
            )
            record = placed.json()["id"]
            items = {"items": [{"bulletin_id": first}, {"bulletin_id": second}]}
            results["replace_s"], _ = timed(
                lambda: client.put(f"/api/v1/province-programs/{record}/items", headers=officer, json=items)
            )
            order = {"bulletin_id": alert, "province_code": PROVINCE}
            results["emergency_s"], issued = timed(
                lambda: client.post("/api/v1/emergencies", headers=officer, json=order)
            )
            assert len(issued.json()) == communes
            results["withdraw_s"], _ = timed(
                lambda: client.delete(f"/api/v1/province-programs/{record}", headers=officer)
            )
    finally:
        server.terminate()
        server.wait(10)
        broker.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--communes", type=int, default=200)
    parser.add_argument("--clusters", type=int, default=10, help="per commune")
    parser.add_argument("--write", help="append a result row to this markdown file")
    args = parser.parse_args()
    r = run(args.communes, args.clusters)
    row = (
        f"| {datetime.now(UTC):%Y-%m-%d} | {r['communes']:.0f} | {r['clusters']:.0f} | {r['place_s']:.1f} | "
        f"{r['replace_s']:.1f} | {r['emergency_s']:.1f} | {r['withdraw_s']:.1f} |"
    )
    print(row)
    if args.write:
        with open(args.write, "a", encoding="utf-8") as out:
            out.write(row + "\n")


if __name__ == "__main__":
    main()
