"""Benchmark: how fast the controller issues a commune-wide command and stores its clusters' answers.

An emergency to a province brings one ack and one result from every cluster within seconds. This measures
the controller's own part of that, with nothing else running: the real `CommandCenter` and `UplinkHandler`
on a fresh SQLite database (WAL, as `loaxa serve` runs it), without a broker or nodes.

- issue: one commune-wide command per commune (100 clusters each), the rows stored and read back;
- acks, results: every cluster's answer through the uplink in batches of 200 (what the MQTT link hands
  over at most at once, `devices.link._BATCH_MAX`), timed until stored.

Usage: .venv/bin/python -m bench.command_answers [--clusters 10000]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from controller.db import make_engine, session_factory
from controller.migrate import upgrade
from controller.settings import DatabaseSettings
from devices.command_signing import CommandSigner
from devices.commands import CommandCenter, new_command_body
from devices.protocol import CommandAck, CommandResult, encode
from devices.registry import Device, add_commune, add_device, add_province
from devices.uplink import UplinkHandler

CLUSTERS_PER_COMMUNE = 100
BATCH = 200


def run(clusters: int) -> dict[str, float]:
    root = Path(tempfile.mkdtemp(prefix="loaxa-bench-answers-"))
    try:
        url = f"sqlite:///{root / 'loaxa.db'}"
        upgrade(url)
        engine = make_engine(DatabaseSettings(url=url))
        sessions = session_factory(engine)
        now = datetime.now(UTC)
        communes = -(-clusters // CLUSTERS_PER_COMMUNE)
        with sessions() as session:
            province = add_province(session, "P", "Tỉnh")
            devices: list[Device] = []
            for c in range(communes):
                commune = add_commune(session, province, f"XA-{c:03d}", f"Xã {c}")
                for i in range(min(CLUSTERS_PER_COMMUNE, clusters - len(devices))):
                    devices.append(add_device(session, commune, f"D{c:03d}-{i:03d}", hash_iterations=1)[0])
            session.commit()
            center = CommandCenter(
                sessions, CommandSigner.load_or_create(root / "key.pem"), lambda topic, payload: None, timeout_s=600
            )
            began = time.perf_counter()
            command_ids = []
            for c in range(communes):
                body = new_command_body("stop", scope="commune", target=f"XA-{c:03d}", now=now)
                share = devices[c * CLUSTERS_PER_COMMUNE : (c + 1) * CLUSTERS_PER_COMMUNE]
                center.issue(session, body, share, commune_code=f"XA-{c:03d}", issued_by="bench")
                command_ids.append(body.command_id)
            issue_s = time.perf_counter() - began
        uplink = UplinkHandler(sessions)
        uplink.register_batch(("ack", "result"), center.on_answers)
        answers: dict[str, float] = {"issue_s": issue_s}
        for channel in ("ack", "result"):
            messages = []
            for index, device in enumerate(devices):
                command_id = command_ids[index // CLUSTERS_PER_COMMUNE]
                answer = (
                    CommandAck(command_id=command_id, accepted=True, at=now)
                    if channel == "ack"
                    else CommandResult(command_id=command_id, ok=True, at=now)
                )
                messages.append((f"loaxa/v1/devices/{device.code}/{channel}", encode(answer)))
            began = time.perf_counter()
            for start in range(0, len(messages), BATCH):
                uplink.handle_batch(messages[start : start + BATCH])
            answers[f"{channel}s_s"] = time.perf_counter() - began
        engine.dispose()
        return answers
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters", type=int, default=10_000)
    args = parser.parse_args()
    r = run(args.clusters)
    per = 1e6 / args.clusters
    print(
        f"{args.clusters:,} clusters: issue {r['issue_s']:.2f} s "
        f"({r['issue_s'] * 1000 / -(-args.clusters // CLUSTERS_PER_COMMUNE):.1f} ms per commune); "
        f"acks stored in {r['acks_s']:.2f} s ({r['acks_s'] * per:.0f} µs each); "
        f"results in {r['results_s']:.2f} s ({r['results_s'] * per:.0f} µs each)"
    )


if __name__ == "__main__":
    main()
