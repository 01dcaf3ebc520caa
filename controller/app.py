"""The FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from controller.api import api_router
from controller.errors import install_error_handlers
from controller.services import Services, build_services
from controller.settings import Settings


def create_app(settings: Settings, *, services_factory: Callable[[Settings], Services] = build_services) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = services_factory(settings)
        app.state.services = services
        try:
            yield
        finally:
            services.close()

    app = FastAPI(
        title="Loaxa",
        summary="Hệ thống điều khiển truyền thanh cơ sở (cụm loa ứng dụng CNTT-VT)",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
    )
    install_error_handlers(app)
    app.include_router(api_router)
    return app
