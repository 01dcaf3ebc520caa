"""A node that learns of an emergency late airs it whole, and what was due meanwhile waits for the horn;
an urgent notice that carries its signed playlist is applied without a pull.

The agent's own timers and file sink, no network: the playlist is applied as a pull would apply it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr

from devices.command_signing import CommandSigner
from devices.protocol import Playlist, PlaylistItem, PlaylistNotice, Priority, encode
from firmware_sim import NodeAgent, NodeSettings

AUDIO = {name: f"audio of {name}".encode() for name in ("storm", "rest", "news", "old")}


def _agent(tmp_path: Path) -> NodeAgent:
    agent = NodeAgent(
        NodeSettings(
            device_code="CL-1",
            commune="XA",
            password=SecretStr("node-pass"),
            state_dir=tmp_path / "node",
            late_start_tolerance_s=1.0,
            late_emergency_tolerance_s=6.0,
            prepare_ahead_s=0.2,
        )
    )
    for data in AUDIO.values():
        agent.cache.put(hashlib.sha256(data).hexdigest(), "opus", data)
    return agent


def _item(name: str, starts_at: datetime, seconds: float, priority: Priority = "normal") -> PlaylistItem:
    sha = hashlib.sha256(AUDIO[name]).hexdigest()
    return PlaylistItem(
        item_id=name,
        title=name,
        priority=priority,
        asset_sha256=sha,
        asset_url=f"/api/v1/node/audio/{sha}.opus",
        duration_ms=int(seconds * 1000),
        starts_at=starts_at,
    )


def _plays(agent: NodeAgent) -> dict[str, dict[str, str]]:
    log = agent.settings.state_dir / "recordings" / "playlog.jsonl"
    return {line["item_id"]: line for line in map(json.loads, log.read_text().splitlines())}


def _outcomes(agent: NodeAgent) -> dict[str, tuple[str, str]]:
    return {r.item_id: (r.outcome, r.detail) for r in agent.outbox.pending()}


def test_a_late_emergency_airs_whole_and_the_next_item_waits_for_it(tmp_path: Path) -> None:
    agent = _agent(tmp_path)
    now = datetime.now(UTC)
    # The emergency began 3 s ago (beyond the 1 s tolerance of other items) and was due to end in 0.5 s;
    # its continuation `rest` was due then. A normal item missed by 3 s is still not aired.
    playlist = Playlist(
        commune="XA",
        version=7,
        generated_at=now,
        items=(
            _item("old", now - timedelta(seconds=3), 5.0),
            _item("storm", now - timedelta(seconds=3), 3.5, "emergency"),
            _item("rest", now + timedelta(seconds=0.5), 1.0),
        ),
    )

    async def scenario() -> None:
        agent._apply(playlist)
        await asyncio.sleep(5.5)

    asyncio.run(scenario())
    plays, outcomes = _plays(agent), _outcomes(agent)
    storm = plays["storm"]
    started = datetime.fromisoformat(storm["started_at"])
    ended = datetime.fromisoformat(storm["ended_at"])
    assert (started - now).total_seconds() < 0.5  # at once, not at its scheduled start
    assert (ended - started).total_seconds() >= 3.4  # whole, past its scheduled end
    assert outcomes["storm"][0] == "played"
    rest = datetime.fromisoformat(plays["rest"]["started_at"])
    assert rest >= ended  # never over the warning
    assert (rest - ended).total_seconds() < 0.5
    assert outcomes["rest"][0] == "played"
    assert "old" not in plays and outcomes["old"][0] == "failed" and "trễ" in outcomes["old"][1]


def test_an_emergency_learned_of_too_late_is_reported_not_aired(tmp_path: Path) -> None:
    agent = _agent(tmp_path)
    now = datetime.now(UTC)
    # 8 s after its start (tolerance 6 s) and 1 s after its scheduled end: dropped, not aired.
    playlist = Playlist(
        commune="XA",
        version=8,
        generated_at=now,
        items=(
            _item("storm", now - timedelta(seconds=8), 9.0, "emergency"),
            _item("news", now + timedelta(seconds=0.3), 0.5),
        ),
    )

    async def scenario() -> None:
        agent._apply(playlist)
        await asyncio.sleep(1.5)

    asyncio.run(scenario())
    outcomes = _outcomes(agent)
    assert outcomes["storm"][0] == "failed" and "trễ" in outcomes["storm"][1]
    assert "storm" not in _plays(agent) and outcomes["news"][0] == "played"


def test_a_late_emergency_stays_on_air_when_the_next_version_drops_it_as_over(tmp_path: Path) -> None:
    agent = _agent(tmp_path)
    now = datetime.now(UTC)
    storm = _item("storm", now - timedelta(seconds=2), 2.5, "emergency")

    async def scenario() -> None:
        agent._apply(Playlist(commune="XA", version=9, generated_at=now, items=(storm,)))
        await asyncio.sleep(1.0)  # past its scheduled end, still on air
        assert agent.on_air == ["storm"]
        agent._apply(Playlist(commune="XA", version=10, generated_at=datetime.now(UTC)))
        await asyncio.sleep(2.0)

    asyncio.run(scenario())
    play = _plays(agent)["storm"]
    assert not play["interrupted"]
    seconds = (datetime.fromisoformat(play["ended_at"]) - datetime.fromisoformat(play["started_at"])).total_seconds()
    assert seconds >= 2.4


def test_a_late_emergency_withdrawn_before_its_scheduled_end_stops(tmp_path: Path) -> None:
    agent = _agent(tmp_path)
    now = datetime.now(UTC)
    storm = _item("storm", now - timedelta(seconds=2), 4.0, "emergency")

    async def scenario() -> None:
        agent._apply(Playlist(commune="XA", version=11, generated_at=now, items=(storm,)))
        await asyncio.sleep(0.5)
        agent._apply(Playlist(commune="XA", version=12, generated_at=datetime.now(UTC)))  # cancelled
        await asyncio.sleep(0.5)

    asyncio.run(scenario())
    assert _plays(agent)["storm"]["interrupted"]


# -- an urgent notice that carries its playlist (protocol 1.5) ---------------------------------------


def _signed_agent(tmp_path: Path, signer: CommandSigner) -> NodeAgent:
    agent = _agent(tmp_path)
    agent.settings = agent.settings.model_copy(update={"command_public_key": signer.public_key_b64})
    agent._init_commands()
    return agent


def _notice(playlist: Playlist, signer: CommandSigner, *, tamper: bool = False) -> bytes:
    text = playlist.model_dump_json()
    signature = signer.sign_bytes(text.encode())
    if tamper:  # the same signature over a playlist changed after signing
        assert '"title":"storm"' in text
        text = text.replace('"title":"storm"', '"title":"bão giả"')
    notice = PlaylistNotice(
        commune=playlist.commune,
        version=playlist.version,
        etag='"x"',
        issued_at=playlist.generated_at,
        urgent=True,
        playlist=text,
        key_id=signer.key_id,
        signature=signature,
    )
    return encode(notice)


def test_an_urgent_notice_with_a_signed_playlist_airs_without_a_pull(tmp_path: Path) -> None:
    signer = CommandSigner.load_or_create(tmp_path / "key.pem")
    agent = _signed_agent(tmp_path, signer)
    now = datetime.now(UTC)
    storm = _item("storm", now + timedelta(seconds=0.5), 0.5, "emergency")
    playlist = Playlist(commune="XA", version=3, generated_at=now, items=(storm,))

    async def scenario() -> None:
        agent._on_message("loaxa/v1/communes/XA/playlist", _notice(playlist, signer))
        assert agent.playlist == playlist and not agent._sync_wanted.is_set()  # all audio local: no pull
        await asyncio.sleep(1.5)

    asyncio.run(scenario())
    assert _outcomes(agent)["storm"][0] == "played"
    assert agent.local.load_playlist() == (playlist.model_dump_json().encode(), "")
    (pull,) = agent.urgent_pulls
    assert pull.version == 3 and pull.fetched_at == pull.noticed_at


def test_a_pushed_playlist_not_signed_by_the_controller_is_not_applied(tmp_path: Path) -> None:
    signer = CommandSigner.load_or_create(tmp_path / "key.pem")
    forger = CommandSigner.load_or_create(tmp_path / "other.pem")
    agent = _signed_agent(tmp_path, signer)
    now = datetime.now(UTC)
    storm = _item("storm", now + timedelta(seconds=30), 0.5, "emergency")
    playlist = Playlist(commune="XA", version=4, generated_at=now, items=(storm,))
    other_commune = playlist.model_copy(update={"commune": "XB"})

    async def scenario() -> None:
        for payload in (
            _notice(playlist, forger),  # another key
            _notice(playlist, signer, tamper=True),  # changed after signing
            _notice(other_commune, signer),  # another commune's (as if misrouted)
        ):
            agent._sync_wanted.clear()
            agent._on_message("loaxa/v1/communes/XA/playlist", payload)
            assert agent.playlist is None and agent._timers == {}
            assert agent._sync_wanted.is_set()  # it pulls instead, as a 1.4 node would

    asyncio.run(scenario())
