"""`python -m firmware_sim fault`: inject faults into a running node agent through its state directory.

    python -m firmware_sim fault var/demo/fleet/LOA-XA-AN-BINH-0001 --cut-network 60
    python -m firmware_sim fault --fleet-dir var/demo/fleet --node LOA-XA-AN-BINH-0001 --amplifier-failed
    python -m firmware_sim fault var/node --clear

The agent picks the file up within `fault_poll_interval_s` (see firmware_sim.faults).

`python -m firmware_sim fleet-process SHARE.json` is one process of a fleet spread over several
(firmware_sim.fleet_processes starts it; not meant to be run by hand).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from firmware_sim.faults import FAULTS_FILE, fault_spec
from firmware_sim.state import write_atomically


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m firmware_sim", description="Mô phỏng cụm loa: gây lỗi")
    sub = parser.add_subparsers(dest="command", required=True)
    fault = sub.add_parser("fault", help="inject faults into a running node (writes <state_dir>/faults.json)")
    fault.add_argument("state_dir", nargs="?", help="the node's state directory")
    fault.add_argument("--fleet-dir", help="a fleet's state root (with --node instead of STATE_DIR)")
    fault.add_argument("--node", help="device code of a fleet node")
    fault.add_argument("--cut-network", type=float, metavar="S", help="no network (MQTT and HTTP) for S seconds")
    fault.add_argument("--clock-skew", type=float, metavar="S", help="the node's clock runs S seconds off")
    amplifier = fault.add_mutually_exclusive_group()
    amplifier.add_argument("--amplifier-failed", action="store_true", default=None)
    amplifier.add_argument("--amplifier-ok", dest="amplifier_failed", action="store_false")
    fault.add_argument("--corrupt-downloads", type=int, metavar="N", help="damage the next N audio downloads")
    fault.add_argument(
        "--cut-http", type=float, metavar="S", help="no HTTP to the controller (MQTT stays) for S seconds"
    )
    fault.add_argument("--clear", action="store_true", help="remove every fault first")
    worker = sub.add_parser("fleet-process", help=argparse.SUPPRESS)
    worker.add_argument("share_file", type=Path)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "fleet-process":
        from firmware_sim.fleet_processes import run_share

        return run_share(args.share_file)
    if args.state_dir:
        state_dir = Path(args.state_dir)
    elif args.fleet_dir and args.node:
        state_dir = Path(args.fleet_dir) / args.node
    else:
        print("firmware_sim: cần STATE_DIR hoặc --fleet-dir và --node", file=sys.stderr)
        return 2
    if not state_dir.is_dir():
        print(f"firmware_sim: không có thư mục trạng thái {state_dir}", file=sys.stderr)
        return 2
    spec = fault_spec(
        cut_network_s=args.cut_network,
        clock_skew_s=args.clock_skew,
        amplifier_failed=args.amplifier_failed,
        corrupt_downloads=args.corrupt_downloads,
        cut_http_s=args.cut_http,
        clear=args.clear,
    )
    write_atomically(state_dir / FAULTS_FILE, json.dumps(spec, indent=1).encode())
    print(f"{state_dir / FAULTS_FILE}: {json.dumps(spec, ensure_ascii=False)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
