"""Two `loaxa serve` instances behind a real haproxy, on one PostgreSQL and one mosquitto.

People and nodes reach the controller only through haproxy (round robin, no stickiness), so consecutive
requests land on different instances: a console session and its CSRF forms, and API calls with a token,
work whichever instance answers. A programme scheduled on the console airs on simulated nodes (which
poll and download through haproxy too), and every play is stored exactly once. An instance killed with
SIGKILL while nodes report loses nothing, the leader or not: haproxy sends requests to the survivor, which
leads within the lease if the leader died, every airing is on time, and the broker keeps the dead
instance's share of reports in its persistent session until it is back (as systemd restarts it).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import col, select

from controller.accounts import Role
from controller.db import make_engine, session_factory
from controller.settings import Settings
from devices.proof_of_play import PlayRecord
from devices.registry import Device
from tests.console import ConsoleClient
from tests.haproxy import BACKEND_HEADER, HaproxyServer, server_name
from tests.harness import (
    SEVERAL_INSTANCES,
    ControllerProcess,
    FleetRunner,
    add_user_directly,
    approved_bulletin,
    controller_instances,
    login,
    read_playlog,
    setup_commune,
    wait_until,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(180),
    *SEVERAL_INSTANCES,
]

StartBalancer = Callable[[Sequence[str]], HaproxyServer]


@dataclass
class Served:
    """One response through haproxy: what was asked, and which instance answered."""

    method: str
    path: str
    status: int
    backend: str


def record_backends(client: httpx.Client, log: list[Served]) -> None:
    def hook(response: httpx.Response) -> None:
        request = response.request
        log.append(Served(request.method, request.url.path, response.status_code, response.headers[BACKEND_HEADER]))

    client.event_hooks["response"].append(hook)


def leads(process: ControllerProcess) -> bool:
    try:
        return bool(httpx.get(process.base_url + "/api/v1/health", timeout=1).json().get("leader"))
    except httpx.HTTPError:
        return False


@pytest.fixture
def instances(settings: Settings, broker: object, tmp_path: Path) -> Iterator[list[ControllerProcess]]:
    """Two controller processes on one database and broker, each with its own broker account."""
    env = {
        # haproxy is the only proxy, on this machine: believe its X-Forwarded-For.
        "LOAXA_WEB__TRUSTED_PROXIES": "127.0.0.1",
    }
    with controller_instances(settings, tmp_path, env) as processes:
        yield processes


def balanced(load_balancer: StartBalancer, instances: list[ControllerProcess]) -> HaproxyServer:
    balancer = load_balancer([f"127.0.0.1:{process.port}" for process in instances])
    names = {server_name(i) for i in range(len(instances))}
    assert wait_until(lambda: balancer.up() == names, 10), f"haproxy's health checks: {balancer.stats()}"
    return balancer


def stored_plays(settings: Settings) -> list[tuple[str, str, datetime]]:
    """Every stored play as (cluster, item, scheduled start), duplicates included."""
    engine = make_engine(settings.database)
    try:
        with session_factory(engine)() as session:
            rows = session.exec(
                select(Device.code, PlayRecord.item_id, PlayRecord.scheduled_start)
                .join(Device, col(Device.id) == col(PlayRecord.device_id))
                .order_by(col(PlayRecord.id))
            ).all()
            return [(code, item, start) for code, item, start in rows]
    finally:
        engine.dispose()


def played(nodes_dir: Path, clusters: list[str]) -> list[tuple[str, str, datetime]]:
    """What every node's sink played, from its playlog."""
    return [
        (code, line["item_id"], datetime.fromisoformat(line["scheduled_start"]))
        for code in clusters
        for line in read_playlog(nodes_dir / code / "recordings" / "playlog.jsonl")
    ]


COMMUNE = "XA-LB"
CLUSTERS = ["LB-01", "LB-02", "LB-03"]


