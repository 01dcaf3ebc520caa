"""Nodes' playlists and audio through nginx: the controller writes the files and hands out signed links.

Real controller, database, espeak-ng and ffmpeg, and a real nginx (the `nginx` fixture) checking the links.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlmodel import select

from controller.accounts import Role
from controller.settings import Settings
from devices.commands import DeviceCommand
from devices.nginx import NginxServer
from devices.protocol import PLAYLIST_URL_HEADER, Playlist, PlaylistItem, StockManifest
from firmware_sim import NodeAgent, NodeIdentity, NodeSettings
from tests.harness import (
    Api,
    ControllerServer,
    add_user_directly,
    approved_bulletin,
    login,
    setup_commune,
    staff,
)


@pytest.fixture
def settings(settings: Settings, nginx: NginxServer) -> Settings:
    """The usual test settings, with nodes' content served by the `nginx` fixture."""
    return settings.model_copy(update={"content": nginx.settings})


def _node_playlist(base_url: str, node: NodeIdentity) -> httpx.Response:
    response = httpx.get(f"{base_url}/api/v1/node/playlist", auth=(node.device_code, node.password), timeout=10)
    assert response.status_code == 200, response.text
    return response


@pytest.fixture
def communes(admin: Api) -> tuple[NodeIdentity, NodeIdentity]:
    """A node of XA-A and a node of XA-B."""
    (node_a,) = setup_commune(admin, "TINH", "XA-A", ["A-01"])
    (node_b,) = setup_commune(admin, "TINH", "XA-B", ["B-01"])
    return node_a, node_b


def test_a_node_fetches_its_playlist_and_audio_from_nginx_and_only_its_own(
    settings: Settings,
    controller: ControllerServer,
    nginx: NginxServer,
    communes: tuple[NodeIdentity, NodeIdentity],
    request: pytest.FixtureRequest,
) -> None:
    node_a, node_b = communes
    officer, approver = staff(settings, controller.base_url, request, commune="XA-A")
    bulletin, sha = approved_bulletin(
        officer, approver, "XA-A", "Lịch tiêm chủng", "Kính thưa bà con, sáng mai tiêm chủng."
    )
    starts_at = datetime.now(UTC) + timedelta(hours=1)
    response = officer.post(
        "/api/v1/broadcasts", {"bulletin_id": bulletin, "commune_code": "XA-A", "starts_at": starts_at.isoformat()}
    )
    assert response.status_code == 201, response.text

    # The controller's answer is unchanged for old nodes, and names the playlist's signed link on nginx.
    from_controller = _node_playlist(controller.base_url, node_a)
    link = from_controller.headers[PLAYLIST_URL_HEADER]
    assert link.startswith(f"{nginx.url}/c/XA-A/playlist.json?md5=")
    other_link = _node_playlist(controller.base_url, node_b).headers[PLAYLIST_URL_HEADER]
    assert other_link.startswith(f"{nginx.url}/c/XA-B/playlist.json?md5=")

    with httpx.Client(timeout=10) as http:
        served = http.get(link)
        assert served.status_code == 200
        playlist = Playlist.model_validate_json(served.content)
        controllers = Playlist.model_validate_json(from_controller.content)
        assert playlist.version == controllers.version and [i.asset_sha256 for i in playlist.items] == [sha]
        assert playlist.items[0].model_copy(update={"asset_url": ""}) == controllers.items[0].model_copy(
            update={"asset_url": ""}
        ), "the same items; only the audio links differ"
        assert http.get(link, headers={"If-None-Match": served.headers["etag"]}).status_code == 304

        audio_link = nginx.url + playlist.items[0].asset_url
        audio = http.get(audio_link)
        assert audio.status_code == 200 and hashlib.sha256(audio.content).hexdigest() == sha

        # A legacy node asks for MP3: its own link, to the MP3 renditions, on nginx too.
        legacy = httpx.get(
            f"{controller.base_url}/api/v1/node/playlist?codec=mp3", auth=(node_a.device_code, node_a.password)
        )
        mp3_link = legacy.headers[PLAYLIST_URL_HEADER]
        assert mp3_link.startswith(f"{nginx.url}/c/XA-A/playlist-mp3.json?md5=")
        (mp3_item,) = Playlist.model_validate_json(http.get(mp3_link).content).items
        assert mp3_item.codec == "mp3" and mp3_item.asset_sha256 != sha
        mp3 = http.get(nginx.url + mp3_item.asset_url)
        assert mp3.headers["content-type"] == "audio/mpeg"
        assert hashlib.sha256(mp3.content).hexdigest() == mp3_item.asset_sha256

        # Commune B's node holds a valid link to B's playlist; pointed at A, or at A's audio, it is refused.
        assert http.get(other_link).status_code == 200
        assert http.get(other_link.replace("/c/XA-B/", "/c/XA-A/")).status_code == 403
        assert http.get(audio_link.replace("/c/XA-A/", "/c/XA-B/")).status_code == 403
        # B's playlist does not list A's audio.
        assert Playlist.model_validate_json(http.get(other_link).content).items == ()

        # A newer version is written before the nodes are told: the old ETag no longer matches.
        cancel = officer.post(f"/api/v1/broadcasts/{response.json()['id']}/cancel")
        assert cancel.status_code == 200, cancel.text
        newer = http.get(link, headers={"If-None-Match": served.headers["etag"]})
        assert newer.status_code == 200
        assert Playlist.model_validate_json(newer.content).version == playlist.version + 1


