"""The controller's handling of node messages, through the real broker: bad messages never stop good ones."""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from devices.proof_of_play import PlayRecord
from devices.protocol import NodeState, PlayReport, device_play_topic, device_state_topic, encode
from devices.registry import Device
from tests.harness import Api, ControllerServer, Probe, setup_commune, wait_until

SHA = "d" * 64


def report(commune: str, report_id: str | None = None) -> PlayReport:
    now = datetime.now(UTC)
    return PlayReport(
        report_id=report_id or uuid.uuid4().hex,
        commune=commune,
        playlist_version=1,
        item_id="b1",
        asset_sha256=SHA,
        played_sha256=SHA,
        scheduled_start=now,
        started_at=now,
        ended_at=now,
    )


def test_bad_messages_are_dropped_and_the_next_one_is_handled(controller: ControllerServer, admin: Api) -> None:
    nodes = setup_commune(admin, "P", "XA-A", ["A1"])
    setup_commune(admin, "P", "XA-B", ["B1"])
    probe = Probe(controller.settings.mqtt, "A1", nodes[0].password)
    assert probe.connect()
    sessions = controller.services.sessions

    def device() -> Device:
        with sessions() as session:
            return session.exec(select(Device).where(Device.code == "A1")).one()

    def plays() -> list[PlayRecord]:
        with sessions() as session:
            return list(session.exec(select(PlayRecord)))

    for garbage in (b"", b"\x00\xff", b"{}", b'{"v": 1, "type": "state"}', b"[" * 10_000, b'{"v": 9}'):
        probe.client.publish(device_state_topic("A1"), garbage, qos=1).wait_for_publish(3)
        probe.client.publish(device_play_topic("A1"), garbage, qos=1).wait_for_publish(3)
    online = NodeState(state="online", session_seq=5, firmware="fw-1")
    probe.client.publish(device_state_topic("A1"), encode(online), qos=1).wait_for_publish(3)
    assert wait_until(lambda: device().state == "online", 5), "a valid message after garbage was not handled"
    assert device().firmware == "fw-1" and device().session_seq == 5

    # A last will from an older session must not mark the newer one offline.
    stale = NodeState(state="offline", session_seq=4, firmware="fw-1")
    probe.client.publish(device_state_topic("A1"), encode(stale), qos=1).wait_for_publish(3)

    # A report claiming another commune is kept, flagged, under the cluster's own commune; any report is
    # stored once, however often it is resent (this one names nothing published: flagged too).
    elsewhere = report("XA-B")
    probe.client.publish(device_play_topic("A1"), encode(elsewhere), qos=1).wait_for_publish(3)
    genuine = report("XA-A")
    for _ in range(3):
        probe.client.publish(device_play_topic("A1"), encode(genuine), qos=1).wait_for_publish(3)
    assert wait_until(lambda: len(plays()) >= 2, 5)
    time.sleep(0.3)
    records = {r.report_id: r for r in plays()}
    assert records.keys() == {elsewhere.report_id, genuine.report_id}
    assert records[elsewhere.report_id].commune_code == "XA-A"
    assert records[elsewhere.report_id].flag_reason == "other_commune"
    assert records[genuine.report_id].commune_code == "XA-A" and records[genuine.report_id].start_error_ms == 0
    assert records[genuine.report_id].flag_reason == "not_sent"
    assert device().state == "online"
    probe.close()


def test_a_report_waits_for_the_database_instead_of_being_dropped(database_url: str) -> None:
    from sqlalchemy.exc import OperationalError
    from sqlmodel import Session

    from controller.db import make_engine, session_factory
    from controller.settings import DatabaseSettings
    from devices.registry import add_commune, add_device, add_province
    from devices.uplink import UplinkHandler

    engine = make_engine(DatabaseSettings(url=database_url))
    real = session_factory(engine)
    with real() as session:
        add_device(
            session, add_commune(session, add_province(session, "P", "P"), "XA-A", "Xã"), "A1", hash_iterations=101
        )
        session.commit()
    outages = 3

    def flaky() -> Session:
        nonlocal outages
        if outages:
            outages -= 1
            raise OperationalError("connect", {}, Exception("database restarting"))
        return real()

    UplinkHandler(flaky, retry_max_s=0.2)(device_play_topic("A1"), encode(report("XA-A")))
    with real() as session:
        assert len(list(session.exec(select(PlayRecord)))) == 1
    assert outages == 0
    engine.dispose()


