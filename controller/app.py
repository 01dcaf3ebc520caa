"""The FastAPI application."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from controller.access.throttle import LoginThrottle
from controller.api import UPLOAD_PATHS, api_router
from controller.body_limit import BodyLimit
from controller.content import start_content
from controller.errors import install_error_handlers
from controller.leadership import start_leadership
from controller.live.runtime import start_live, stop_live
from controller.openapi import install_api_document
from controller.services import Services, build_services
from controller.settings import Settings
from controller.stock import announce_library
from controller.web import STATIC_DIR, WEB_UPLOAD_PATHS, page_error, web_router
from public_site import VisitorRate

log = logging.getLogger(__name__)


def create_app(settings: Settings, *, services_factory: Callable[[Settings], Services] | None = None) -> FastAPI:
    """The app; `services_factory` defaults to `build_services` (tests pass one that adds a stand-in)."""
    factory = services_factory or build_services

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = factory(settings)
        app.state.services = services
        # Before the scheduler, whose start-up announcement writes every commune's playlist files.
        services.content = await asyncio.to_thread(start_content, services)
        # The singleton jobs (publication, sweeps, the source link, the sealer and filer) run on the leader
        # only; a lone instance is elected here, before it serves (controller.leadership).
        await asyncio.to_thread(start_leadership, services)
        # The stock library's version, retained on every commune's topic (nodes also pull it on connect).
        await asyncio.to_thread(announce_library, services)
        services.live = await start_live(services)
        try:
            yield
        finally:
            await stop_live(services)
            services.close()

    app = FastAPI(
        title="Loaxa",
        summary="Hệ thống điều khiển truyền thanh cơ sở (cụm loa ứng dụng CNTT-VT)",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
    )
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.web.max_body_bytes,
        upload_max_bytes=settings.audio.upload_max_bytes,
        upload_paths=f"{UPLOAD_PATHS}|{WEB_UPLOAD_PATHS}",
    )
    install_error_handlers(app, page_errors=page_error)
    app.state.login_throttle = LoginThrottle.from_settings(settings.web)
    app.state.public_rate = VisitorRate.from_settings(settings.public)
    app.include_router(api_router)
    app.include_router(web_router)
    app.mount("/tinh", StaticFiles(directory=STATIC_DIR), name="static")
    install_api_document(app)
    return app


def server_config(
    app: FastAPI, settings: Settings, *, host: str, port: int, log_level: str = "warning"
) -> uvicorn.Config:
    """How every entry point (serve, demo, the tests' server) runs the app under uvicorn.

    Forwarded headers (X-Forwarded-For/-Proto) are believed only from `web.trusted_proxies`. uvicorn's
    own default believes them from 127.0.0.1, which let any local client, or a proxy on the same host that
    does not overwrite the header, choose the address the login throttle counts against.
    """
    proxies = settings.web.trusted_proxy_list()
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        lifespan="on",
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or [],
    )
