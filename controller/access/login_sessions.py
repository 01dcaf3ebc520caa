"""Server-side login sessions: every API token and console cookie names one row, so it can be ended.

A login creates a `LoginSession` and signs its random id into the JWT (`controller.access.tokens`). Each request
looks the row up by primary key, joined to its user, in one query: a token whose row is gone (logout,
password change, deactivation, "end all sessions"), expired, or whose user is inactive is refused at once,
not when the JWT expires. Expired rows are purged whenever a new login is written.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Field, Session, SQLModel, col, select

from audio_library.timestamps import UtcDateTime, utc_now
from controller.access.tokens import Audience
from controller.accounts import User


class LoginSession(SQLModel, table=True):
    __tablename__ = "login_session"

    # 256 random bits; the JWT signature already stops forgery, this keeps ids unguessable in logs too.
    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    # "api" (bearer token) or "web" (console cookie): a session of one kind never opens the other.
    kind: str = Field(max_length=8)
    address: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime, index=True)


def start_login(session: Session, user: User, kind: Audience, ttl_s: int, address: str) -> LoginSession:
    """A new session in the caller's transaction (commit it before handing out the token)."""
    assert user.id is not None
    now = utc_now()
    session.execute(delete(LoginSession).where(col(LoginSession.expires_at) <= now))
    login = LoginSession(
        id=secrets.token_urlsafe(32),
        user_id=user.id,
        kind=kind,
        address=address[:64],
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_s),
    )
    session.add(login)
    return login


def user_of_login(session: Session, login_id: str, kind: Audience) -> User | None:
    """The active user of a live session of this kind, or None: one primary-key lookup with its user."""
    row = session.exec(
        select(User)
        .join(LoginSession, col(LoginSession.user_id) == col(User.id))
        .where(
            LoginSession.id == login_id,
            LoginSession.kind == kind,
            col(LoginSession.expires_at) > utc_now(),
            col(User.active).is_(True),
        )
    ).first()
    return row


def end_login(session: Session, login_id: str) -> None:
    session.execute(delete(LoginSession).where(col(LoginSession.id) == login_id))


def end_all_logins(session: Session, user_id: int, *, keep: str | None = None) -> int:
    """End every session and token of a user (but `keep`, if given); the number ended."""
    query = delete(LoginSession).where(col(LoginSession.user_id) == user_id)
    if keep is not None:
        query = query.where(col(LoginSession.id) != keep)
    result = session.execute(query)
    return int(getattr(result, "rowcount", 0) or 0)


def live_logins(session: Session, user_id: int) -> int:
    """How many sessions and tokens of the user are live now."""
    return int(
        session.exec(
            select(func.count())
            .select_from(LoginSession)
            .where(LoginSession.user_id == user_id, col(LoginSession.expires_at) > utc_now())
        ).one()
    )
