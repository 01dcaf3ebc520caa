"""The private broker as a fault: restarted on the same port, it keeps its auth and retained messages."""

from __future__ import annotations

from devices.mosquitto import MosquittoProcess
from devices.protocol import commune_playlist_topic
from tests.harness import Probe


def test_restart_keeps_port_auth_and_retained_messages(broker: MosquittoProcess) -> None:
    settings = broker.settings
    password = settings.password.get_secret_value()
    before = Probe(settings, settings.username, password)
    assert before.connect()
    before.client.publish(commune_playlist_topic("XA-R"), b"{}", qos=1, retain=True).wait_for_publish(3)
    before.close()

    broker.restart(down_s=0.2)

    after = Probe(settings, settings.username, password)
    assert after.connect(), "the restarted broker refuses the service account"
    after.client.subscribe(commune_playlist_topic("XA-R"), qos=1)
    assert after.got.wait(3) and after.messages == [(commune_playlist_topic("XA-R"), b"{}")]
    after.close()
