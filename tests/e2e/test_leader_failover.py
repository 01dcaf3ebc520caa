"""Two `loaxa serve` instances on one PostgreSQL and one mosquitto: one leads the singleton jobs; killed with
SIGKILL, the other takes over within the lease setting and publishes; the dead leader's fencing token no
longer publishes, and the old leader, back, does not lead; a leader paused past its lease steps down when it
resumes.

The horizon is seconds here, so the broadcast reaches the playlist only through the leader's scheduler
(when it enters the horizon), never through the request that scheduled it.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from controller.accounts import Role
from controller.db import make_engine, session_factory
from controller.settings import Settings
from devices.registry import get_commune
from schedules import current_playlist, publish_playlist
from schedules.lease import LEADER, Fence, LeaderLease, NotLeader
from tests.harness import (
    POSTGRES_ENV,
    ControllerProcess,
    add_user_directly,
    approved_bulletin,
    controller_env,
    login,
    setup_commune,
    wait_until,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(120),
    pytest.mark.skipif(
        not os.environ.get(POSTGRES_ENV),
        reason=f"needs PostgreSQL: set {POSTGRES_ENV} (several instances cannot share SQLite, which refuses a second)",
    ),
]

COMMUNE = "XA-LEAD"
LEASE_S = 3.0  # controller_env's lease: the standby takes over within 3 s of the leader's last renewal
HORIZON_S = 15.0
AIR_S = 25.0  # the broadcast enters the 15 s horizon 10 s after it is scheduled, after the takeover


def leads(process: ControllerProcess) -> bool:
    try:
        return bool(httpx.get(process.base_url + "/api/v1/health", timeout=1).json().get("leader"))
    except httpx.HTTPError:
        return False


@pytest.mark.one_database("postgresql", why="several instances need PostgreSQL; SQLite refuses a second one")
def test_the_standby_takes_over_a_killed_leader_and_the_old_token_no_longer_publishes(
    settings: Settings, broker: object, tmp_path: Path
) -> None:
    env = controller_env(settings) | {
        "LOAXA_MQTT__SERVICE_USERNAMES": f"{settings.mqtt.username},loaxa-controller-2",
        "LOAXA_SCHEDULER__PLAYLIST_HORIZON_H": str(HORIZON_S / 3600),
        "LOAXA_SCHEDULER__PUBLISH_LEAD_MIN": str(5 / 60),
        "LOAXA_SCHEDULER__REPUBLISH_INTERVAL_S": "1",
    }
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = ControllerProcess(env, tmp_path / "a")
    second = ControllerProcess(env | {"LOAXA_MQTT__USERNAME": "loaxa-controller-2"}, tmp_path / "b")
    engine = make_engine(settings.database)
    sessions = session_factory(engine)

    def lease() -> LeaderLease:
        with sessions() as session:
            row = session.exec(select(LeaderLease).where(LeaderLease.name == LEADER)).one()
            session.expunge(row)
            return row

    try:
        first.start()
        second.start()
        assert leads(first) and not leads(second)
        held = lease()
        assert first.process is not None and f":{first.process.pid}:" in held.holder
        stale = Fence(LEADER, held.holder, held.token)

        add_user_directly(settings, "admin", Role.ADMIN, "admin-password-1")
        admin = login(second.base_url, "admin", "admin-password-1")  # any instance serves any request
        setup_commune(admin, "P", COMMUNE, [])
        add_user_directly(settings, "canbo", Role.OFFICER, "officer-pass-1", commune_codes=[COMMUNE])
        add_user_directly(settings, "duyet", Role.APPROVER, "approver-pass-1", commune_codes=[COMMUNE])
        officer = login(second.base_url, "canbo", "officer-pass-1")
        approver = login(first.base_url, "duyet", "approver-pass-1")
        bulletin_id, _ = approved_bulletin(officer, approver, COMMUNE, "Tin ngắn", "Xin chào bà con.")
        airs_at = datetime.now(UTC) + timedelta(seconds=AIR_S)
        response = officer.post(
            "/api/v1/broadcasts",
            {"bulletin_id": bulletin_id, "commune_code": COMMUNE, "starts_at": airs_at.isoformat()},
        )
        assert response.status_code == 201, response.text
        item = f"b{response.json()['id']}"
        assert officer.get(f"/api/v1/communes/{COMMUNE}/playlist").json()["items"] == [], "beyond the horizon"

        first.kill()
        killed = time.monotonic()
        assert wait_until(lambda: leads(second), LEASE_S + 5, interval_s=0.1)
        took_over_s = time.monotonic() - killed
        assert took_over_s <= LEASE_S + 1.5, f"took over after {took_over_s:.1f} s"
        taken = lease()
        assert second.process is not None and f":{second.process.pid}:" in taken.holder
        assert taken.token == stale.token + 1

        def published() -> bool:
            items = officer.get(f"/api/v1/communes/{COMMUNE}/playlist").json()["items"]
            return item in [entry["item_id"] for entry in items]

        assert wait_until(published, AIR_S, interval_s=0.2), "the new leader published the broadcast"
        assert datetime.now(UTC) < airs_at, "published before its airtime"

        with sessions() as session:
            commune = get_commune(session, COMMUNE)
            before = current_playlist(session, commune)
            assert before is not None
            version = before.version
            with pytest.raises(NotLeader):
                publish_playlist(
                    session,
                    commune,
                    now=datetime.now(UTC) + timedelta(seconds=60),  # a later view: it would change the playlist
                    horizon=timedelta(seconds=HORIZON_S),
                    lookback=timedelta(hours=2),
                    fence=stale,
                )
            session.rollback()
            after = current_playlist(session, commune)
            assert after is not None and after.version == version, "the dead leader's token published nothing"

        first.start()  # the old leader comes back as a new process: it stands by
        time.sleep(2 * float(env["LOAXA_SCHEDULER__LEADER_RENEW_S"]))
        assert not leads(first) and leads(second)
        assert lease().token == taken.token

        # A leader paused past its lease (a VM migration, a long stall) comes back stale: it steps down.
        assert second.process is not None
        second.process.send_signal(signal.SIGSTOP)
        try:
            assert wait_until(lambda: leads(first), LEASE_S + 5, interval_s=0.1)
        finally:
            second.process.send_signal(signal.SIGCONT)
        log = tmp_path / "b" / "controller-1.log"
        assert wait_until(lambda: "no longer leads" in log.read_text(), 5), "the stale leader stepped down"
        assert not leads(second) and leads(first)
        assert lease().token == taken.token + 1
        for api in (admin, officer, approver):
            api.client.close()
    finally:
        first.stop()
        second.stop()
        engine.dispose()
