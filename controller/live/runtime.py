"""Starting live broadcasts with the app: the private Icecast (when `live.start_icecast`) and the hub."""

from __future__ import annotations

import asyncio
import logging

from controller.api.live import listener_key
from controller.live.hub import LiveHub
from controller.services import Services
from devices.errors import StreamServerUnavailable
from devices.icecast import IcecastServer

log = logging.getLogger(__name__)


def listener_auth_url(services: Services) -> str:
    """Where the private Icecast asks whether a node may listen: this controller, with its callback key."""
    web = services.settings.web
    host = "127.0.0.1" if web.host in ("0.0.0.0", "::", "") else web.host
    return f"http://{host}:{web.port}/api/v1/live/listeners?key={listener_key(services.settings)}"


async def start_live(services: Services) -> LiveHub:
    """The hub; with `live.start_icecast`, a private Icecast first (without it, live broadcasts still start
    but no node can hear them: logged, not fatal, like nginx for content)."""
    live = services.settings.live
    icecast = live.icecast
    if live.start_icecast:
        server = IcecastServer(icecast.model_copy(update={"listener_auth_url": listener_auth_url(services)}))
        try:
            await asyncio.to_thread(server.start)
        except StreamServerUnavailable as exc:
            log.warning("live broadcasts have no streaming server: %s", exc)
        else:
            services.icecast = server
            icecast = icecast.model_copy(update={"port": server.port, "source_password": server.source_password})
            log.info("live broadcasts stream through Icecast at %s", server.url)
    hub = LiveHub(
        live.model_copy(update={"icecast": icecast}),
        services.sessions,
        services.store,
        work_dir=services.settings.audio.storage_dir.parent / "live-work",
        commands=lambda: services.commands,
    )
    await hub.start()
    return hub


async def stop_live(services: Services) -> None:
    if services.live is not None:
        await services.live.stop()
    if services.icecast is not None:
        await asyncio.to_thread(services.icecast.stop)
