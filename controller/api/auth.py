"""Logging in to and out of the API."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from controller.access.login_sessions import end_login, start_login
from controller.access.throttle import LoginThrottle
from controller.access.tokens import issue_token
from controller.accounts import UserPublic, authenticate
from controller.deps import CurrentUser, ServicesDep, SessionDep, client_address
from controller.errors import NotAuthenticated, error_responses

router = APIRouter(tags=["auth"])


class Login(BaseModel):
    username: str = Field(max_length=200)
    password: str = Field(max_length=200)


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


@router.post("/auth/token", responses=error_responses(401, 422, 429))
def login(data: Login, request: Request, session: SessionDep, services: ServicesDep) -> Token:
    """A bearer token for `ttl` seconds. After too many wrong passwords (per username and address, and per
    address), 429 with Retry-After, whatever the password."""
    throttle: LoginThrottle = request.app.state.login_throttle
    address = client_address(request)
    throttle.check(session, data.username, address)
    user = authenticate(session, data.username, data.password)
    if user is None or user.id is None:
        throttle.failed(session, data.username, address)
        session.commit()
        raise NotAuthenticated("wrong username or password", message_vi="Sai tên đăng nhập hoặc mật khẩu.")
    throttle.succeeded(session, data.username, address)
    ttl = services.settings.web.token_ttl_s
    login = start_login(session, user, "api", ttl, address)
    session.commit()
    return Token(
        access_token=issue_token(user.id, login.id, services.settings.secret_key.get_secret_value(), ttl),
        expires_in=ttl,
    )


@router.post("/auth/logout", status_code=204, responses=error_responses(401))
def logout(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """End the calling token now (other tokens and console sessions of the user stay)."""
    end_login(session, request.state.login_id)
    session.commit()
    return Response(status_code=204)


@router.get("/users/me", responses=error_responses(401))
def me(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user)
