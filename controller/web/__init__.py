"""The web console: server-rendered pages in Vietnamese (Jinja2, a touch of htmx), cookie sessions."""

from pathlib import Path

from fastapi import APIRouter, Depends

from controller.web import (
    account,
    admin,
    audio,
    audiobooks,
    broadcast_hours,
    bulletins,
    cancel,
    cluster,
    dashboard,
    fleet_map,
    listen_again,
    live,
    login,
    playlist,
    province,
    reports,
    review,
    source_link,
    stock,
    streams,
    translations,
    user_admin,
    week,
)
from controller.web.errors import page_error
from controller.web.session import check_csrf

STATIC_DIR = Path(__file__).parent / "static"

web_router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
for module in (
    login,
    bulletins,
    translations,
    review,
    playlist,
    week,
    broadcast_hours,
    province,
    cancel,
    dashboard,
    cluster,
    fleet_map,
    admin,
    user_admin,
    account,
    source_link,
    reports,
    audio,
    stock,
    streams,
    audiobooks,
    listen_again,
    live,
):
    web_router.include_router(module.router)

# Console routes that take audio uploads (multipart); they get `audio.upload_max_bytes`.
WEB_UPLOAD_PATHS = r"/ban-tin/[0-9]+/ghi-am|/ban-tin/[0-9]+/ban-dich/[^/]+/ghi-am|/ban-tin-mau/[^/]+/[^/]+/ghi-am"

__all__ = ["STATIC_DIR", "WEB_UPLOAD_PATHS", "page_error", "web_router"]
