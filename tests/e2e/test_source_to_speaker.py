"""The province's source system end to end: its item becomes a pending bulletin, is approved, airs on a
simulated node, and the source receives the proof of play, the bulletin with its schedule, and the station
and cluster, each report once, although it was down for the whole airing and the controller was killed
(SIGKILL) between the changes (the schedule, the play) and their reports going out.

Real processes: mosquitto, `loaxa serve` (killed and restarted), the node agent, and the simulated source
system (`source_sim`) over HTTP.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from controller.accounts import Role
from controller.db import make_engine, session_factory
from controller.settings import Settings
from devices.command_signing import CommandSigner
from devices.proof_of_play import PlayRecord
from province_link import OutboxMessage
from source_sim import SourceSystemSim
from tests.harness import (
    ControllerProcess,
    FleetRunner,
    add_user_directly,
    controller_env,
    login,
    read_playlog,
    setup_commune,
    wait_until,
)
from tests.source_system import item

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


@pytest.mark.one_database("sqlite", why="processes and HTTP are the subject; the outbox's SQL runs on both elsewhere")
def test_a_source_item_airs_and_its_proof_of_play_reaches_the_source_once(
    settings: Settings, broker: object, tmp_path: Path
) -> None:
    report_key = CommandSigner.load_or_create(settings.source_link.signing_key_file).public_key_b64
    env = controller_env(settings) | {
        "LOAXA_SOURCE_LINK__REPORT_INTERVAL_S": "0.3",
        "LOAXA_SOURCE_LINK__RETRY_MIN_S": "0.5",
        "LOAXA_SOURCE_LINK__RETRY_MAX_S": "1",
        "LOAXA_SOURCE_LINK__HOUSEKEEPING_INTERVAL_S": "0.5",  # the first snapshot soon after registration
    }
    controller = ControllerProcess(env, tmp_path)
    controller.start()
    source = SourceSystemSim(tmp_path / "source", "STP-P", loaxa_url=controller.base_url, loaxa_public_key=report_key)
    source.start()
    host, port = source.url.removeprefix("http://").split(":")
    fleet: FleetRunner | None = None
    try:
        add_user_directly(settings, "admin", Role.ADMIN, "admin-password-1")
        admin = login(controller.base_url, "admin", "admin-password-1")
        identities = setup_commune(admin, "P", "XA-A", ["A1"])
        add_user_directly(settings, "canbo", Role.OFFICER, "officer-pass-1", commune_codes=["XA-A"])
        add_user_directly(settings, "duyet", Role.APPROVER, "approver-pass-1", commune_codes=["XA-A"])
        registered = admin.post(
            "/api/v1/source-systems",
            {
                "code": "STP-P",
                "name": "Sở Tư pháp tỉnh P",
                "province_code": "P",
                "public_key": source.key.public_key_b64,
                "report_url": f"{source.url}/reports",
            },
        )
        assert registered.status_code == 201, registered.text
        assert admin.get("/api/v1/source-link/key").json()["public_key"] == report_key

        _, pushed = source.publish(item("STP-2026-0193", target={"communes": ["XA-A"]}))
        assert pushed is not None and pushed.status_code == 201, pushed
        [bulletin_id] = pushed.json()["bulletin_ids"]
        officer = login(controller.base_url, "canbo", "officer-pass-1")
        approver = login(controller.base_url, "duyet", "approver-pass-1")
        approved = approver.post(f"/api/v1/bulletins/{bulletin_id}/approve")
        assert approved.status_code == 200, approved.text

        fleet = FleetRunner(
            settings.node.model_copy(update={"controller_url": controller.base_url}), identities, tmp_path / "nodes"
        )
        fleet.start()
        fleet.wait_connected()
        assert wait_until(lambda: {"station", "cluster"} <= {r["kind"] for r in source.reports()}, 30, interval_s=0.2)
        source.stop()  # the upstream is down from before the airing until after the controller's restart
        starts_at = datetime.now(UTC) + timedelta(seconds=6)
        scheduled = officer.post(
            "/api/v1/broadcasts",
            {"bulletin_id": bulletin_id, "commune_code": "XA-A", "starts_at": starts_at.isoformat()},
        )
        assert scheduled.status_code == 201, scheduled.text
        item_id = f"b{scheduled.json()['id']}"
        for api in (admin, officer, approver):
            api.client.close()

        playlog = tmp_path / "nodes" / "A1" / "recordings" / "playlog.jsonl"
        assert wait_until(lambda: any(e["item_id"] == item_id for e in read_playlog(playlog)), 90, interval_s=0.2)
        engine = make_engine(settings.database)
        sessions = session_factory(engine)

        def tried_and_waiting() -> bool:
            with sessions() as session:
                plays = session.exec(select(PlayRecord).where(PlayRecord.item_id == item_id)).all()
                waiting = session.exec(select(OutboxMessage).where(col(OutboxMessage.sent_at).is_(None))).all()
                kinds = {m.kind for m in waiting if m.attempts >= 1}
                return len(plays) == 1 and {"play", "bulletin"} <= kinds

        assert wait_until(tried_and_waiting, 30, interval_s=0.2), "the play was not stored, or its report not tried"
        controller.kill()  # between the change and its report going out
        controller.start()
        with SourceSystemSim(
            tmp_path / "source", "STP-P", host=host, port=int(port), loaxa_public_key=report_key
        ) as back:
            assert wait_until(lambda: len(back.reports()) >= 1, 30, interval_s=0.2), "the report never arrived"
            with sessions() as session:
                assert wait_until(
                    lambda: all(m.sent_at is not None for m in session.exec(select(OutboxMessage)).all()), 10
                )
                keys = [m.key for m in session.exec(select(OutboxMessage)).all()]
            reports = back.reports()
            latest = back.latest()
        engine.dispose()
    finally:
        if fleet is not None:
            fleet.stop()
        controller.stop()
        source.stop()

    # Nothing lost, nothing doubled: every report made was received, and kept once (by its id).
    received = [json.loads(line)["id"] for line in (tmp_path / "source" / "reports.jsonl").read_text().splitlines()]
    assert sorted(received) == sorted(set(received)) and set(keys) <= set(received)
    [report] = [r for r in reports if r["kind"] == "play"]
    play = report["play"]
    assert report["id"].startswith("play:") and report["kind"] == "play"
    assert (play["commune"], play["cluster"], play["item_id"], play["outcome"]) == ("XA-A", "A1", item_id, "played")
    assert play["source_item"] == {"id": "STP-2026-0193", "version": 1} and play["bulletin_id"] == bulletin_id
    assert play["duration_ms"] > 1000
    bulletin = latest[f"bulletin:{bulletin_id}"]["bulletin"]
    assert bulletin["status"] == "approved" and bulletin["source_item"] == {"id": "STP-2026-0193", "version": 1}
    [commune_schedule] = bulletin["schedule"]
    assert commune_schedule["commune"] == "XA-A" and [a["item_id"] for a in commune_schedule["airings"]] == [item_id]
    assert latest["station:XA-A"]["station"]["clusters"] == 1
    assert latest["cluster:A1"]["cluster"]["state"] in ("online", "degraded")
