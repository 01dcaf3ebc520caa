"""Benchmark: the controller's health sweep over a province of heartbeating clusters.

Every `fleet.health_sweep_interval_s` (5 s) the controller judges every cluster from its last heartbeat;
at ten thousand clusters this pass is most of what the controller does while nothing happens. This runs
the real `HealthMonitor` on a fresh SQLite database (WAL, as `loaxa serve` runs it), with every cluster
online and a fresh heartbeat in memory, as the MQTT ingest leaves them, and times steady passes (the first
ones create the clusters' health rows and store their heartbeats).

Usage: .venv/bin/python -m bench.health_sweep [--clusters 10000] [--passes 5]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import update

from controller.db import make_engine, session_factory
from controller.migrate import upgrade
from controller.settings import DatabaseSettings
from devices.health_monitor import HealthMonitor
from devices.protocol import Heartbeat
from devices.registry import Device, add_commune, add_device, add_province
from devices.settings import FleetSettings

CLUSTERS_PER_COMMUNE = 100


def run(clusters: int, passes: int) -> float:
    """CPU seconds of one steady sweep (the mean of `passes`)."""
    root = Path(tempfile.mkdtemp(prefix="loaxa-bench-sweep-"))
    try:
        url = f"sqlite:///{root / 'loaxa.db'}"
        upgrade(url)
        engine = make_engine(DatabaseSettings(url=url))
        sessions = session_factory(engine)
        ids: list[int] = []
        with sessions() as session:
            province = add_province(session, "P", "Tỉnh")
            for c in range(-(-clusters // CLUSTERS_PER_COMMUNE)):
                commune = add_commune(session, province, f"XA-{c:03d}", f"Xã {c}")
                for i in range(min(CLUSTERS_PER_COMMUNE, clusters - len(ids))):
                    device, _ = add_device(session, commune, f"D{c:03d}-{i:03d}", hash_iterations=1)
                    assert device.id is not None
                    ids.append(device.id)
            session.commit()
            session.exec(update(Device).values(state="online", session_seq=1, state_changed_at=datetime.now(UTC)))
            session.commit()
        monitor = HealthMonitor(sessions, FleetSettings())

        def heartbeats() -> None:
            now = datetime.now(UTC)
            for device_id in ids:
                monitor.record(
                    device_id,
                    Heartbeat(
                        session_seq=1,
                        sent_at=now,
                        uptime_s=600,
                        firmware="loaxa-node/0.1.0",
                        volume=80,
                        storage_free_mb=4000,
                        network="4g",
                        signal_dbm=-80,
                        playlist_version=3,
                    ),
                )

        heartbeats()
        monitor.sweep()
        monitor.sweep()
        spent = 0.0
        for _ in range(passes):
            heartbeats()  # the next round of heartbeats, as between two passes
            began = time.process_time()
            monitor.sweep()
            spent += time.process_time() - began
        engine.dispose()
        return spent / passes
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters", type=int, default=10_000)
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    cpu_s = run(args.clusters, args.passes)
    interval_s = FleetSettings().health_sweep_interval_s
    print(
        f"{args.clusters:,} clusters: a steady sweep takes {cpu_s:.3f} CPU-s; every {interval_s:g} s that is "
        f"{100 * cpu_s / interval_s:.1f} % of a core"
    )


if __name__ == "__main__":
    main()
