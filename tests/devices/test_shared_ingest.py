"""Several controller instances on one broker: node messages shared, not doubled (a real mosquitto), and a
report that reaches two instances anyway (a redelivery racing its first delivery) stored once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlmodel import Session, select

from controller.db import make_engine, session_factory
from controller.settings import DatabaseSettings
from devices.link import MqttLink
from devices.mosquitto import MosquittoProcess
from devices.proof_of_play import PlayRecord
from devices.protocol import PlayReport, device_heartbeat_topic, device_play_topic, encode
from devices.registry import Device, add_commune, add_device, add_province
from devices.settings import MqttSettings
from devices.uplink import UplinkHandler
from tests.devices.test_uplink import report
from tests.harness import wait_until

# Two instances, and a third service account that plays the nodes (the broker makes a username the client id).
SERVICE_ACCOUNTS = "loaxa-controller-1,loaxa-controller-2,loaxa-publisher"


class Heard:
    """What one instance's link handed to its handler."""

    def __init__(self) -> None:
        self.topics: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, messages: list[tuple[str, bytes]]) -> None:
        with self._lock:
            self.topics.extend(topic for topic, _ in messages)

    def of(self, channel: str) -> list[str]:
        with self._lock:
            return [topic for topic in self.topics if topic.endswith("/" + channel)]


@pytest.mark.one_database("sqlite", why="no database: the subject is the broker's shared subscription")
def test_two_instances_share_what_is_stored_and_each_hears_every_heartbeat(tmp_path: Path) -> None:
    settings = MosquittoProcess.settings_for(
        tmp_path / "broker",
        MqttSettings(username="loaxa-controller-1", password="shared-pw", service_usernames=SERVICE_ACCOUNTS),
    )
    second = settings.model_copy(update={"username": "loaxa-controller-2"})
    heard = {"1": Heard(), "2": Heard()}
    with MosquittoProcess(tmp_path / "broker", settings):
        links = [MqttLink(settings, heard["1"]), MqttLink(second, heard["2"])]
        for link in links:
            link.start()
        publisher = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        try:
            assert all(link.wait_connected(10) for link in links)
            time.sleep(0.3)  # the SUBSCRIBEs are sent on connect; their SUBACKs follow
            publisher.username_pw_set("loaxa-publisher", "shared-pw")
            publisher.connect(settings.host, settings.port)
            publisher.loop_start()
            plays = [device_play_topic(f"N{i}") for i in range(20)]
            beats = [device_heartbeat_topic(f"N{i}") for i in range(5)]
            for topic in [*plays, *beats]:
                publisher.publish(topic, b"{}", qos=1).wait_for_publish(5)
            assert wait_until(lambda: len(heard["1"].of("play")) + len(heard["2"].of("play")) >= 20, 10)
            assert wait_until(lambda: all(len(h.of("heartbeat")) >= 5 for h in heard.values()), 10)
            time.sleep(0.3)  # a doubled delivery would arrive by now
            first, other = heard["1"].of("play"), heard["2"].of("play")
            assert sorted(first + other) == sorted(plays), "each report reached exactly one instance"
            assert first and other, "both instances took a share"
            assert all(sorted(h.of("heartbeat")) == sorted(beats) for h in heard.values())
        finally:
            publisher.loop_stop()
            publisher.disconnect()
            for link in links:
                link.stop()


def test_a_report_delivered_to_two_instances_at_once_is_stored_once(database_url: str) -> None:
    """Two handlers (two instances) take the same report at the same moment: both have looked for it and
    not found it before either stores it (the play check, which runs in between, waits for the other)."""
    engine = make_engine(DatabaseSettings(url=database_url))
    sessions = session_factory(engine)
    with sessions() as session:
        add_device(
            session, add_commune(session, add_province(session, "P", "P"), "XA-A", "Xã"), "A1", hash_iterations=101
        )
        session.commit()
    both_looked = threading.Barrier(2, timeout=10)
    listened: list[str] = []

    def after_both_looked(session: Session, device: Device, played: PlayReport) -> str | None:
        both_looked.wait()
        return None  # a proof of play (what the real check says of it is not this test's subject)

    def listener(session: Session, device: Device, record: PlayRecord) -> None:
        listened.append(record.report_id)

    handlers = [UplinkHandler(sessions, retry_max_s=0.2, play_check=after_both_looked, on_play=listener) for _ in "ab"]
    message = (device_play_topic("A1"), encode(report("XA-A")))
    errors: list[BaseException] = []

    def deliver(handler: UplinkHandler) -> Callable[[], None]:
        def run() -> None:
            try:
                handler.handle_batch([message])
            except BaseException as exc:
                errors.append(exc)

        return run

    threads = [threading.Thread(target=deliver(handler)) for handler in handlers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors and not both_looked.broken, "both handlers passed the look-up before either stored"
    with sessions() as session:
        assert len(list(session.exec(select(PlayRecord)))) == 1
    assert len(listened) >= 1
    engine.dispose()
