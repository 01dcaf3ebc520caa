"""The controller's command rows: acks and results only from the device addressed, timeouts, broker failure."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from controller.db import make_engine, session_factory
from controller.settings import DatabaseSettings
from devices.command_signing import CommandSigner
from devices.commands import CommandCenter, DeviceCommand, awaits_play_now, new_command_body
from devices.errors import BrokerUnavailable
from devices.protocol import CommandAck, CommandResult, PlaylistItem, SignedCommand, decode, encode
from devices.registry import Device, add_commune, add_device, add_province

NOW = datetime.now(UTC)
SHA = "a" * 64


@pytest.fixture
def sessions(database_url: str) -> Iterator[tuple[Session, list[Device]]]:
    engine = make_engine(DatabaseSettings(url=database_url))
    with session_factory(engine)() as session:
        commune = add_commune(session, add_province(session, "P", "Tỉnh"), "XA-A", "Xã A")
        devices = [add_device(session, commune, code, hash_iterations=101)[0] for code in ("A1", "A2")]
        session.commit()
        yield session, devices
    engine.dispose()


def center(session: Session, tmp_path: Path, sent: list[tuple[str, bytes]] | None) -> CommandCenter:
    def publish(topic: str, payload: bytes) -> None:
        if sent is None:
            raise BrokerUnavailable("broker down")
        sent.append((topic, payload))

    return CommandCenter(lambda: session, CommandSigner.load_or_create(tmp_path / "k.pem"), publish, timeout_s=30)


def test_each_node_answers_only_for_itself_and_silence_times_out(
    sessions: tuple[Session, list[Device]], tmp_path: Path
) -> None:
    session, (a1, a2) = sessions
    sent: list[tuple[str, bytes]] = []
    commands = center(session, tmp_path, sent)
    item = PlaylistItem(
        item_id="cmd-1", title="t", asset_sha256=SHA, asset_url=f"/a/{SHA}.opus", duration_ms=1000, starts_at=NOW
    )
    body = new_command_body("play_now", scope="commune", target="XA-A", now=NOW, item=item)
    rows = commands.issue(session, body, [a1, a2], commune_code="XA-A", issued_by="canbo")
    assert [r.status for r in rows] == ["sent", "sent"] and awaits_play_now(session, a2, SHA)
    ((topic, payload),) = sent
    assert topic == "loaxa/v1/communes/XA-A/cmd" and decode(SignedCommand, payload).body == body.model_dump_json()

    ack = encode(CommandAck(command_id=body.command_id, accepted=True, at=NOW))
    commands.on_ack(session, a1, ack)
    commands.on_result(session, a1, encode(CommandResult(command_id=body.command_id, ok=True, at=NOW)))
    # A refusal ack arriving after the result (a replay) does not change the outcome.
    refusal = CommandAck(command_id=body.command_id, accepted=False, reason="replayed", at=NOW)
    commands.on_ack(session, a1, encode(refusal))
    # A2 never answers; a device unknown to the command cannot answer for it.
    stranger = Device(id=a2.id + 1000, code="ZZ", commune_id=a2.commune_id, mqtt_username="ZZ", password_hash="")  # type: ignore[operator]
    commands.on_ack(session, stranger, ack)
    assert commands.sweep(NOW + timedelta(seconds=29)) == 0
    assert commands.sweep(NOW + timedelta(seconds=31)) == 1
    # (the sweep closed the shared session: read the rows back)
    rows = list(session.exec(select(DeviceCommand).order_by(col(DeviceCommand.device_id))))
    codes = {a1.id: "A1", a2.id: "A2"}
    status = {codes[r.device_id]: (r.status, r.acked_at is not None) for r in rows}
    assert status == {"A1": ("succeeded", True), "A2": ("timed_out", False)}
    assert not awaits_play_now(session, a2, SHA)
    # A result the node never accepted changes nothing...
    late = encode(CommandResult(command_id=body.command_id, ok=True, at=NOW))
    commands.on_result(session, a2, late)
    session.refresh(rows[1])
    assert rows[1].status == "timed_out"
    # ...but the truth, arriving late after its ack, still replaces the timeout.
    commands.on_ack(session, a2, ack)
    commands.on_result(session, a2, encode(CommandResult(command_id=body.command_id, ok=False, detail="x", at=NOW)))
    session.refresh(rows[1])
    assert rows[1].status == "failed"


def test_a_refusal_is_final_and_a_broker_outage_fails_the_command_at_once(
    sessions: tuple[Session, list[Device]], tmp_path: Path
) -> None:
    session, (a1, _) = sessions
    commands = center(session, tmp_path, [])
    body = new_command_body("stop", scope="device", target="A1", now=NOW)
    (row,) = commands.issue(session, body, [a1], commune_code="XA-A", issued_by="canbo")
    commands.on_ack(session, a1, encode(CommandAck(command_id=body.command_id, accepted=False, reason="stale", at=NOW)))
    session.refresh(row)
    assert (row.status, row.reason) == ("refused", "stale") and row.finished_at is not None

    offline = center(session, tmp_path, None)
    body = new_command_body("reboot", scope="device", target="A1", now=NOW)
    (row,) = offline.issue(session, body, [a1], commune_code="XA-A", issued_by="canbo")
    assert row.status == "failed" and "MQTT" in row.detail
    assert session.get(DeviceCommand, row.id) is not None


def test_answers_of_a_batch_are_stored_in_one_commit_and_a_bad_one_costs_nothing(
    database_url: str, tmp_path: Path
) -> None:
    """An emergency brings an ack and a result from every cluster at once: the uplink hands a batch's
    answers over together, one query finds their rows and one commit stores them; garbage, an answer
    for a command never sent, and a result before its ack change only themselves."""
    from sqlalchemy import event

    from devices.uplink import UplinkHandler

    engine = make_engine(DatabaseSettings(url=database_url))
    sessions = session_factory(engine)
    codes = [f"A{i}" for i in range(6)]
    with sessions() as session:
        commune = add_commune(session, add_province(session, "P", "Tỉnh"), "XA-A", "Xã A")
        devices = [add_device(session, commune, code, hash_iterations=101)[0] for code in codes]
        session.commit()
        sent: list[tuple[str, bytes]] = []
        suspects: list[str] = []
        commands = CommandCenter(
            sessions,
            CommandSigner.load_or_create(tmp_path / "k.pem"),
            lambda topic, payload: sent.append((topic, payload)),
            timeout_s=30,
            alarm=lambda session, device, kind, detail: suspects.append(device.code),
        )
        body = new_command_body("stop", scope="commune", target="XA-A", now=NOW)
        commands.issue(session, body, devices, commune_code="XA-A", issued_by="canbo")
    handler = UplinkHandler(sessions)
    handler.register_batch(("ack", "result"), commands.on_answers)

    def ack(accepted: bool = True) -> bytes:
        return encode(
            CommandAck(command_id=body.command_id, accepted=accepted, reason=None if accepted else "stale", at=NOW)
        )

    def result(ok: bool = True) -> bytes:
        return encode(CommandResult(command_id=body.command_id, ok=ok, detail="xong", at=NOW))

    batch = [
        ("loaxa/v1/devices/A0/ack", ack()),
        ("loaxa/v1/devices/A0/result", result()),  # its ack came just before, in the same batch
        ("loaxa/v1/devices/A1/ack", b"\x00 not json"),
        ("loaxa/v1/devices/A1/result", result()),  # a result with no accepted ack: suspect
        ("loaxa/v1/devices/A2/ack", ack(accepted=False)),
        ("loaxa/v1/devices/A3/ack", encode(CommandAck(command_id="never-sent", accepted=True, at=NOW))),
        ("loaxa/v1/devices/A4/ack", ack()),
        ("loaxa/v1/devices/A5/ack", ack()),
        ("loaxa/v1/devices/A5/result", result(ok=False)),
    ]
    commits: list[int] = []
    event.listen(engine, "commit", lambda connection: commits.append(1))
    handler.handle_batch(batch)
    with sessions() as session:
        rows = {
            codes[r.device_id - devices[0].id]: (r.status, r.acked_at is not None)  # type: ignore[operator]
            for r in session.exec(select(DeviceCommand))
        }
    assert rows == {
        "A0": ("succeeded", True),
        "A1": ("sent", False),
        "A2": ("refused", True),
        "A3": ("sent", False),
        "A4": ("acked", True),
        "A5": ("failed", True),
    }
    assert sorted(suspects) == ["A1", "A3"]
    # One commit for the answers; the two suspect alerts are stored by the alarm, not here.
    assert len(commits) == 1
    engine.dispose()