def test_console_and_api_alternate_between_instances_and_a_programme_airs_once(
    settings: Settings,
    instances: list[ControllerProcess],
    load_balancer: StartBalancer,
    tmp_path: Path,
) -> None:
    balancer = balanced(load_balancer, instances)
    console_log: list[Served] = []
    api_log: list[Served] = []

    add_user_directly(settings, "admin", Role.ADMIN, "admin-password-1")
    admin = login(balancer.url, "admin", "admin-password-1")
    record_backends(admin.client, api_log)
    identities = setup_commune(admin, "P", COMMUNE, CLUSTERS)
    add_user_directly(settings, "canbo", Role.OFFICER, "officer-pass-1", commune_codes=[COMMUNE])
    add_user_directly(settings, "duyet", Role.APPROVER, "approver-pass-1", commune_codes=[COMMUNE])

    officer = ConsoleClient(balancer.url)
    approver = ConsoleClient(balancer.url)
    for client in (officer, approver):
        record_backends(client.client, console_log)
    node = settings.node.model_copy(update={"controller_url": balancer.url})
    fleet = FleetRunner(node, identities, tmp_path / "nodes")
    try:
        # The console: a login (its session in the database), then forms whose CSRF token one instance
        # issued and the other checks (both sign with LOAXA_SECRET_KEY).
        assert officer.login("canbo", "officer-pass-1").status_code == 303
        officer.get("/ban-tin/moi")
        response = officer.post(
            "/ban-tin/moi",
            {
                "commune_code": COMMUNE,
                "title": "Lịch tiêm chủng",
                "body": "Kính thưa bà con, trạm y tế xã tiêm chủng sáng mai.",
                "topic": "y tế",
                "legal_refs": "",
                "priority": "normal",
                "dialect": "north",
                "language": "vi",
            },
        )
        assert response.status_code == 303, response.text
        bulletin_id = int(response.headers["location"].split("/")[2].split("?")[0])
        assert officer.get(f"/ban-tin/{bulletin_id}").status_code == 200
        # The preview's audio, rendered by one instance into the shared store, plays from either.
        preview = officer.client.post(
            f"/ban-tin/{bulletin_id}/xem-truoc", headers={"HX-Request": "true", "X-CSRF-Token": officer.csrf}
        )
        assert preview.status_code == 200, preview.text
        source = re.search(r'<source src="([^"]+)" type="audio/ogg">', preview.text)
        assert source is not None
        for _ in range(2):
            audio = officer.client.get(source.group(1).replace("&amp;", "&"))
            assert audio.status_code == 200 and audio.content[:4] == b"OggS"
        assert officer.post(f"/ban-tin/{bulletin_id}/gui-duyet").status_code == 303
        assert approver.login("duyet", "approver-pass-1").status_code == 303
        assert f"/ban-tin/{bulletin_id}" in approver.get("/duyet").text
        approver.get(f"/ban-tin/{bulletin_id}")
        assert approver.post(f"/ban-tin/{bulletin_id}/duyet").status_code == 303
        page = officer.get(f"/ban-tin/{bulletin_id}")
        assert "Đã duyệt" in page.text and "Lên lịch phát" in page.text

        # The API with a token, on whichever instance.
        api = login(balancer.url, "canbo", "officer-pass-1")
        record_backends(api.client, api_log)
        for _ in range(4):
            response = api.get(f"/api/v1/bulletins/{bulletin_id}")
            assert response.status_code == 200 and response.json()["status"] == "approved", response.text

        fleet.start()
        fleet.wait_connected()
        zone = ZoneInfo(settings.scheduler.timezone)
        starts = (datetime.now(zone) + timedelta(seconds=10)).replace(microsecond=0)
        officer.get(f"/ban-tin/{bulletin_id}")
        scheduled = officer.post(
            f"/ban-tin/{bulletin_id}/lich-phat", {"starts_at": starts.strftime("%Y-%m-%dT%H:%M:%S")}
        )
        assert scheduled.status_code == 303, scheduled.text
        assert "Lịch tiêm chủng" in officer.get(f"/xa/{COMMUNE}/lich-phat").text
        items = api.get(f"/api/v1/communes/{COMMUNE}/playlist").json()["items"]
        assert len(items) == 1
        duration_s = items[0]["duration_ms"] / 1000

        plays_path = f"/api/v1/communes/{COMMUNE}/plays"
        assert wait_until(
            lambda: len(api.get(plays_path).json()) >= len(CLUSTERS), 10 + duration_s + 20, interval_s=0.5
        ), api.get(plays_path).json()
        time.sleep(2)  # a report stored twice would show by now
        served = len(console_log), len(api_log)

        # Logging out on one instance ends the session on both: the old cookie and token open nothing.
        assert officer.post("/dang-xuat").status_code == 303
        assert api.post("/api/v1/auth/logout").status_code == 204
        for _ in range(4):  # consecutive requests of one client: both instances (nodes poll in between too)
            page = officer.client.get(f"/ban-tin/{bulletin_id}")
            assert page.status_code == 303 and page.headers["location"].startswith("/dang-nhap"), page.text
        for _ in range(4):
            assert api.get(f"/api/v1/bulletins/{bulletin_id}").status_code == 401
        assert {s.backend for s in console_log[served[0] + 1 :]} == {server_name(0), server_name(1)}
        assert {s.backend for s in api_log[served[1] + 1 :]} == {server_name(0), server_name(1)}
        api.client.close()
    finally:
        fleet.stop()
        for client in (officer, approver):
            client.close()
        admin.client.close()
    console_log, api_log = console_log[: served[0]], api_log[: served[1]]

    plays = stored_plays(settings)
    assert sorted(plays) == sorted(played(tmp_path / "nodes", CLUSTERS)), "every play stored, once"
    assert len(plays) == len(CLUSTERS) and {code for code, _, _ in plays} == set(CLUSTERS)
    assert all(start == starts.astimezone(UTC) for _, _, start in plays)

    both = {server_name(0), server_name(1)}
    assert {s.backend for s in console_log} == both and {s.backend for s in api_log} == both
    assert {s.backend for s in console_log if s.method == "POST"} == both, "forms posted to either instance"
    assert all(s.status < 400 for s in console_log + api_log), [s for s in console_log + api_log if s.status >= 400]
    # Consecutive requests of one client (nothing else asked in between) went to alternate instances.
    login_requests = [s.backend for s in console_log[:4]]
    assert login_requests in ([server_name(0), server_name(1)] * 2, [server_name(1), server_name(0)] * 2)
    stats = balancer.stats()
    assert all(int(stats[name]["hrsp_2xx"]) > 0 for name in both), stats


