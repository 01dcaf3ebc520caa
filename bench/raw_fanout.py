"""The raw broker reference: how fast mosquitto alone fans one QoS 1 publish out to N plain MQTT clients.

The controller's emergency figures mean little on their own on a shared machine; next to what the same
broker, on the same machine, in the same run, needs to reach the same number of clients with nothing but
MQTT, they become a ratio. The clients are plain aiomqtt clients (the library the nodes use), with the
nodes' own accounts and ACL, spread over P processes the way the simulated fleet is; each subscribes
at QoS 1 to its commune's `bench-raw` topic. A round is one QoS 1 publish per commune, all at once (as
the controller sends one command per commune); a client's latency is from just before the round's first
publish to its own receipt of the message.

A client process is `python -m bench.raw_fanout --worker`, driven through stdin and stdout:
spec (one JSON line) -> "ready"; "round R" -> one JSON line with that round's receipt times;
"end" -> disconnect and exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import sys
import time
from dataclasses import dataclass
from typing import Any

import aiomqtt

from devices.protocol import TOPIC_ROOT
from firmware_sim import NodeIdentity
from firmware_sim.fleet_processes import raise_open_files_limit

# Clients connecting at once per process: mosquitto's listen backlog is 100 by default, and a SYN
# dropped from a full backlog costs a one-second retransmit that would be measured as the broker's.
_CONNECTING_AT_ONCE = 100
# A client that fails to connect (the broker may still be reloading its password file) tries again.
_CONNECT_ATTEMPTS = 5
_CONNECT_RETRY_S = 0.5
# Each round line carries one float per client; asyncio's default 64 KiB line limit holds ~3,000.
_LINE_LIMIT_BYTES = 64 * 1024 * 1024


def raw_topic(commune: str) -> str:
    return f"{TOPIC_ROOT}/communes/{commune}/bench-raw"


@dataclass(frozen=True)
class RawFanout:
    clients: int
    processes: int
    rounds: int
    delivered: int  # messages received, of clients x rounds
    p50_s: float
    p99_s: float
    max_s: float
    # Each client process's CPU over the rounds, percent of one core: headroom means the broker was measured.
    cpu_pct: tuple[float, ...]


def _nearest_rank(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure_raw_fanout(
    host: str,
    port: int,
    publisher: tuple[str, str],
    accounts: list[NodeIdentity],
    processes: int,
    *,
    rounds: int = 3,
    round_timeout_s: float = 60.0,
    connect_timeout_s: float = 300.0,
) -> RawFanout:
    """Connect one plain client per account (spread over `processes`), publish `rounds` rounds, measure.

    `publisher` is (username, password) of an account that may write every commune's topics (loaxa's
    service account); it must not be in use by a running controller, whose session it would take over."""
    count = max(1, min(processes, len(accounts)))
    shares = [accounts[i::count] for i in range(count)]
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.raw_fanout",
            "--worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=_LINE_LIMIT_BYTES,
        )
        for _ in shares
    ]

    async def say(child: asyncio.subprocess.Process, line: str) -> None:
        assert child.stdin is not None
        child.stdin.write(line.encode() + b"\n")
        await child.stdin.drain()

    async def hear(child: asyncio.subprocess.Process, timeout_s: float) -> Any:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), timeout_s)
        if not line:
            raise RuntimeError(f"raw fan-out client process {child.pid} exited ({await child.wait()})")
        return json.loads(line)

    if rounds < 1:
        raise ValueError("the raw reference needs at least one round")
    latencies: list[float] = []
    try:
        for child, share in zip(children, shares, strict=True):
            spec = {"host": host, "port": port, "round_timeout_s": round_timeout_s}
            spec["accounts"] = [[a.device_code, a.password, a.commune] for a in share]
            await say(child, json.dumps(spec))
        ready = [await hear(child, connect_timeout_s) for child in children]
        communes = sorted({a.commune for a in accounts})
        user, password = publisher
        async with aiomqtt.Client(host, port, username=user, password=password, identifier=user) as client:
            for number in range(rounds):
                for child in children:
                    await say(child, f"round {number}")
                sent_at = time.time()
                await asyncio.gather(*(client.publish(raw_topic(c), str(number), qos=1) for c in communes))
                heard = [await hear(child, round_timeout_s + 30) for child in children]
                latencies += [at - sent_at for report in heard for at in report["received_at"]]
        cpu_pct = tuple(
            100.0 * (end["cpu_s"] - start["cpu_s"]) / max(1e-9, end["at"] - start["at"])
            for start, end in zip(ready, heard, strict=True)
        )
        for child in children:
            await say(child, "end")
    finally:
        for child in children:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(child.wait(), 30)
            if child.returncode is None:
                child.kill()
                await child.wait()
    return RawFanout(
        clients=len(accounts),
        processes=count,
        rounds=rounds,
        delivered=len(latencies),
        p50_s=_nearest_rank(latencies, 0.5),
        p99_s=_nearest_rank(latencies, 0.99),
        max_s=max(latencies, default=math.nan),
        cpu_pct=cpu_pct,
    )


# -- a client process --------------------------------------------------------------------------------


async def _worker() -> None:
    raise_open_files_limit()
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader(limit=_LINE_LIMIT_BYTES)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    spec = json.loads(await stdin.readline())
    host, port, accounts = spec["host"], int(spec["port"]), spec["accounts"]
    received: dict[int, list[float]] = {}
    complete: dict[int, asyncio.Event] = {}
    gate = asyncio.Semaphore(_CONNECTING_AT_ONCE)

    def tell(report: dict[str, object]) -> None:
        sys.stdout.write(json.dumps({**report, "cpu_s": time.process_time(), "at": time.time()}) + "\n")
        sys.stdout.flush()

    async def connect(stack: contextlib.AsyncExitStack, username: str, password: str, commune: str) -> aiomqtt.Client:
        for attempt in range(_CONNECT_ATTEMPTS):
            try:
                async with gate:
                    client = aiomqtt.Client(
                        host, port, username=username, password=password, identifier=username, keepalive=60
                    )
                    await stack.enter_async_context(client)
                    await client.subscribe(raw_topic(commune), qos=1)
                    return client
            except aiomqtt.MqttError:
                if attempt == _CONNECT_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(_CONNECT_RETRY_S)
        raise AssertionError("unreachable")

    async def listen(client: aiomqtt.Client) -> None:
        async for message in client.messages:
            at = time.time()
            number = int(bytes(message.payload).decode())
            times = received.setdefault(number, [])
            times.append(at)
            if len(times) == len(accounts):
                complete.setdefault(number, asyncio.Event()).set()

    async with contextlib.AsyncExitStack() as stack:
        clients = await asyncio.gather(*(connect(stack, u, p, c) for u, p, c in accounts))
        listeners = [asyncio.create_task(listen(client)) for client in clients]
        tell({"ready": len(clients)})
        while line := (await stdin.readline()).decode().split():
            if line[0] != "round":
                break
            number = int(line[1])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(complete.setdefault(number, asyncio.Event()).wait(), spec["round_timeout_s"])
            tell({"round": number, "received_at": received.get(number, [])})
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--worker", action="store_true", help="run as one client process (stdin/stdout protocol)")
    args = parser.parse_args()
    if not args.worker:
        parser.error("run through bench.fleet_scale, or with --worker from measure_raw_fanout")
    asyncio.run(_worker())


if __name__ == "__main__":
    main()
