"""`loaxa fleet --processes 2`, run as a real process: nodes in two child processes against a private broker
(and the controller), a parent that supervises them, and no child left running when the parent goes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from controller.db import make_engine, session_factory
from controller.settings import Settings
from devices.mosquitto import MosquittoProcess
from devices.registry import add_commune, add_province
from firmware_sim.fleet_processes import ProcessStatus, read_status
from tests.controller.test_cli import base_env
from tests.harness import Api, ControllerServer, setup_commune, wait_until

pytestmark = pytest.mark.one_database("sqlite", why="the simulator in subprocesses; the database is not its subject")

NODES = 6
COMMUNE = "XA-PROC"


def running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def fleet_env(settings: Settings, tmp_path: Path, controller_url: str = "http://127.0.0.1:9") -> dict[str, str]:
    return {
        **os.environ,
        **base_env(settings.database.url, settings.mqtt, tmp_path),
        "LOAXA_NODE__CONTROLLER_URL": controller_url,
        "LOAXA_NODE__BROKER_PORT": str(settings.mqtt.port),
    }


def start_fleet(env: dict[str, str], state_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "controller", "fleet", "--nodes", str(NODES), "--commune", COMMUNE),
            *("--processes", "2", "--state-dir", str(state_dir), "--report-every", "1"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def connected_children(state_dir: Path, timeout_s: float = 25) -> list[ProcessStatus]:
    """The two children's status once each says all its nodes are connected to the broker."""

    def statuses() -> list[ProcessStatus | None]:
        return [read_status(state_dir / f"process-{i}.status.json") for i in range(2)]

    def all_connected() -> bool:
        return all(s is not None and s.connected == s.nodes for s in statuses())

    assert wait_until(all_connected, timeout_s, interval_s=0.2), statuses()
    return [s for s in statuses() if s is not None]


def status_line(fleet: subprocess.Popen[str], wanted: Callable[[str], bool], timeout_s: float = 15) -> str:
    """The first line the fleet prints that `wanted` accepts (it prints one every second)."""
    assert fleet.stdout is not None
    deadline = time.monotonic() + timeout_s
    lines = []
    while time.monotonic() < deadline and (line := fleet.stdout.readline()):
        if wanted(line):
            return line
        lines.append(line)
    raise AssertionError("".join(lines))


@pytest.fixture
def commune(settings: Settings, broker: MosquittoProcess) -> Iterator[None]:
    """The commune in the database, for `loaxa fleet` to register its nodes in (no controller running)."""
    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        add_commune(session, add_province(session, "P", "Tỉnh"), COMMUNE, "Xã")
        session.commit()
    engine.dispose()
    yield


def test_two_processes_bring_every_node_online_and_stop_with_the_parent(
    settings: Settings, controller: ControllerServer, admin: Api, tmp_path: Path
) -> None:
    setup_commune(admin, "P", COMMUNE, [])
    fleet = start_fleet(fleet_env(settings, tmp_path, controller.base_url), tmp_path / "fleet")
    try:

        def summary() -> dict[str, int]:
            return dict(admin.get("/api/v1/fleet/summary").json())

        assert wait_until(lambda: summary()["online"] == NODES, 25, 0.2), summary()
        children = connected_children(tmp_path / "fleet")
        # Two processes of three nodes each, neither of them the parent.
        assert sorted(s.nodes for s in children) == [3, 3]
        pids = {s.pid for s in children}
        assert len(pids) == 2 and fleet.pid not in pids and all(running(pid) for pid in pids)
        assert all(s.cpu_s > 0 for s in children)
        # A status line a second: how many nodes are connected and how busy each process is.
        seen = status_line(fleet, lambda line: f"{NODES}/{NODES} connected" in line and line.count("CPU") == 2)
        fleet.send_signal(signal.SIGINT)  # Ctrl-C on the parent alone
        output, _ = fleet.communicate(timeout=25)
    finally:
        if fleet.poll() is None:
            fleet.kill()
            fleet.wait()
    assert fleet.returncode == 0, output
    assert not any(running(pid) for pid in pids), output
    assert seen.startswith("fleet: 6/6 connected; #0 3/3 CPU "), seen
    # The children stopped cleanly: every node said "offline" itself.
    assert wait_until(lambda: summary()["online"] == 0, 10, 0.2), summary()


def test_a_child_that_dies_stops_the_fleet_with_an_error(settings: Settings, commune: None, tmp_path: Path) -> None:
    fleet = start_fleet(fleet_env(settings, tmp_path), tmp_path / "fleet")
    try:
        first, second = connected_children(tmp_path / "fleet")
        os.kill(first.pid, signal.SIGKILL)
        output, _ = fleet.communicate(timeout=25)
    finally:
        if fleet.poll() is None:
            fleet.kill()
            fleet.wait()
    assert fleet.returncode == 1, output
    assert "exited with -9" in output, output
    assert not running(second.pid)


def test_children_stop_by_themselves_when_the_parent_is_killed(
    settings: Settings, commune: None, tmp_path: Path
) -> None:
    fleet = start_fleet(fleet_env(settings, tmp_path), tmp_path / "fleet")
    try:
        pids = [s.pid for s in connected_children(tmp_path / "fleet")]
    finally:
        fleet.kill()  # SIGKILL: the parent can forward nothing
        fleet.wait()
    # Each child notices within a status interval that it was orphaned, and stops.
    assert wait_until(lambda: not any(running(pid) for pid in pids), 15, 0.2), [running(p) for p in pids]


def test_fewer_than_one_process_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "controller", "fleet", "--nodes", "2", "--commune", COMMUNE, "--processes", "0"],
        env=fleet_env(settings, tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "--processes" in done.stderr, done.stderr
    assert not (tmp_path / "fleet").exists()