def test_a_node_given_a_tampered_or_expired_link_falls_back_to_the_controller_and_renews_it(
    settings: Settings,
    controller: ControllerServer,
    nginx: NginxServer,
    communes: tuple[NodeIdentity, NodeIdentity],
    tmp_path: Path,
) -> None:
    node_a, _ = communes
    asyncio.run(_fallback(settings, controller, nginx, node_a, tmp_path))


async def _fallback(
    settings: Settings, controller: ControllerServer, nginx: NginxServer, node: NodeIdentity, tmp_path: Path
) -> None:
    node_settings = _node_settings(settings, controller, node, tmp_path)
    async with httpx.AsyncClient(timeout=10) as http:
        agent = NodeAgent(node_settings, http=http)
        await agent.sync_playlist()  # first contact: the controller, which names the link
        good = agent.content.playlist_url
        assert good is not None and good.startswith(nginx.url)
        await agent.sync_playlist()
        assert agent.content.playlist_fetches == 1 and agent.content.fallbacks == 0

        for bad in (good.replace("expires=", "expires=1"), good.split("&expires=")[0] + "&expires=1000"):
            agent.content.playlist_url = bad
            await agent.sync_playlist()
            assert agent.content.playlist_url == good, "the controller hands it a valid link again"
        assert agent.content.fallbacks == 2
        assert agent.playlist is not None and agent.playlist.commune == node.commune

    # A restarted node polls nginx at once with the link it kept.
    async with httpx.AsyncClient(timeout=10) as http:
        again = NodeAgent(node_settings, http=http)
        assert again.content.playlist_url == good
        await again.sync_playlist()
        assert again.content.playlist_fetches == 1 and again.content.fallbacks == 0

        # A damaged file on the content server is not taken: the controller's playlist is.
        damaged = nginx.settings.directory / "files" / "c" / node.commune / "playlist.json"
        damaged.write_bytes(b'{"v": 1, "commune": "XA-B"')
        await again.sync_playlist()
        assert again.content.fallbacks == 1
        assert again.playlist is not None and again.playlist.commune == node.commune


