"""Logging in and out of the console, and the large-text preference."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from controller.access.throttle import LoginThrottle, TooManyLoginAttempts
from controller.accounts import Role, authenticate
from controller.deps import ServicesDep, SessionDep, client_address
from controller.web.session import LARGE_TEXT_COOKIE, MaybePageUser, end_session, secure_cookies, start_session
from controller.web.templating import render

router = APIRouter()

_HOME_BY_ROLE = {Role.OFFICER: "/ban-tin", Role.APPROVER: "/duyet", Role.MONITOR: "/giam-sat", Role.ADMIN: "/giam-sat"}


def _local_path(target: str, fallback: str = "/") -> str:
    """Only paths on this site (no `//host` or scheme): the login page must not redirect elsewhere."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


@router.get("/")
def home(user: MaybePageUser) -> RedirectResponse:
    if user is None:
        return RedirectResponse("/dang-nhap", status_code=303)
    return RedirectResponse(_HOME_BY_ROLE.get(user.role, "/giam-sat"), status_code=303)


@router.get("/dang-nhap")
def login_page(request: Request, user: MaybePageUser, next: str = "/") -> Response:
    if user is not None:
        return RedirectResponse(_local_path(next), status_code=303)
    return render(request, "login.html", {"next": _local_path(next), "username": "", "error": None})


@router.post("/dang-nhap")
def login(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    throttle: LoginThrottle = request.app.state.login_throttle
    address = client_address(request)
    username = username.strip()
    context = {"next": _local_path(next), "username": username}
    try:
        throttle.check(session, username, address)
    except TooManyLoginAttempts as exc:
        response = render(request, "login.html", {**context, "error": exc.message_vi}, status_code=429)
        response.headers.update(exc.headers)
        return response
    user = authenticate(session, username, password) if username and password else None
    if user is None or user.id is None:
        throttle.failed(session, username, address)
        session.commit()
        message = "Sai tên đăng nhập hoặc mật khẩu."
        return render(request, "login.html", {**context, "error": message}, status_code=401)
    throttle.succeeded(session, username, address)
    target = _local_path(next)
    if target in ("/", "/dang-nhap"):
        target = _HOME_BY_ROLE.get(user.role, "/giam-sat")
    redirect = RedirectResponse(target, status_code=303)
    start_session(redirect, session, services.settings, user, address)
    return redirect


@router.post("/dang-xuat")
def logout(request: Request, session: SessionDep, services: ServicesDep) -> RedirectResponse:
    """Log out: the session ends on the server too, so the old cookie opens nothing any more."""
    response = RedirectResponse("/dang-nhap", status_code=303)
    end_session(request, response, session, services.settings)
    return response


@router.post("/chu-lon")
def toggle_large_text(
    request: Request, services: ServicesDep, next: Annotated[str, Form(max_length=2000)] = "/"
) -> RedirectResponse:
    """Switch the readable large-text mode (kept in a cookie for a year)."""
    response = RedirectResponse(_local_path(next), status_code=303)
    on = request.cookies.get(LARGE_TEXT_COOKIE) != "1"
    response.set_cookie(
        LARGE_TEXT_COOKIE,
        "1" if on else "0",
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(services.settings),
    )
    return response
