"""Many simulated nodes in one process, on one event loop (aiomqtt rides asyncio's epoll, not select)."""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from firmware_sim.agent import NodeAgent
from firmware_sim.config import NodeSettings
from firmware_sim.state import write_atomically

log = logging.getLogger(__name__)

# HTTP connections of one fleet process (its nodes share them). httpcore checks every pooled connection
# (a poll and a getpeername system call each) whenever a request starts or ends, so the simulator's CPU
# per request grows with the pool: 1,000 playlist pulls from nginx cost 0.9 ms each over 4 connections,
# 1.4 ms over 8 and 8 ms over 100 (this machine, 2 cores). With 100, an emergency's urgent pulls from 500
# nodes took a process 6 s, which the benchmark then counted as the controller's. Eight still keep a
# controller answering slowly (the Python fallback) busy.
MAX_CONNECTIONS = 8
FLEET_IO_THREADS = 8


@dataclass(frozen=True)
class NodeIdentity:
    device_code: str
    commune: str
    password: str


def load_identities(path: Path) -> list[NodeIdentity]:
    if not path.exists():
        return []
    rows = json.loads(path.read_text())
    return [NodeIdentity(str(r["device_code"]), str(r["commune"]), str(r["password"])) for r in rows]


def save_identities(path: Path, identities: list[NodeIdentity]) -> None:
    rows = [{"device_code": i.device_code, "commune": i.commune, "password": i.password} for i in identities]
    write_atomically(path, json.dumps(rows, indent=1).encode())
    path.chmod(0o600)


class BoundedClient(httpx.AsyncClient):
    """One HTTP client for a whole simulated fleet, with at most `max_in_flight` requests queued in its pool.

    httpcore matches waiting requests to free connections with a scan of its whole queue, so thousands of
    nodes starting at once (every node pulls its playlist on start) spend the CPU on that scan and none on
    connecting. Waiting on a semaphore first keeps the queue short; field nodes each have their own client.
    """

    def __init__(self, *, max_in_flight: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._in_flight = asyncio.Semaphore(max_in_flight)

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        async with self._in_flight:
            return await super().send(request, **kwargs)


class Fleet:
    """Runs one NodeAgent per identity; each keeps its state under `<state_root>/<device_code>`."""

    def __init__(
        self,
        template: NodeSettings,
        identities: list[NodeIdentity],
        state_root: Path,
        *,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        # One connection pool for the whole fleet instead of one per node.
        self._http = BoundedClient(
            max_in_flight=max_connections,
            timeout=template.http_timeout_s,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=min(100, max_connections)),
        )
        self.agents = [
            NodeAgent(
                template.model_copy(
                    update={
                        "device_code": ident.device_code,
                        "commune": ident.commune,
                        "password": SecretStr(ident.password),
                        "state_dir": state_root / ident.device_code,
                        "recordings_dir": None,
                    }
                ),
                http=self._http,
            )
            for ident in identities
        ]

    async def run(self) -> None:
        """Run every agent until cancelled; one agent crashing is logged and does not stop the others."""
        # Every node's disk writes (fsyncs of cache, playlist, reports) go through the loop's executor;
        # command checks and the reads before airtime have their own threads (agent._urgent_io). Eight
        # threads: each one runnable competes with the event loop for the GIL, and with 64 a burst of
        # writes (every node saving an urgent playlist at once) held the loop, and its airtimes, for seconds.
        executor = ThreadPoolExecutor(max_workers=FLEET_IO_THREADS, thread_name_prefix="fleet-io")
        asyncio.get_running_loop().set_default_executor(executor)
        try:
            await asyncio.gather(*(self._guarded(agent) for agent in self.agents))
        finally:
            await self._http.aclose()

    @staticmethod
    async def _guarded(agent: NodeAgent) -> None:
        try:
            await agent.run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("node %s stopped with an error", agent.code)

    @property
    def connected(self) -> int:
        return sum(1 for agent in self.agents if agent.connected.is_set())
