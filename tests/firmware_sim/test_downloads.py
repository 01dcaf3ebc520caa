"""Audio downloads over real HTTP: a cut download resumes with Range, a damaged one is never kept."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from devices.protocol import PlaylistItem
from firmware_sim import NodeAgent, NodeSettings
from firmware_sim.__main__ import main as fault_command
from firmware_sim.audio_cache import ChecksumMismatch
from firmware_sim.faults import FaultsFile

AUDIO = os.urandom(300 * 1024)
SHA = hashlib.sha256(AUDIO).hexdigest()


@dataclass
class AudioServer:
    """Serves one file with Starlette's FileResponse (Range, If-Range, 416); can cut the next response."""

    path: Path
    cut_next_after: int | None = None
    requests: list[dict[str, str]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    base_url: str = ""

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._inner(scope, receive, send)
            return
        self.requests.append({k.decode(): v.decode() for k, v in scope["headers"]})
        cut_after, self.cut_next_after = self.cut_next_after, None

        async def cutting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.statuses.append(message["status"])
            if message["type"] == "http.response.body" and cut_after is not None:
                await send({**message, "body": message["body"][:cut_after], "more_body": True})
                raise ConnectionResetError("connection cut (test)")
            await send(message)

        await self._inner(scope, receive, cutting_send)

    async def _audio(self, request: Request) -> FileResponse:
        return FileResponse(self.path)

    @property
    def _inner(self) -> Starlette:
        return Starlette(routes=[Route("/audio/{name}", self._audio)])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[AudioServer]:
    path = tmp_path / "served.opus"
    path.write_bytes(AUDIO)
    audio = AudioServer(path)
    uv = uvicorn.Server(
        uvicorn.Config(audio.app, host="127.0.0.1", port=0, log_level="critical", lifespan="off", interface="asgi3")
    )
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    while not uv.started:
        thread.join(0.02)
    audio.base_url = f"http://127.0.0.1:{uv.servers[0].sockets[0].getsockname()[1]}"
    yield audio
    uv.should_exit = True
    thread.join(5)


def _agent(tmp_path: Path, server: AudioServer, http: httpx.AsyncClient) -> NodeAgent:
    settings = NodeSettings(
        controller_url=server.base_url,
        device_code="N1",
        commune="XA",
        password=SecretStr("pw"),
        state_dir=tmp_path / "node",
        download_chunk_bytes=16 * 1024,
    )
    return NodeAgent(settings, http=http)


ITEM = PlaylistItem(
    item_id="i1",
    title="Tin",
    asset_sha256=SHA,
    asset_url=f"/audio/{SHA}.opus",
    duration_ms=1000,
    starts_at=datetime.now(UTC) + timedelta(hours=1),
)


def test_a_cut_download_resumes_with_range_and_ends_verified(tmp_path: Path, server: AudioServer) -> None:
    asyncio.run(_resume(tmp_path, server))


async def _resume(tmp_path: Path, server: AudioServer) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        agent = _agent(tmp_path, server, http)
        server.cut_next_after = 100 * 1024
        with pytest.raises(httpx.HTTPError):
            await agent.download_audio(ITEM)
        have = agent.cache.part_size(SHA, "opus")
        assert 0 < have < len(AUDIO) and not agent.cache.has(SHA, "opus"), "the cut part must wait beside the cache"

        assert await agent.download_audio(ITEM) == AUDIO
        resumed = server.requests[-1]
        assert resumed["range"] == f"bytes={have}-" and resumed["if-range"].startswith('"')
        assert server.statuses[-1] == 206
        assert agent.cache.read_verified(SHA, "opus") == AUDIO
        assert not agent.cache.part_path(SHA, "opus").exists()
        # A part that cannot be the file's start (longer than the file) is dropped, and the next try starts over.
        other = tmp_path / "node" / "cache"
        agent.cache.path(SHA, "opus").unlink()
        agent.cache.part_path(SHA, "opus").write_bytes(AUDIO + b"x")
        assert await agent._ensure_audio(ITEM) is None and agent.cache.part_size(SHA, "opus") == 0
        assert await agent._ensure_audio(ITEM) == AUDIO and list(other.glob("*.part*")) == []


def test_a_damaged_download_is_never_kept_and_is_fetched_again(tmp_path: Path, server: AudioServer) -> None:
    asyncio.run(_damaged(tmp_path, server))


async def _damaged(tmp_path: Path, server: AudioServer) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        agent = _agent(tmp_path, server, http)
        agent.faults.corrupt_downloads = 1
        with pytest.raises(ChecksumMismatch):
            await agent.download_audio(ITEM)
        assert not agent.cache.has(SHA, "opus") and not agent.cache.part_path(SHA, "opus").exists()

        agent.faults.corrupt_downloads = 1
        assert await agent._ensure_audio(ITEM) == AUDIO, "the second attempt, from zero, must verify"
        assert agent.rejected_downloads == 1 and "range" not in server.requests[-1]

        agent.faults.cut_network(5)
        agent.cache.path(SHA, "opus").unlink()
        assert await agent._ensure_audio(ITEM) is None, "no download while the network is cut"
        assert len(server.requests) == 3


def test_fault_command_writes_what_the_agent_applies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    node_dir = tmp_path / "fleet" / "N1"
    node_dir.mkdir(parents=True)
    watched = FaultsFile(node_dir)
    assert not watched.changed()
    args = ["--cut-network", "30", "--clock-skew", "-4", "--amplifier-failed", "--corrupt-downloads", "2"]
    assert fault_command(["fault", "--fleet-dir", str(tmp_path / "fleet"), "--node", "N1", *args]) == 0
    assert watched.changed() and not watched.changed(), "applied once per change"
    spec: dict[str, Any] | None = watched.read()
    assert spec is not None
    agent = NodeAgent(NodeSettings(device_code="N1", commune="XA", state_dir=node_dir))
    agent.faults.apply(spec)
    assert agent.faults.network_down() and agent.faults.amplifier_failed and agent.faults.corrupt_downloads == 2
    assert abs((agent.now() - datetime.now(UTC)).total_seconds() + 4) < 0.5
    assert fault_command(["fault", str(node_dir), "--clear"]) == 0
    cleared = json.loads((node_dir / "faults.json").read_text())
    agent.faults.apply(cleared)
    assert not agent.faults.network_down() and not agent.faults.amplifier_failed and agent.faults.clock_skew_s == 0
    assert fault_command(["fault", str(tmp_path / "missing")]) == 2
    capsys.readouterr()


def test_agent_rereads_faults_json(tmp_path: Path) -> None:
    async def scenario() -> None:
        settings = NodeSettings(device_code="N1", commune="XA", state_dir=tmp_path, fault_poll_interval_s=0.05)
        agent = NodeAgent(settings)
        task = asyncio.create_task(agent._faults_loop())
        (tmp_path / "faults.json").write_text(json.dumps({"amplifier_failed": True}))
        for _ in range(100):
            if agent.faults.amplifier_failed:
                break
            await asyncio.sleep(0.02)
        task.cancel()
        assert agent.faults.amplifier_failed

    asyncio.run(scenario())
