"""Web console sessions: a signed login cookie, CSRF tokens bound to a per-browser nonce, the page user.

The login cookie is a web-audience JWT (`controller.access.tokens`) naming a server-side login session
(`controller.access.login_sessions`), HttpOnly and SameSite=Lax, Secure outside dev/demo/test. Logging out ends
the session on the server, so a copied cookie stops working too. Every form carries a CSRF token: an HMAC
of the browser's nonce cookie under the secret key, so a page from another site can neither read nor
forge it. htmx requests send it as `X-CSRF-Token`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlmodel import Session

from controller.access.login_sessions import end_login, start_login, user_of_login
from controller.access.tokens import issue_token, read_token
from controller.accounts import User
from controller.deps import ServicesDep, SessionDep
from controller.errors import Forbidden, NotAuthenticated
from controller.settings import Settings

SESSION_COOKIE = "loaxa_session"
CSRF_COOKIE = "loaxa_csrf"
LARGE_TEXT_COOKIE = "loaxa_chu_lon"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(NotAuthenticated):
    """A page needs a logged-in user; the console answers with a redirect to the login page."""

    code = "login_required"


class CsrfRejected(Forbidden):
    code = "csrf_rejected"
    message_vi = "Biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang rồi thử lại."


def secure_cookies(settings: Settings) -> bool:
    """Cookies need HTTPS only in production (dev, demo and tests run on plain http://127.0.0.1)."""
    return settings.env not in ("dev", "demo", "test")


def start_session(response: Response, session: Session, settings: Settings, user: User, address: str) -> None:
    """A new console login for `user`: the session row (committed here) and the cookie naming it."""
    assert user.id is not None
    login = start_login(session, user, "web", settings.web.session_ttl_s, address)
    session.commit()
    secret = settings.secret_key.get_secret_value()
    token = issue_token(user.id, login.id, secret, settings.web.session_ttl_s, audience="web")
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.web.session_ttl_s,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings),
        path="/",
    )
    # A new nonce at login: a token seen before login is worth nothing after it.
    set_csrf_nonce(response, settings, secrets.token_urlsafe(24))


def end_session(request: Request, response: Response, session: Session, settings: Settings) -> None:
    """End this browser's login on the server (its cookie no longer opens anything) and drop the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            end_login(session, read_token(token, settings.secret_key.get_secret_value(), audience="web").login_id)
            session.commit()
        except NotAuthenticated:
            pass  # already unusable
    response.delete_cookie(SESSION_COOKIE, path="/", secure=secure_cookies(settings), httponly=True, samesite="lax")


def set_csrf_nonce(response: Response, settings: Settings, nonce: str) -> None:
    # Lax, not Strict: opening the console from a link (Zalo, e-mail) must not void the forms of open tabs;
    # the form token is an HMAC of this nonce, not a credential, and the session cookie is Lax too.
    response.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="lax", secure=secure_cookies(settings), path="/")


def csrf_nonce(request: Request) -> str:
    """The browser's nonce, or a new one (remembered on the request so the response can set it)."""
    nonce = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_nonce", None)
    if not nonce:
        nonce = secrets.token_urlsafe(24)
        request.state.new_csrf_nonce = nonce
    return str(nonce)


def csrf_token(secret: str, nonce: str) -> str:
    return hmac.new(secret.encode(), f"csrf:{nonce}".encode(), hashlib.sha256).hexdigest()


async def check_csrf(request: Request, services: ServicesDep) -> None:
    """Refuse a state-changing request whose token does not match the browser's nonce."""
    if request.method in _SAFE_METHODS:
        return
    nonce = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    expected = csrf_token(services.settings.secret_key.get_secret_value(), nonce) if nonce else None
    if expected is None or sent is None or not hmac.compare_digest(expected, sent):
        raise CsrfRejected("missing or wrong CSRF token")


def optional_page_user(request: Request, session: SessionDep, services: ServicesDep) -> User | None:
    """The user of this browser's live console session (its id left in `request.state.login_id`), or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        claims = read_token(token, services.settings.secret_key.get_secret_value(), audience="web")
    except NotAuthenticated:
        return None
    user = user_of_login(session, claims.login_id, "web")
    if user is None or user.id != claims.user_id:
        return None
    request.state.login_id = claims.login_id
    return user


def page_user(user: Annotated[User | None, Depends(optional_page_user)]) -> User:
    if user is None:
        raise LoginRequired("no console session")
    return user


PageUser = Annotated[User, Depends(page_user)]
MaybePageUser = Annotated[User | None, Depends(optional_page_user)]
