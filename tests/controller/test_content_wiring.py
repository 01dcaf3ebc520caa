"""How the controller runs nodes' content server: its own nginx when enabled, the Python path without it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from controller.settings import Settings
from devices.content import ContentSettings
from devices.protocol import PLAYLIST_URL_HEADER
from tests.harness import Api, ControllerServer, setup_commune


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """Content enabled, the controller starting nginx itself; the test's parameters change the section."""
    extra: dict[str, Any] = getattr(request, "param", {})
    section = ContentSettings(
        enabled=True, directory=settings.audio.storage_dir.parent / "content", workers=1, max_connections=128, **extra
    )
    return settings.model_copy(update={"content": section})


def test_the_controller_starts_its_own_nginx_and_stops_it_with_itself(controller: ControllerServer, admin: Api) -> None:
    (node,) = setup_commune(admin, "TINH", "XA-W", ["W-01"])
    content = controller.services.content
    assert content is not None and content.nginx is not None and content.nginx.process is not None
    nginx_process = content.nginx.process
    answer = httpx.get(f"{controller.base_url}/api/v1/node/playlist", auth=(node.device_code, node.password))
    link = answer.headers[PLAYLIST_URL_HEADER]
    assert link.startswith(content.public_url + "/c/XA-W/playlist.json?md5=")
    served = httpx.get(link)
    assert served.status_code == 200 and served.json()["commune"] == "XA-W"
    controller.stop()
    assert nginx_process.poll() is not None, "nginx stops with the controller"


@pytest.mark.parametrize("settings", [{"nginx_binary": "/nonexistent/nginx"}], indirect=True)
def test_without_nginx_the_controller_serves_nodes_itself(controller: ControllerServer, admin: Api) -> None:
    (node,) = setup_commune(admin, "TINH", "XA-W", ["W-01"])
    assert controller.services.content is None
    answer = httpx.get(f"{controller.base_url}/api/v1/node/playlist", auth=(node.device_code, node.password))
    assert answer.status_code == 200 and PLAYLIST_URL_HEADER not in answer.headers
