"""API login tokens: short-lived JWTs signed with the secret key."""

from __future__ import annotations

from datetime import timedelta

import jwt

from audio_library.timestamps import utc_now
from controller.errors import NotAuthenticated

_ALGORITHM = "HS256"


def issue_token(user_id: int, secret: str, ttl_s: int) -> str:
    now = utc_now()
    claims = {"sub": str(user_id), "iat": now, "exp": now + timedelta(seconds=ttl_s)}
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def user_id_from_token(token: str, secret: str) -> int:
    try:
        claims = jwt.decode(token, secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub"]})
        return int(claims["sub"])
    except (jwt.PyJWTError, ValueError) as exc:
        raise NotAuthenticated("invalid or expired token", message_vi="Phiên đăng nhập đã hết hạn.") from exc
