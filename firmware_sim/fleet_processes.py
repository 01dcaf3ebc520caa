"""A simulated fleet spread over several OS processes, each running a `Fleet` on its own event loop.

One Python process runs its event loop on one core: at a few thousand nodes that loop, not the
controller, sets the pace (docs/benchmarks.md). `FleetProcesses` gives each of P child processes
every P-th node (so every commune is spread over all of them) and only supervises: it forwards
SIGINT/SIGTERM, stops the others and fails if one child dies, and reads each child's status file
(connected nodes, CPU seconds) to say how busy the simulator itself is.

A child is `python -m firmware_sim fleet-process <share.json>`: a fresh interpreter that imports
only the node agent, not whatever the parent imported. It stops by itself when its parent is gone,
so a killed supervisor leaves no orphans.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

from firmware_sim.config import NodeSettings
from firmware_sim.fleet import MAX_CONNECTIONS, Fleet, NodeIdentity

log = logging.getLogger(__name__)

# How often a child rewrites its status file and checks that its parent is alive: often enough for a
# supervisor's once-a-second view, rare enough to cost nothing next to thousands of nodes.
STATUS_INTERVAL_S = 1.0
# A child's clean stop: every node publishes its "offline" state (1 s timeout each, all at once) and
# the loop drains; thousands of nodes on a busy loop take a few seconds. Past this it is killed.
STOP_GRACE_S = 20.0
# Wanted open files per fleet process: each node holds a broker socket, the shared HTTP pool a few
# more, and the disk I/O threads a few files each. Raised to the hard limit when that is lower.
WANTED_OPEN_FILES = 65_536


def raise_open_files_limit(wanted: int = WANTED_OPEN_FILES) -> int:
    """Raise this process's soft RLIMIT_NOFILE towards `wanted` (never past the hard limit); return it.

    Many systems start processes with a soft limit of 1,024 open files, which a few hundred simulated
    nodes exhaust; the hard limit (often 65,536 or more) needs no privilege to reach."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


@dataclass(frozen=True)
class ProcessStatus:
    """What one child said about itself in its last status file."""

    index: int
    pid: int
    nodes: int
    connected: int
    cpu_s: float  # user + system CPU seconds of the whole child process so far
    at: float  # wall clock (time.time()) of the report
    # (command id, the node's ack time ISO 8601) of every ack its nodes sent; only in the final report.
    command_acks: tuple[tuple[str, str], ...] = ()
    final: bool = False
    # Nodes holding a complete, verified stock library (an emergency with a stock message needs no download).
    stock_ready: int = 0
    # Every urgent notice's pull, as (noticed, asked, fetched, ready, applied) ISO 8601 times; final report only.
    urgent_pulls: tuple[tuple[str, ...], ...] = ()


def _write_json(path: Path, data: object) -> None:
    """Replace `path` atomically (no fsync: a status file is rewritten every second and never recovered)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def read_status(path: Path) -> ProcessStatus | None:
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return ProcessStatus(
        index=int(raw["index"]),
        pid=int(raw["pid"]),
        nodes=int(raw["nodes"]),
        connected=int(raw["connected"]),
        cpu_s=float(raw["cpu_s"]),
        at=float(raw["at"]),
        command_acks=tuple((str(c), str(a)) for c, a in raw.get("command_acks", [])),
        final=bool(raw.get("final", False)),
        stock_ready=int(raw.get("stock_ready", 0)),
        urgent_pulls=tuple(tuple(str(t) for t in times) for times in raw.get("urgent_pulls", [])),
    )


# -- the child ---------------------------------------------------------------------------------------


def run_share(share_file: Path) -> int:
    """A child's whole life: run its share of the fleet until SIGINT/SIGTERM or until its parent is gone."""
    share = json.loads(share_file.read_text())
    logging.basicConfig(
        level=int(share["log_level"]),
        format=f"%(asctime)s %(levelname)s fleet-{share['index']} %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    raise_open_files_limit()
    template = NodeSettings.model_validate(share["template"])
    identities = [NodeIdentity(str(d), str(c), str(p)) for d, c, p in share["identities"]]
    fleet = Fleet(template, identities, Path(share["state_root"]), max_connections=int(share["max_connections"]))
    asyncio.run(_serve(fleet, share))
    return 0


async def _serve(fleet: Fleet, share: dict[str, Any]) -> None:
    status_file, parent_pid = Path(share["status_file"]), int(share["parent_pid"])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    def report(final: bool = False) -> None:
        status: dict[str, object] = {
            "index": share["index"],
            "pid": os.getpid(),
            "nodes": len(fleet.agents),
            "connected": fleet.connected,
            "cpu_s": time.process_time(),
            "at": time.time(),
            "final": final,
            "stock_ready": sum(agent.stock.version is not None for agent in fleet.agents),
        }
        if final:
            status["command_acks"] = [
                [ack.command_id, ack.at.isoformat()] for agent in fleet.agents for ack in agent.command_acks
            ]
            status["urgent_pulls"] = [
                [t.isoformat() for t in (p.noticed_at, p.asked_at, p.fetched_at, p.ready_at, p.applied_at)]
                for agent in fleet.agents
                for p in agent.urgent_pulls
            ]
        _write_json(status_file, status)

    task = asyncio.create_task(fleet.run())
    while not task.done() and not stop.is_set():
        report()
        if os.getppid() != parent_pid:
            log.warning("the fleet supervisor (pid %d) is gone; stopping", parent_pid)
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), STATUS_INTERVAL_S)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    report(final=True)


# -- the supervisor ----------------------------------------------------------------------------------


class ChildDied(RuntimeError):
    """A fleet process exited while nobody asked it to stop."""


