"""`python -m source_sim`: a province's source information system, simulated (see source_sim.server).

python -m source_sim key --state-dir var/source              print the public key to register in loaxa
python -m source_sim serve --state-dir var/source --code STP-LA --loaxa http://127.0.0.1:8000 --port 8100
python -m source_sim send --state-dir var/source --code STP-LA --loaxa http://127.0.0.1:8000 item.json
python -m source_sim cap --state-dir var/source --code STP-LA --loaxa http://127.0.0.1:8000 --geocode 801 \
    --event "Lũ quét" --severity Extreme --headline "Cảnh báo lũ quét" --description "..."
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from source_sim.key import SourceKey
from source_sim.server import SourceSystemSim


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m source_sim", description="Mô phỏng hệ thống thông tin nguồn tỉnh")
    sub = parser.add_subparsers(dest="command", required=True)
    key = sub.add_parser("key", help="print the public key (created on first use)")
    key.add_argument("--state-dir", type=Path, required=True)
    serve = sub.add_parser("serve", help="serve the feed and take loaxa's reports until stopped")
    send = sub.add_parser("send", help="sign an item (a JSON file) and push it to loaxa")
    cap = sub.add_parser("cap", help="write a CAP 1.2 alert and push it to loaxa")
    for command in (serve, send, cap):
        command.add_argument("--state-dir", type=Path, required=True)
        command.add_argument("--code", required=True, help="the source's code registered in loaxa")
        command.add_argument("--loaxa", help="loaxa's base URL, e.g. http://127.0.0.1:8000")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8100)
    serve.add_argument("--loaxa-key", help="loaxa's report key (`loaxa source key`): refuse reports not signed with it")
    send.add_argument("item", type=Path)
    cap.add_argument("--identifier", help="default: <code>-CAP-<n>")
    cap.add_argument("--status", default="Actual", choices=["Actual", "Exercise", "System", "Test", "Draft"])
    cap.add_argument("--msg-type", default="Alert", choices=["Alert", "Update", "Cancel"])
    cap.add_argument("--references", action="append", default=[], help="an earlier alert's identifier (repeat)")
    cap.add_argument("--event", default="Lũ quét")
    cap.add_argument("--urgency", default="Immediate")
    cap.add_argument("--severity", default="Extreme")
    cap.add_argument("--certainty", default="Observed")
    cap.add_argument("--headline")
    cap.add_argument("--description")
    cap.add_argument("--instruction")
    cap.add_argument("--geocode", action="append", default=[], help="an administrative unit code, MA_DVHC (repeat)")
    cap.add_argument("--polygon", action="append", default=[], help='"lat,lon lat,lon ..." closed (repeat)')
    cap.add_argument("--circle", action="append", default=[], help='"lat,lon radius_km" (repeat)')
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "key":
        print(SourceKey.load_or_create(args.state_dir / "source-key.pem").public_key_b64)
        return 0
    if args.command == "send":
        sim = SourceSystemSim(args.state_dir, args.code, loaxa_url=args.loaxa)
        seq, answer = sim.publish(json.loads(args.item.read_text()))
        print(f"feed #{seq}: " + (f"loaxa {answer.status_code} {answer.text}" if answer is not None else "not pushed"))
        return 0 if answer is None or answer.status_code < 300 else 1
    if args.command == "cap":
        spec = {
            "identifier": args.identifier,
            "status": args.status,
            "msg_type": args.msg_type,
            "references": args.references,
            "event": args.event,
            "urgency": args.urgency,
            "severity": args.severity,
            "certainty": args.certainty,
            "headline": args.headline,
            "description": args.description,
            "instruction": args.instruction,
            "geocodes": args.geocode,
            "polygons": args.polygon,
            "circles": args.circle,
        }
        number, identifier, sent = SourceSystemSim(args.state_dir, args.code, loaxa_url=args.loaxa).publish_cap(spec)
        print(f"CAP #{number} {identifier}: " + (f"loaxa {sent.status_code} {sent.text}" if sent else "not pushed"))
        return 0 if sent is None or sent.status_code < 300 else 1
    sim = SourceSystemSim(
        args.state_dir, args.code, loaxa_url=args.loaxa, host=args.host, port=args.port, loaxa_public_key=args.loaxa_key
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with sim:
        print(f"source system {args.code} at {sim.url}; public key {sim.key.public_key_b64}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
