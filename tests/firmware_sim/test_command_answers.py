"""A command answer that cannot be sent is kept and sent on the node's next broker session (real broker)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiomqtt
from pydantic import SecretStr

from devices.broker import BrokerAccount, service_account, write_auth_files
from devices.credentials import hash_password
from devices.mosquitto import MosquittoProcess
from devices.protocol import device_ack_topic
from firmware_sim import NodeAgent, NodeSettings
from tests.harness import Probe, wait_until


def test_an_unsent_answer_goes_out_with_the_next_session(broker: MosquittoProcess, tmp_path: Path) -> None:
    mqtt = broker.settings
    device = BrokerAccount("CL-1", hash_password("node-pass", 101), commune_code="XA")
    write_auth_files(mqtt, [service_account(mqtt), device])
    controller = Probe(mqtt, mqtt.username, mqtt.password.get_secret_value())
    assert controller.connect()
    controller.subscribe(device_ack_topic("CL-1"))
    agent = NodeAgent(
        NodeSettings(device_code="CL-1", commune="XA", password=SecretStr("node-pass"), state_dir=tmp_path / "node")
    )

    async def scenario() -> None:
        await agent._answer(device_ack_topic("CL-1"), b'{"queued": 1}')  # no session: kept
        assert agent._unsent_answers == [(device_ack_topic("CL-1"), b'{"queued": 1}')]
        async with aiomqtt.Client(
            mqtt.host, mqtt.port, username="CL-1", password="node-pass", identifier="CL-1"
        ) as client:
            agent._mqtt = client
            agent._resend_answers()
            await asyncio.gather(*agent._command_tasks)

    asyncio.run(scenario())
    assert wait_until(lambda: controller.messages == [(device_ack_topic("CL-1"), b'{"queued": 1}')], 5)
    assert agent._unsent_answers == []
    controller.close()
