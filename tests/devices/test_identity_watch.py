"""The identity watch: distinct births within a sliding window, duplicates not counted, counted in the
database so that instances sharing the births (each hearing only its share) count them all."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlmodel import Session, select

from controller.db import make_engine, session_factory
from controller.settings import DatabaseSettings
from devices.alerts import AlertKind
from devices.identity_watch import DeviceBirth, IdentityWatch
from devices.link import MqttLink
from devices.mosquitto import MosquittoProcess
from devices.protocol import NodeState, device_state_topic, encode
from devices.registry import Device, add_commune, add_device, add_province
from devices.settings import MqttSettings
from devices.uplink import UplinkHandler
from tests.devices.test_shared_ingest import SERVICE_ACCOUNTS, Heard
from tests.harness import wait_until

AT = datetime(2026, 12, 3, 5, 0, tzinfo=UTC)


@pytest.fixture
def sessions(database_url: str) -> Iterator[tuple[Session, Session]]:
    """Two sessions on one database (two instances), with clusters 1 and 2 registered."""
    engine = make_engine(DatabaseSettings(url=database_url))
    factory = session_factory(engine)
    with factory() as session:
        commune = add_commune(session, add_province(session, "P", "P"), "XA-A", "Xã")
        for code in ("A1", "A2"):
            add_device(session, commune, code, hash_iterations=101)
        session.commit()
    with factory() as first, factory() as second:
        yield first, second
    engine.dispose()


def ids(session: Session) -> tuple[int, int]:
    found = {d.code: d.id for d in session.exec(select(Device))}
    first, second = found["A1"], found["A2"]
    assert first is not None and second is not None
    return first, second


def test_births_within_the_window_reach_the_limit_and_old_ones_fall_out(sessions: tuple[Session, Session]) -> None:
    session, _ = sessions
    one, two = ids(session)
    now = [AT]
    watch = IdentityWatch(window_s=60, births_max=3, clock=lambda: now[0])
    assert watch.birth(session, one, 1, AT) is None
    assert watch.birth(session, one, 1, AT) is None, "a retained birth delivered again counted"
    assert watch.birth(session, two, 1, AT) is None, "another cluster's birth counted"
    now[0] = AT + timedelta(seconds=10)
    assert watch.birth(session, one, 2, AT) is None
    now[0] = AT + timedelta(seconds=20)
    assert watch.birth(session, one, 3, AT) == 3
    now[0] = AT + timedelta(seconds=75)  # the first two are older than the window now
    assert watch.birth(session, one, 4, AT) is None
    assert watch.birth(session, one, 5, AT) == 3


def test_an_impostor_repeating_the_same_session_number_still_counts_by_time(
    sessions: tuple[Session, Session],
) -> None:
    session, _ = sessions
    one, _ = ids(session)
    watch = IdentityWatch(window_s=60, births_max=2, clock=lambda: AT)
    assert watch.birth(session, one, 7, AT) is None
    assert watch.birth(session, one, 7, AT.replace(second=5)) == 2


def test_births_heard_by_two_instances_are_counted_together(sessions: tuple[Session, Session]) -> None:
    """Each instance hears every other birth (a shared subscription): the count covers both."""
    first, second = sessions
    one, _ = ids(first)
    watches = [IdentityWatch(window_s=60, births_max=4, clock=lambda: AT) for _ in "ab"]
    counts = [watches[n % 2].birth((first, second)[n % 2], one, n, AT) for n in range(1, 5)]
    assert counts == [None, None, None, 4]
    assert watches[1].birth(second, one, 3, AT) is None, "a birth the other instance stored counted again"


def test_a_flood_of_births_keeps_only_what_the_alert_needs(sessions: tuple[Session, Session]) -> None:
    """An impostor flooding births must neither slow the ingest nor fill the table."""
    session, _ = sessions
    one, _ = ids(session)
    watch = IdentityWatch(window_s=300, births_max=10, clock=lambda: AT)
    counts = {watch.birth(session, one, seq, AT) for seq in range(200)}
    assert counts == {None, 10}
    assert len(session.exec(select(DeviceBirth)).all()) == 10


@pytest.mark.one_database("sqlite", why="the subject is the broker's shared subscription; the count is tested above")
def test_births_shared_between_two_instances_raise_the_alert(database_url: str, tmp_path: Path) -> None:
    """Through a real broker: the births of one cluster are shared between two instances' links, each with
    its own watch; the alert is raised when the births heard by both reach the limit."""
    engine = make_engine(DatabaseSettings(url=database_url))
    sessions = session_factory(engine)
    with sessions() as session:
        add_device(
            session, add_commune(session, add_province(session, "P", "P"), "XA-A", "Xã"), "A1", hash_iterations=101
        )
        session.commit()
    raised: list[tuple[str, str]] = []
    lock = threading.Lock()

    def alarm(session: Session, device: Device, kind: AlertKind, detail: str) -> None:
        with lock:
            raised.append((device.code, kind))

    settings = MosquittoProcess.settings_for(
        tmp_path / "broker",
        MqttSettings(username="loaxa-controller-1", password="shared-pw", service_usernames=SERVICE_ACCOUNTS),
    )
    second = settings.model_copy(update={"username": "loaxa-controller-2"})
    heard = [Heard(), Heard()]
    handlers = [
        UplinkHandler(
            sessions,
            identity_watch=IdentityWatch(window_s=60, births_max=6),
            alarm=alarm,
        )
        for _ in heard
    ]

    def both(index: int) -> MqttLink:
        def handle(messages: list[tuple[str, bytes]]) -> None:
            heard[index](messages)
            handlers[index].handle_batch(messages)

        return MqttLink((settings, second)[index], handle)

    with MosquittoProcess(tmp_path / "broker", settings):
        links = [both(0), both(1)]
        for link in links:
            link.start()
        publisher = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        try:
            assert all(link.wait_connected(10) for link in links)
            time.sleep(0.3)  # the SUBSCRIBEs are sent on connect; their SUBACKs follow
            publisher.username_pw_set("loaxa-publisher", "shared-pw")
            publisher.connect(settings.host, settings.port)
            publisher.loop_start()
            for seq in range(1, 7):
                birth = NodeState(state="online", session_seq=seq, firmware="sim", at=AT + timedelta(seconds=seq))
                publisher.publish(device_state_topic("A1"), encode(birth), qos=1).wait_for_publish(5)
            assert wait_until(lambda: len(heard[0].of("state")) + len(heard[1].of("state")) >= 6, 10)
            assert wait_until(lambda: bool(raised), 5), "the sixth birth raised no alert"
            assert heard[0].of("state") and heard[1].of("state"), "both instances took a share of the births"
        finally:
            publisher.loop_stop()
            publisher.disconnect()
            for link in links:
                link.stop()
    # Two instances counting the last births at once may both reach the limit; the alert is one per condition.
    assert raised and set(raised) == {("A1", "identity_contested")}
    engine.dispose()