KILL_COMMUNE = "XA-KILL"
KILL_CLUSTERS = [f"KL-{n:02d}" for n in range(1, 7)]
AIRINGS = 4
SPACING_S = 4.0
LEASE_S = 3.0  # controller_env's lease: a standby takes over within 3 s of the leader's last renewal
START_TOLERANCE_MS = 500


@pytest.mark.parametrize("victim_role", ["non-leader", "leader"])
def test_killing_an_instance_while_nodes_report_loses_no_play(
    victim_role: str,
    settings: Settings,
    instances: list[ControllerProcess],
    load_balancer: StartBalancer,
    tmp_path: Path,
) -> None:
    balancer = balanced(load_balancer, instances)
    add_user_directly(settings, "admin", Role.ADMIN, "admin-password-1")
    admin = login(balancer.url, "admin", "admin-password-1")
    identities = setup_commune(admin, "P", KILL_COMMUNE, KILL_CLUSTERS)
    add_user_directly(settings, "canbo", Role.OFFICER, "officer-pass-1", commune_codes=[KILL_COMMUNE])
    add_user_directly(settings, "duyet", Role.APPROVER, "approver-pass-1", commune_codes=[KILL_COMMUNE])
    officer = login(balancer.url, "canbo", "officer-pass-1")
    approver = login(balancer.url, "duyet", "approver-pass-1")
    bulletin_id, _ = approved_bulletin(officer, approver, KILL_COMMUNE, "Tin ngắn", "Xin chào bà con.")

    leader = next(process for process in instances if leads(process))
    standby = next(process for process in instances if process is not leader)
    victim, survivor = (leader, standby) if victim_role == "leader" else (standby, leader)
    survivor_name = server_name(instances.index(survivor))
    fleet = FleetRunner(
        settings.node.model_copy(update={"controller_url": balancer.url}), identities, tmp_path / "nodes"
    )
    fleet.start()
    try:
        fleet.wait_connected()
        first = datetime.now(UTC) + timedelta(seconds=8)
        for n in range(AIRINGS):
            starts = first + timedelta(seconds=n * SPACING_S)
            response = officer.post(
                "/api/v1/broadcasts",
                {"bulletin_id": bulletin_id, "commune_code": KILL_COMMUNE, "starts_at": starts.isoformat()},
            )
            assert response.status_code == 201, response.text
        items = officer.get(f"/api/v1/communes/{KILL_COMMUNE}/playlist").json()["items"]
        assert len(items) == AIRINGS and all(item["duration_ms"] < SPACING_S * 1000 - 500 for item in items)

        # The first reports are coming in: kill one instance, as a power cut would.
        assert wait_until(lambda: len(stored_plays(settings)) > 0, 40, interval_s=0.05)
        victim.kill()
        at_kill = len(stored_plays(settings))
        assert wait_until(lambda: balancer.up() == {survivor_name}, 5), "haproxy took the dead instance out"
        # A non-leader's death changes no leadership; a leader's hands it to the survivor within the lease.
        assert wait_until(lambda: leads(survivor), LEASE_S + 2, interval_s=0.1)
        # While it is down, the nodes keep polling (through haproxy, on the survivor) and airing.
        last_ends = first + timedelta(seconds=(AIRINGS - 1) * SPACING_S + SPACING_S)
        wait_until(lambda: datetime.now(UTC) > last_ends + timedelta(seconds=2), 60, interval_s=0.2)
        expected = len(KILL_CLUSTERS) * AIRINGS
        assert len(played(tmp_path / "nodes", KILL_CLUSTERS)) == expected, "every node aired every item"
        while_down = len(stored_plays(settings))

        # mosquitto kept handing the dead instance its share of the group's reports (about half: 13 of 24
        # stored while it was down, in one run), queued in its persistent session. systemd restarts it
        # (Restart=always): it resumes its session, and stores what was queued and what it had not acked.
        victim.start()
        assert wait_until(lambda: len(stored_plays(settings)) >= expected, 30, interval_s=0.2), (
            f"{len(stored_plays(settings))}/{expected} stored (at the kill {at_kill}, while down {while_down})"
        )
        time.sleep(2)  # a report stored twice would show by now
        assert leads(survivor) and not leads(victim), "back, the killed instance stands by"
    finally:
        fleet.stop()
        for api in (admin, officer, approver):
            api.client.close()

    plays = stored_plays(settings)
    assert sorted(plays) == sorted(played(tmp_path / "nodes", KILL_CLUSTERS)), "nothing lost, nothing doubled"
    assert len(set(plays)) == len(plays) == expected
    late_ms = [
        abs(datetime.fromisoformat(line["started_at"]) - datetime.fromisoformat(line["scheduled_start"]))
        / timedelta(milliseconds=1)
        for code in KILL_CLUSTERS
        for line in read_playlog(tmp_path / "nodes" / code / "recordings" / "playlog.jsonl")
    ]
    assert max(late_ms) < START_TOLERANCE_MS, "every airing on time, whichever instance died"
