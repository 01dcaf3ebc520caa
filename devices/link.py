"""The controller's MQTT connection: the one module in loaxa that touches paho-mqtt.

paho runs its network loop in its own thread. Incoming messages are queued there and handled, in
order, by one ingest thread, so the network loop keeps answering the broker (PUBACKs of the
controller's own publishes, pings) however long the database takes. QoS 1 messages are acknowledged
to the broker only once handled (paho's manual ack): a report is never acknowledged before it is
stored. Every message is handled inside a try/except so that one bad message never stops the next.

Several controller instances (`service_usernames` names more than one) share the ingest: the link speaks
MQTT 5 and subscribes to what is stored (proof of play, states, command answers) through a shared
subscription (`$share/loaxa/...`), so the broker hands each such message to one instance; heartbeats go
to every instance. A single instance subscribes plainly (`devices.protocol.controller_subscriptions`).
Each instance has its own broker username, which the broker makes its client id (`service_usernames`),
and a session the broker keeps while it is away (`session_expiry_s`), so a message handed to an instance
that dies before acknowledging it waits for it there.

An instance that serves nodes' content through its own nginx (`devices.content`) also follows the
commune playlist notices (`playlist_notices`): a plain subscription to `communes/+/playlist`, without its
own publications (MQTT 5 "no local"), so it rewrites its files when another instance published.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from devices.errors import BrokerUnavailable
from devices.protocol import COMMUNE_PLAYLISTS_FILTER, controller_subscriptions
from devices.settings import MqttSettings

log = logging.getLogger(__name__)

# Called with the messages received since the last call (at most `_BATCH_MAX`), in order.
BatchHandler = Callable[[list[tuple[str, bytes]]], None]
# Called with the payload of a commune playlist notice another instance published.
NoticeHandler = Callable[[bytes], None]

# Messages handed over at once: one database session and one device lookup serve them all, which is
# what lets one ingest thread keep up with a province's heartbeats (hundreds per second).
_BATCH_MAX = 200


class MqttLink:
    def __init__(
        self,
        settings: MqttSettings,
        on_messages: BatchHandler,
        *,
        client_id: str | None = None,
        playlist_notices: NoticeHandler | None = None,
    ) -> None:
        self._settings = settings
        self._handler = on_messages
        self._notices = playlist_notices
        self._connected = threading.Event()
        self._client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id or settings.username,
            protocol=paho.MQTTv5,
            manual_ack=True,
        )
        # Backpressure: when the ingest thread falls this far behind, the network loop waits for it
        # (and the broker holds the rest) rather than buffering without bound.
        self._inbox: queue.Queue[paho.MQTTMessage | None] = queue.Queue(maxsize=settings.ingest_queue_max)
        self._ingest = threading.Thread(target=self._drain, name="mqtt-ingest", daemon=True)
        self._client.username_pw_set(settings.username, settings.password.get_secret_value())
        # After a broker restart, retry quickly at first, then back off to avoid a reconnect storm.
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        self._ingest.start()
        # A persistent session: while the controller restarts or reconnects, the broker keeps the nodes'
        # QoS 1 reports for it instead of dropping them.
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = self._settings.session_expiry_s
        self._client.connect_async(
            self._settings.host,
            self._settings.port,
            keepalive=self._settings.keepalive_s,
            clean_start=False,
            properties=properties,
        )
        self._client.loop_start()

    def wait_connected(self, timeout_s: float) -> bool:
        return self._connected.wait(timeout_s)

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        self._connected.clear()
        if self._ingest.is_alive():
            self._inbox.put(None)
            self._ingest.join(10)

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Publish at QoS 1 and wait for the broker's PUBACK; BrokerUnavailable if it does not come."""
        self.publish_nowait(topic, payload, retain=retain)()

    def publish_nowait(self, topic: str, payload: bytes, *, retain: bool = False) -> Callable[[], None]:
        """Publish at QoS 1 without waiting; the returned function waits for the PUBACK (BrokerUnavailable).

        For many messages at once (a province's notices): one broker round trip in all, not one each."""
        info = self._client.publish(topic, payload, qos=1, retain=retain)

        def confirm() -> None:
            try:
                info.wait_for_publish(timeout=self._settings.publish_timeout_s)
            except (RuntimeError, ValueError) as exc:
                raise BrokerUnavailable(f"publish to {topic} failed: {exc}") from exc
            if not info.is_published():
                raise BrokerUnavailable(f"no PUBACK for {topic} within {self._settings.publish_timeout_s} s")

        return confirm

    def _on_connect(self, client: paho.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if reason_code.is_failure:
            log.error("broker refused the controller: %s", reason_code)
            return
        # Subscriptions do not survive a session the broker expired: subscribe every time.
        subscriptions, dropped = controller_subscriptions(shared=len(self._settings.service_username_list()) > 1)
        if self._notices is None:  # a session that followed them before keeps them until told otherwise
            dropped = (*dropped, COMMUNE_PLAYLISTS_FILTER)
        client.unsubscribe(list(dropped))
        for topic in subscriptions:
            client.subscribe(topic, qos=1)
        if self._notices is not None:
            # No local: this instance's own notices follow its own publications, which wrote its files first.
            client.subscribe(COMMUNE_PLAYLISTS_FILTER, options=SubscribeOptions(qos=1, noLocal=True))
        self._connected.set()
        log.info("connected to broker %s:%s", self._settings.host, self._settings.port)

    def _on_disconnect(self, client: paho.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        self._connected.clear()
        if reason_code.is_failure:
            log.warning("disconnected from broker: %s", reason_code)
        else:
            log.info("disconnected from broker")

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        self._inbox.put(message)

    @staticmethod
    def _is_notice(topic: str) -> bool:
        return paho.topic_matches_sub(COMMUNE_PLAYLISTS_FILTER, topic)

    def _drain(self) -> None:
        while (first := self._inbox.get()) is not None:
            batch = [first]
            stopping = False
            while len(batch) < _BATCH_MAX:
                try:
                    message = self._inbox.get_nowait()
                except queue.Empty:
                    break
                if message is None:
                    stopping = True
                    break
                batch.append(message)
            uplink = [(m.topic, bytes(m.payload)) for m in batch if not self._is_notice(m.topic)]
            for message in batch:
                if self._notices is not None and self._is_notice(message.topic):
                    try:
                        self._notices(bytes(message.payload))
                    except Exception:
                        log.exception("playlist notice on %s could not be handled; dropped", message.topic[:200])
            if uplink:
                try:
                    self._handler(uplink)
                except Exception:
                    log.exception(
                        "%d message(s) from %s on could not be handled; dropped", len(uplink), uplink[0][0][:200]
                    )
            for message in batch:
                if message.qos > 0:
                    self._client.ack(message.mid, message.qos)
            if stopping:
                return
