"""The benchmark's raw broker reference, at a few clients against a private mosquitto (not timed)."""

from __future__ import annotations

import asyncio
import math

import pytest

from bench.raw_fanout import measure_raw_fanout
from devices.broker import BrokerAccount, service_account, write_auth_files
from devices.credentials import hash_password
from devices.mosquitto import MosquittoProcess
from firmware_sim import NodeIdentity


def test_every_client_in_every_process_gets_every_round(broker: MosquittoProcess) -> None:
    mqtt = broker.settings
    accounts = [NodeIdentity(f"RAW-{i}", f"XA-{i % 2}", f"raw-password-{i}") for i in range(6)]
    write_auth_files(
        mqtt,
        [service_account(mqtt)]
        + [
            BrokerAccount(a.device_code, hash_password(a.password, mqtt.password_hash_iterations), a.commune)
            for a in accounts
        ],
    )
    publisher = (mqtt.username, mqtt.password.get_secret_value())
    result = asyncio.run(measure_raw_fanout(mqtt.host, mqtt.port, publisher, accounts, processes=2, rounds=2))
    assert (result.clients, result.processes, result.rounds) == (6, 2, 2)
    assert result.delivered == 12
    assert 0 < result.p50_s <= result.p99_s <= result.max_s < 30
    assert len(result.cpu_pct) == 2 and all(cpu >= 0 and not math.isnan(cpu) for cpu in result.cpu_pct)


def test_a_client_the_broker_refuses_is_an_error_not_a_figure(broker: MosquittoProcess) -> None:
    mqtt = broker.settings
    write_auth_files(mqtt, [service_account(mqtt)])
    publisher = (mqtt.username, mqtt.password.get_secret_value())
    stranger = [NodeIdentity("RAW-X", "XA-0", "not-registered")]
    with pytest.raises(RuntimeError, match="exited"):
        asyncio.run(measure_raw_fanout(mqtt.host, mqtt.port, publisher, stranger, processes=1, rounds=1))
