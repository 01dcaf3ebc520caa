"""Login tokens: short-lived JWTs signed with the secret key.

API tokens (bearer) and web console sessions (a cookie) are both JWTs, told apart by their audience, so
a stolen cookie is no bearer token and an API token is no cookie.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import jwt

from audio_library.timestamps import utc_now
from controller.errors import NotAuthenticated

_ALGORITHM = "HS256"

Audience = Literal["api", "web"]


def issue_token(user_id: int, secret: str, ttl_s: int, *, audience: Audience = "api") -> str:
    now = utc_now()
    claims: dict[str, object] = {"sub": str(user_id), "iat": now, "exp": now + timedelta(seconds=ttl_s)}
    if audience != "api":
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def user_id_from_token(token: str, secret: str, *, audience: Audience = "api") -> int:
    required = ["exp", "sub"] if audience == "api" else ["exp", "sub", "aud"]
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            audience=None if audience == "api" else audience,
            options={"require": required},
        )
        return int(claims["sub"])
    except (jwt.PyJWTError, ValueError) as exc:
        raise NotAuthenticated("invalid or expired token", message_vi="Phiên đăng nhập đã hết hạn.") from exc