class FleetProcesses:
    """`processes` children, child i running identities[i::processes] with state under `state_root`."""

    def __init__(
        self,
        template: NodeSettings,
        identities: list[NodeIdentity],
        state_root: Path,
        processes: int,
        *,
        stop_grace_s: float = STOP_GRACE_S,
    ) -> None:
        if processes < 1:
            raise ValueError("a fleet needs at least one process")
        count = max(1, min(processes, len(identities)))
        self.state_root = state_root
        self.stop_grace_s = stop_grace_s
        self.shares = [identities[i::count] for i in range(count)]
        self._template = template
        self.children: list[subprocess.Popen[bytes]] = []
        self._stopping = False

    def _share_file(self, index: int) -> Path:
        return self.state_root / f"process-{index}.share.json"

    def status_file(self, index: int) -> Path:
        return self.state_root / f"process-{index}.status.json"

    def start(self) -> None:
        self.state_root.mkdir(parents=True, exist_ok=True)
        template = self._template.model_dump(mode="json")
        template["password"] = ""  # each node's own comes with its identity
        per_process = MAX_CONNECTIONS  # each process its own pool (see MAX_CONNECTIONS)
        for index, share in enumerate(self.shares):
            self.status_file(index).unlink(missing_ok=True)
            share_file = self._share_file(index)
            share_file.touch(mode=0o600)  # node passwords: readable by this user only
            share_file.chmod(0o600)
            share_file.write_text(
                json.dumps(
                    {
                        "index": index,
                        "template": template,
                        "identities": [[i.device_code, i.commune, i.password] for i in share],
                        "state_root": str(self.state_root),
                        "status_file": str(self.status_file(index)),
                        "parent_pid": os.getpid(),
                        "max_connections": per_process,
                        "log_level": logging.getLogger().getEffectiveLevel(),
                    }
                )
            )
            self.children.append(
                subprocess.Popen([sys.executable, "-m", "firmware_sim", "fleet-process", str(share_file)])
            )

    @property
    def pids(self) -> list[int]:
        return [child.pid for child in self.children]

    def statuses(self) -> list[ProcessStatus | None]:
        return [read_status(self.status_file(i)) for i in range(len(self.children))]

    @property
    def connected(self) -> int:
        return sum(s.connected for s in self.statuses() if s is not None)

    @property
    def stock_ready(self) -> int:
        """Nodes that hold the whole stock library, pinned and verified (as of the children's last status)."""
        return sum(s.stock_ready for s in self.statuses() if s is not None)

    def check(self) -> None:
        """Raise ChildDied if a child exited while it was not asked to stop."""
        for index, child in enumerate(self.children):
            code = child.poll()
            if code is not None and not self._stopping:
                raise ChildDied(f"fleet process {index} (pid {child.pid}) exited with {code}")

    def stop(self) -> list[int]:
        """SIGTERM every child, wait up to `stop_grace_s` for all, kill the rest; their exit codes."""
        self._stopping = True
        for child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_grace_s
        for index, child in enumerate(self.children):
            try:
                child.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("fleet process %d (pid %d) did not stop in time; killed", index, child.pid)
                child.kill()
                child.wait()
        for index in range(len(self.children)):
            self._share_file(index).unlink(missing_ok=True)
        return [child.returncode for child in self.children]

    def command_acks(self) -> list[tuple[str, str]]:
        """Every command ack the nodes sent, from the children's final reports (after `stop`)."""
        return [ack for status in self.statuses() if status is not None for ack in status.command_acks]

    def urgent_pulls(self) -> list[tuple[datetime, ...]]:
        """Every urgent notice's pull on every node (noticed, asked, fetched, ready, applied), after `stop`."""
        return [
            tuple(datetime.fromisoformat(t) for t in times)
            for status in self.statuses()
            if status is not None
            for times in status.urgent_pulls
        ]

    def supervise(self, report_every_s: float, say: Callable[[str], None]) -> int:
        """Start the children and watch them until SIGINT/SIGTERM (0) or until one dies (1).

        Every `report_every_s` it says how many nodes are connected and each process's CPU (percent of
        one core since the last report), so a reader sees whether the simulator had headroom."""
        wake = threading.Event()
        signalled: list[int] = []

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            signalled.append(signum)
            wake.set()

        previous = {signum: signal.signal(signum, on_signal) for signum in (signal.SIGINT, signal.SIGTERM)}
        self.start()
        code = 0
        try:
            last: dict[int, ProcessStatus] = {}
            next_report = time.monotonic() + report_every_s
            while not signalled:
                try:
                    self.check()
                except ChildDied as exc:
                    say(f"fleet: {exc}; stopping the others")
                    code = 1
                    break
                if time.monotonic() >= next_report:
                    next_report += report_every_s
                    say(self._report_line(last))
                wake.wait(min(1.0, report_every_s))
        finally:
            codes = self.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        say(f"fleet: stopped; process exit codes {codes}")
        return code

    def _report_line(self, last: dict[int, ProcessStatus]) -> str:
        parts = []
        connected = 0
        for index, status in enumerate(self.statuses()):
            if status is None:
                parts.append(f"#{index} starting")
                continue
            connected += status.connected
            before = last.get(index)
            if before is not None and status.at > before.at:
                cpu = 100.0 * (status.cpu_s - before.cpu_s) / (status.at - before.at)
                parts.append(f"#{index} {status.connected}/{status.nodes} CPU {cpu:.0f}%")
            else:
                parts.append(f"#{index} {status.connected}/{status.nodes}")
            last[index] = status
        total = sum(len(share) for share in self.shares)
        return f"fleet: {connected}/{total} connected; " + ", ".join(parts)
