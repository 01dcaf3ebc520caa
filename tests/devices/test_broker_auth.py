"""The broker enforces what the registry says: real mosquitto, real credentials, real ACL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from controller.db import make_engine, session_factory
from devices.broker import sync_broker_auth
from devices.credentials import Credentials, hash_password, verify_password
from devices.mosquitto import MosquittoProcess
from devices.protocol import commune_playlist_topic, device_play_topic, device_state_topic
from devices.registry import add_commune, add_device, add_province
from tests.harness import Probe

pytestmark = pytest.mark.one_database(
    "sqlite", why="the broker enforces credentials and ACL; the database lists devices"
)


@pytest.fixture
def registry(tmp_path: Path, database_url: str, broker: MosquittoProcess) -> Iterator[dict[str, Credentials]]:
    from controller.settings import DatabaseSettings

    engine = make_engine(DatabaseSettings(url=database_url))
    creds: dict[str, Credentials] = {}
    with session_factory(engine)() as session:
        province = add_province(session, "P", "Tỉnh")
        a = add_commune(session, province, "XA-A", "Xã A")
        b = add_commune(session, province, "XA-B", "Xã B")
        for code, commune in (("A1", a), ("A2", a), ("B1", b)):
            creds[code] = add_device(session, commune, code, hash_iterations=101)[1]
        session.commit()
        assert sync_broker_auth(session, broker.settings)
    yield creds
    engine.dispose()


def _probe(broker: MosquittoProcess, creds: Credentials) -> Probe:
    probe = Probe(broker.settings, creds.username, creds.password)
    assert probe.connect(), probe.refused
    return probe


def test_stored_hash_is_mosquittos_format() -> None:
    stored = hash_password("secret", 101)
    assert stored.startswith("$7$101$") and verify_password("secret", stored)
    assert not verify_password("Secret", stored) and not verify_password("secret", "garbage")


def test_each_device_connects_only_with_its_own_password(
    broker: MosquittoProcess, registry: dict[str, Credentials]
) -> None:
    _probe(broker, registry["A1"]).close()
    wrong = Probe(broker.settings, "A1", registry["A2"].password)
    assert not wrong.connect() and wrong.refused
    wrong.close()
    unknown = Probe(broker.settings, "nobody", "x")
    assert not unknown.connect()
    unknown.close()


def test_device_cannot_read_another_communes_topics(broker: MosquittoProcess, registry: dict[str, Credentials]) -> None:
    a2, b1 = _probe(broker, registry["A2"]), _probe(broker, registry["B1"])
    for probe, commune in ((a2, "XA-A"), (b1, "XA-A")):
        probe.subscribe(commune_playlist_topic(commune))
    controller = Probe(broker.settings, broker.settings.username, broker.settings.password.get_secret_value())
    assert controller.connect()
    controller.client.publish(commune_playlist_topic("XA-A"), b"{}", qos=1).wait_for_publish(3)
    assert a2.got.wait(3), "a device reads its own commune"
    assert not b1.got.wait(0.5), "a device of commune B read commune A"
    for probe in (a2, b1, controller):
        probe.close()


def test_device_cannot_publish_as_another_device(broker: MosquittoProcess, registry: dict[str, Credentials]) -> None:
    controller = Probe(broker.settings, broker.settings.username, broker.settings.password.get_secret_value())
    assert controller.connect()
    controller.subscribe("loaxa/v1/devices/+/+")
    a1 = _probe(broker, registry["A1"])
    a1.client.publish(device_state_topic("A2"), b"forged", qos=1).wait_for_publish(3)
    a1.client.publish(device_play_topic("B1"), b"forged", qos=1).wait_for_publish(3)
    a1.client.publish(device_play_topic("A1"), b"genuine", qos=1).wait_for_publish(3)
    assert controller.got.wait(3)
    controller.got.clear()
    assert not controller.got.wait(0.5)
    assert controller.messages == [(device_play_topic("A1"), b"genuine")]
    a1.close()
    controller.close()


def test_client_id_is_bound_to_username(broker: MosquittoProcess, registry: dict[str, Credentials]) -> None:
    """mosquitto replaces a claimed client id with the username, so nobody can kick another session."""
    victim = _probe(broker, registry["A2"])
    hostile = Probe(broker.settings, registry["A1"].username, registry["A1"].password, client_id="A2")
    assert hostile.connect()
    threading.Event().wait(0.5)
    assert victim.client.is_connected(), "the victim's session was taken over"
    hostile.close()
    victim.close()


def test_revoked_device_can_no_longer_connect(
    tmp_path: Path, database_url: str, broker: MosquittoProcess, registry: dict[str, Credentials]
) -> None:
    from audio_library.timestamps import utc_now
    from controller.settings import DatabaseSettings
    from devices.registry import get_device

    engine = make_engine(DatabaseSettings(url=database_url))
    with Session(engine) as session:
        device = get_device(session, "A1")
        device.revoked_at = utc_now()
        session.add(device)
        session.commit()
        sync_broker_auth(session, broker.settings)
    engine.dispose()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        probe = Probe(broker.settings, "A1", registry["A1"].password)
        ok = probe.connect()
        probe.close()
        if not ok:
            break
        time.sleep(0.1)
    assert not ok, "mosquitto still accepts a revoked device"


def test_remembered_logins_follow_the_stored_hash() -> None:
    from devices.credentials import VerifiedLogins

    logins = VerifiedLogins(max_entries=2)
    old, new = hash_password("pw-1", 101), hash_password("pw-2", 101)
    assert logins.verify("A1", "pw-1", old) and logins.verify("A1", "pw-1", old)
    assert not logins.verify("A1", "pw-1", new), "a remembered login outlived a password change"
    assert not logins.verify("A1", "wrong", old)
    assert logins.verify("A1", "pw-2", new)
    for n in range(5):
        logins.verify(f"D{n}", "pw-1", old)
    assert len(logins._entries) == 2