def test_a_failing_handler_costs_only_its_own_message_in_a_batch(database_url: str) -> None:
    from sqlmodel import Session

    from controller.db import make_engine, session_factory
    from controller.settings import DatabaseSettings
    from devices.registry import add_commune, add_device, add_province
    from devices.uplink import UplinkHandler

    engine = make_engine(DatabaseSettings(url=database_url))
    sessions = session_factory(engine)
    with sessions() as session:
        commune = add_commune(session, add_province(session, "P", "P"), "XA-A", "Xã")
        for code in ("A1", "A2", "A3"):
            add_device(session, commune, code, hash_iterations=101)
        session.commit()
    handler = UplinkHandler(sessions)
    seen: list[str] = []

    def heartbeat(session: Session, device: Device, payload: bytes) -> None:
        if device.code == "A2":
            raise RuntimeError("a bug in one handler")
        seen.append(device.code)

    handler.register("heartbeat", heartbeat)
    batch = [(f"loaxa/v1/devices/{code}/heartbeat", b"{}") for code in ("A1", "A2", "A3")]
    batch += [("loaxa/v1/devices/NOBODY/heartbeat", b"{}"), ("not/a/loaxa/topic", b"{}")]
    batch.append((device_play_topic("A3"), encode(report("XA-A"))))
    handler.handle_batch(batch)
    assert seen == ["A1", "A3"]
    with sessions() as session:
        assert [r.device_id for r in session.exec(select(PlayRecord))] == [3]
    engine.dispose()


def test_numbers_the_database_cannot_hold_are_dropped_with_one_clear_line(
    controller: ControllerServer, admin: Api, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 12, finding 8: a `state` with session_seq 2^63 reached the database, failed there
    (OverflowError) and was logged with a traceback. Now it is an invalid message like any other."""
    nodes = setup_commune(admin, "P", "XA-A", ["A1"])
    probe = Probe(controller.settings.mqtt, "A1", nodes[0].password)
    assert probe.connect()
    sessions = controller.services.sessions

    def device() -> Device:
        with sessions() as session:
            return session.exec(select(Device).where(Device.code == "A1")).one()

    caplog.set_level(logging.INFO)
    huge = json.dumps({"v": 1, "type": "state", "state": "online", "session_seq": 2**63, "firmware": "fw-x"})
    late = report("XA-A").model_dump(mode="json") | {"started_at": "2030-01-01T00:00:00+00:00"}
    probe.client.publish(device_state_topic("A1"), huge, qos=1).wait_for_publish(3)
    probe.client.publish(device_play_topic("A1"), json.dumps(late), qos=1).wait_for_publish(3)
    online = NodeState(state="online", session_seq=7, firmware="fw-2")
    probe.client.publish(device_state_topic("A1"), encode(online), qos=1).wait_for_publish(3)
    assert wait_until(lambda: device().state == "online", 5), "the message after the huge one was not handled"
    assert device().session_seq == 7 and device().firmware == "fw-2"
    probe.close()
    dropped = [r for r in caplog.records if r.name == "devices.uplink" and "dropped" in r.getMessage()]
    assert any("state" in r.getMessage() and "session_seq" in r.getMessage() for r in dropped), dropped
    assert any("/play" in r.getMessage() and "scheduled_start" in r.getMessage() for r in dropped), dropped
    assert [r for r in caplog.records if r.exc_info] == [], "a traceback was logged"
