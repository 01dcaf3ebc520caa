"""Login tokens: short-lived JWTs signed with the secret key, each naming its server-side login session.

API tokens (bearer) and web console sessions (a cookie) are both JWTs, told apart by their audience, so
a stolen cookie is no bearer token and an API token is no cookie. The `sid` claim is the id of the
`login_session` row (`controller.access.login_sessions`); the token is good only while that row lives, so it
can be revoked before it expires.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal, NamedTuple

import jwt

from audio_library.timestamps import utc_now
from controller.errors import NotAuthenticated

_ALGORITHM = "HS256"

Audience = Literal["api", "web"]


class TokenClaims(NamedTuple):
    user_id: int
    login_id: str


def issue_token(user_id: int, login_id: str, secret: str, ttl_s: int, *, audience: Audience = "api") -> str:
    now = utc_now()
    claims: dict[str, object] = {
        "sub": str(user_id),
        "sid": login_id,
        "iat": now,
        "exp": now + timedelta(seconds=ttl_s),
    }
    if audience != "api":
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def read_token(token: str, secret: str, *, audience: Audience = "api") -> TokenClaims:
    """The user and login session a token names; NotAuthenticated if it is forged, expired or of the other kind.

    Tokens from before login sessions existed have no `sid` and are refused: their holders log in again.
    """
    required = ["exp", "sub", "sid"] if audience == "api" else ["exp", "sub", "sid", "aud"]
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            audience=None if audience == "api" else audience,
            options={"require": required},
        )
        return TokenClaims(int(claims["sub"]), str(claims["sid"]))
    except (jwt.PyJWTError, ValueError) as exc:
        raise NotAuthenticated("invalid or expired token", message_vi="Phiên đăng nhập đã hết hạn.") from exc