def test_audio_whose_link_is_refused_is_fetched_from_the_controller_and_verified(
    settings: Settings,
    controller: ControllerServer,
    nginx: NginxServer,
    communes: tuple[NodeIdentity, NodeIdentity],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    node_a, _ = communes
    officer, approver = staff(settings, controller.base_url, request, commune="XA-A")
    bulletin, sha = approved_bulletin(officer, approver, "XA-A", "Tin nước sạch", "Sáng mai tạm ngừng cấp nước.")
    starts_at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    response = officer.post(
        "/api/v1/broadcasts", {"bulletin_id": bulletin, "commune_code": "XA-A", "starts_at": starts_at}
    )
    assert response.status_code == 201, response.text
    asyncio.run(_audio_fallback(settings, controller, nginx, node_a, sha, tmp_path))


async def _audio_fallback(
    settings: Settings, controller: ControllerServer, nginx: NginxServer, node: NodeIdentity, sha: str, tmp_path: Path
) -> None:
    node_settings = _node_settings(settings, controller, node, tmp_path)
    async with httpx.AsyncClient(timeout=10) as http:
        agent = NodeAgent(node_settings, http=http)
        await agent.sync_playlist()  # from the controller: its audio too
        await agent.sync_playlist()  # from nginx (its ETag differs): the audio is cached already
        assert agent.content.playlist_fetches == 1 and agent.playlist is not None
        (item,) = agent.playlist.items
        assert item.asset_url.startswith(f"/c/XA-A/a/{sha}.opus?md5=")
        agent.cache.path(sha, "opus").unlink()

        # nginx now checks another secret: every link the node holds is refused (403).
        nginx.secret = "a-rotated-content-secret"
        nginx.stop()
        nginx.start()
        assert (await http.get(nginx.url + item.asset_url)).status_code == 403
        assert await agent.download_audio(item) == agent.cache.read_verified(sha, "opus")
        assert agent.cache.has(sha, "opus") and agent.content.audio_fetches == 0 and agent.content.fallbacks == 1


def test_a_play_now_names_its_audio_on_nginx_and_a_tampered_link_falls_back_to_the_controller(
    settings: Settings,
    controller: ControllerServer,
    nginx: NginxServer,
    communes: tuple[NodeIdentity, NodeIdentity],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    node_a, _ = communes
    officer, approver = staff(settings, controller.base_url, request, commune="XA-A")
    # A new recording: in no playlist, so only the play_now lets a node fetch it.
    bulletin, sha = approved_bulletin(officer, approver, "XA-A", "Tin khẩn", "Nước lũ đang lên, bà con lên chỗ cao.")
    response = officer.post(
        f"/api/v1/devices/{node_a.device_code}/commands", {"name": "play_now", "bulletin_id": bulletin}
    )
    assert response.status_code == 202, response.text
    with controller.services.sessions() as session:
        (row,) = session.exec(select(DeviceCommand).where(DeviceCommand.command_id == response.json()["command_id"]))
        item = PlaylistItem.model_validate(row.parameters["item"])
    assert item.asset_url == f"/api/v1/node/audio/{sha}.opus", "old nodes fetch it from the controller as before"
    assert item.content_url is not None and item.content_url.startswith(f"{nginx.url}/c/XA-A/a/{sha}.opus?md5=")
    asyncio.run(_play_now_audio(settings, controller, nginx, node_a, item, tmp_path))


def _node_settings(
    settings: Settings, controller: ControllerServer, node: NodeIdentity, tmp_path: Path
) -> NodeSettings:
    """The reference agent's settings for `node`, talking to the test controller."""
    return settings.node.model_copy(
        update={
            "controller_url": controller.base_url,
            "device_code": node.device_code,
            "commune": node.commune,
            "password": SecretStr(node.password),
            "state_dir": tmp_path / "node",
        }
    )


async def _play_now_audio(
    settings: Settings,
    controller: ControllerServer,
    nginx: NginxServer,
    node: NodeIdentity,
    item: PlaylistItem,
    tmp_path: Path,
) -> None:
    node_settings = _node_settings(settings, controller, node, tmp_path)
    sha = item.asset_sha256
    async with httpx.AsyncClient(timeout=10) as http:
        agent = NodeAgent(node_settings, http=http)
        data = await agent.download_audio(item)
        assert hashlib.sha256(data).hexdigest() == sha
        assert agent.content.audio_fetches == 1 and agent.content.fallbacks == 0
        served = [line for line in nginx.access_log.read_text().splitlines() if f"/c/XA-A/a/{sha}.opus?md5=" in line]
        assert len(served) == 1 and '" 200 ' in served[0], served

        # The link pointed at another commune, or with its hash changed: nginx refuses it (403), and
        # the node fetches the audio from the controller instead, verified as always.
        agent.cache.path(sha, "opus").unlink()
        assert item.content_url is not None
        for tampered in (
            item.content_url.replace("/c/XA-A/", "/c/XA-B/"),
            item.content_url.replace("md5=", "md5=A"),
        ):
            assert (await http.get(tampered)).status_code == 403
            forged = item.model_copy(update={"content_url": tampered})
            assert hashlib.sha256(await agent.download_audio(forged)).hexdigest() == sha
            agent.cache.path(sha, "opus").unlink()
        assert agent.content.audio_fetches == 1 and agent.content.fallbacks == 2


def test_the_stock_library_is_pinned_from_nginx_with_links_for_the_nodes_own_commune(
    settings: Settings,
    controller: ControllerServer,
    nginx: NginxServer,
    admin: Api,
    communes: tuple[NodeIdentity, NodeIdentity],
    tmp_path: Path,
) -> None:
    """A province's nodes pin a new library at once: the files come from nginx, never queueing at the
    controller (at 1,000 simulated nodes the controller's Python served too few of them in time)."""
    node_a, node_b = communes
    add_user_directly(settings, "quantri2", Role.ADMIN, "admin-pass-2")
    checker = login(controller.base_url, "quantri2", "admin-pass-2")
    assert admin.client.put("/api/v1/stock/test_tone/vi", json={"title": "Phát thử"}).status_code == 200
    tone = admin.post("/api/v1/stock/test_tone/vi/speech")
    assert tone.status_code == 200, tone.text
    sha = tone.json()["audio_sha256"]
    assert checker.post("/api/v1/stock/test_tone/vi/approve").status_code == 200

    def manifest(node: NodeIdentity) -> httpx.Response:
        response = httpx.get(
            f"{controller.base_url}/api/v1/node/stock", auth=(node.device_code, node.password), timeout=10
        )
        assert response.status_code == 200, response.text
        return response

    served = manifest(node_a)
    (entry,) = StockManifest.model_validate_json(served.content).entries
    assert entry.url == f"/api/v1/node/stock/{sha}.opus", "old nodes fetch it from the controller as before"
    assert entry.content_url is not None and entry.content_url.startswith(f"{nginx.url}/c/XA-A/a/{sha}.opus?md5=")
    (other,) = StockManifest.model_validate_json(manifest(node_b).content).entries
    assert other.content_url is not None and other.content_url.startswith(f"{nginx.url}/c/XA-B/a/{sha}.opus?md5=")
    assert "XA-A" in served.headers["etag"] and served.headers["etag"] != manifest(node_b).headers["etag"]
    again = httpx.get(
        f"{controller.base_url}/api/v1/node/stock",
        auth=(node_a.device_code, node_a.password),
        headers={"If-None-Match": served.headers["etag"]},
        timeout=10,
    )
    assert again.status_code == 304
    with httpx.Client(timeout=10) as http:
        assert hashlib.sha256(http.get(entry.content_url).content).hexdigest() == sha
        assert http.get(entry.content_url.replace("XA-A", "XA-B")).status_code == 403, "signed for its path only"
    asyncio.run(_pin_library(settings, controller, nginx, node_a, sha, tmp_path))


async def _pin_library(
    settings: Settings, controller: ControllerServer, nginx: NginxServer, node: NodeIdentity, sha: str, tmp_path: Path
) -> None:
    node_settings = _node_settings(settings, controller, node, tmp_path)
    fetched_from_nginx = nginx.access_log.read_text().count(f"/a/{sha}.opus") if nginx.access_log.exists() else 0
    async with httpx.AsyncClient(timeout=10) as http:
        agent = NodeAgent(node_settings, http=http)
        await agent.stock_sync.sync()
    assert agent.stock.version is not None and agent.stock.holds(sha)
    assert nginx.access_log.read_text().count(f"/a/{sha}.opus") == fetched_from_nginx + 1
