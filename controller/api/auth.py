"""Logging in to the API."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from controller.accounts import UserPublic, authenticate
from controller.deps import CurrentUser, ServicesDep, SessionDep
from controller.errors import NotAuthenticated
from controller.tokens import issue_token

router = APIRouter(tags=["auth"])


class Login(BaseModel):
    username: str
    password: str


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


@router.post("/auth/token")
def login(data: Login, session: SessionDep, services: ServicesDep) -> Token:
    user = authenticate(session, data.username, data.password)
    if user is None or user.id is None:
        raise NotAuthenticated("wrong username or password", message_vi="Sai tên đăng nhập hoặc mật khẩu.")
    ttl = services.settings.web.token_ttl_s
    return Token(
        access_token=issue_token(user.id, services.settings.secret_key.get_secret_value(), ttl),
        expires_in=ttl,
    )


@router.get("/users/me")
def me(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user)
