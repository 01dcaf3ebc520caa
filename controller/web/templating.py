"""Rendering pages: the Jinja2 environment, and what every page's template can use."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from controller.accounts import Role, User
from controller.services import Services
from controller.translations.speech import in_sentence
from controller.web import labels
from controller.web.session import CSRF_COOKIE, LARGE_TEXT_COOKIE, csrf_nonce, csrf_token, set_csrf_nonce

TEMPLATE_DIR = Path(__file__).parent / "templates"

# Pages load nothing from elsewhere and run no inline script or style: a strict policy costs nothing.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

templates = Jinja2Templates(directory=TEMPLATE_DIR)


@pass_context
def _local_time(context: Context, moment: datetime | None, fmt: str = "%H:%M:%S %d/%m/%Y") -> str:
    """A time as people in the commune read it (the scheduler's time zone)."""
    if moment is None:
        return "—"
    return moment.astimezone(ZoneInfo(context["timezone"])).strftime(fmt)


def _duration(duration_ms: int | None) -> str:
    if duration_ms is None:
        return "—"
    seconds = round(duration_ms / 1000)
    return f"{seconds // 60} phút {seconds % 60} giây" if seconds >= 60 else f"{seconds} giây"


@pass_context
def _end_time(context: Context, start: datetime, duration_ms: int) -> str:
    return str(_local_time(context, start + timedelta(milliseconds=duration_ms), "%H:%M:%S"))


templates.env.filters["local_time"] = _local_time
templates.env.filters["end_time"] = _end_time
templates.env.filters["duration"] = _duration
templates.env.filters["in_sentence"] = in_sentence
templates.env.globals["labels"] = labels
templates.env.globals["label"] = labels.label


def navigation(user: User | None) -> list[tuple[str, str]]:
    """The menu: (path, Vietnamese name) for what this role can do."""
    if user is None:
        return []
    items: list[tuple[str, str]] = []
    if user.role in (Role.OFFICER, Role.ADMIN):
        items += [("/ban-tin", "Bản tin"), ("/ban-tin/moi", "Soạn bản tin"), ("/lich-tuan", "Lịch tuần")]
        if user.role == Role.ADMIN or user.province_id is not None:
            items.append(("/chuong-trinh-tinh", "Toàn tỉnh"))
        items.append(("/sach-noi", "Sách nói"))
        items.append(("/phat-truc-tiep", "Phát trực tiếp"))
    if user.role == Role.ADMIN or user.province_id is not None:
        items.append(("/nguon-tinh", "Nguồn tin tỉnh"))
    if user.role in (Role.APPROVER, Role.ADMIN):
        items.append(("/duyet", "Duyệt bản tin"))
    items.append(("/giam-sat", "Giám sát"))
    items.append(("/bao-cao", "Báo cáo"))
    items.append(("/ban-tin-mau", "Bản tin mẫu"))
    if user.role in (Role.MONITOR, Role.ADMIN):
        items.append(("/ban-do", "Bản đồ"))
    if user.role == Role.ADMIN:
        items.append(("/tiep-song", "Tiếp sóng"))
        items.append(("/quan-tri", "Quản trị"))
    return items


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    user: User | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    services: Services = request.app.state.services
    settings = services.settings
    nonce = csrf_nonce(request)
    full = {
        "user": user,
        "nav": navigation(user),
        "csrf_token": csrf_token(settings.secret_key.get_secret_value(), nonce),
        "large_text": request.cookies.get(LARGE_TEXT_COOKIE) == "1",
        "timezone": settings.scheduler.timezone,
        "refresh_s": settings.web.live_refresh_s,
        "path": request.url.path,
        **(context or {}),
    }
    response = templates.TemplateResponse(request, template, full, status_code=status_code)
    if request.cookies.get(CSRF_COOKIE) != nonce:
        set_csrf_nonce(response, settings, nonce)
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(SECURITY_HEADERS)
    return response
