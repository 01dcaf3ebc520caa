"""FastAPI dependencies, as `Annotated` aliases used by every route."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer
from sqlmodel import Session, select

from controller.access.login_sessions import user_of_login
from controller.access.tokens import read_token
from controller.accounts import Role, User, commune_scope
from controller.errors import DatabaseUnavailable, Forbidden, NotAuthenticated, OutOfScope
from controller.services import Services
from devices.registry import Commune, Device


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_session(services: ServicesDep) -> AsyncIterator[Session]:
    """A session for the duration of the endpoint function (not of the response it streams).

    Async on purpose: a sync generator would be closed on the worker-thread pool, which requests
    waiting for a pool connection can fill up completely: a deadlock under load.
    """
    try:
        await asyncio.wait_for(services.session_slots.acquire(), services.settings.database.session_wait_s)
    except TimeoutError as exc:
        raise DatabaseUnavailable(
            "no free database session", message_vi="Hệ thống đang bận, vui lòng thử lại."
        ) from exc
    try:
        with services.sessions() as session:
            yield session
    finally:
        services.session_slots.release()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_bearer = HTTPBearer(auto_error=False)
_basic = HTTPBasic(auto_error=False)


def get_current_user(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The user of a live API login session; its id is left in `request.state.login_id` (for logout)."""
    if credentials is None:
        raise NotAuthenticated("bearer token required")
    claims = read_token(credentials.credentials, services.settings.secret_key.get_secret_value())
    user = user_of_login(session, claims.login_id, "api")
    if user is None or user.id != claims.user_id:
        raise NotAuthenticated(
            "login session ended or user no longer active", message_vi="Phiên đăng nhập đã kết thúc."
        )
    request.state.login_id = claims.login_id
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def client_address(request: Request) -> str:
    """The client's address: the TCP peer, or what a trusted proxy forwarded (`web.trusted_proxies`)."""
    return request.client.host if request.client else "unknown"


def get_current_device(
    session: SessionDep,
    services: ServicesDep,
    credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
) -> Device:
    """A speaker node, authenticated with its own MQTT credentials over HTTP Basic."""
    if credentials is None:
        raise NotAuthenticated("device credentials required")
    device = session.exec(select(Device).where(Device.mqtt_username == credentials.username)).first()
    if (
        device is None
        or device.revoked_at is not None
        or not services.device_logins.verify(credentials.username, credentials.password, device.password_hash)
    ):
        raise NotAuthenticated("unknown device or wrong password")
    return device


CurrentDevice = Annotated[Device, Depends(get_current_device)]


def require_role(user: User, *roles: Role) -> None:
    if user.role not in roles:
        raise Forbidden(f"role {user.role} may not do this; needs one of {', '.join(roles)}")


def require_commune(session: Session, user: User, commune: Commune) -> None:
    scope = commune_scope(session, user)
    if scope is not None and commune.id not in scope:
        raise OutOfScope(f"user {user.username} has no access to commune {commune.code}")
