"""The audit log: who changed what airs, and when. Written by the API and the console alike."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, Session, SQLModel

from audio_library.timestamps import UtcDateTime, utc_now
from controller.accounts import User


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime, index=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    # Kept as written, so the log still reads right if the user is renamed or removed.
    username: str = Field(default="", max_length=64)
    action: str = Field(max_length=64, index=True)
    target: str = Field(default="", max_length=200)
    detail: str = Field(default="", sa_type=Text)


def record(session: Session, user: User | None, action: str, target: str, detail: str = "") -> AuditEntry:
    """Add an entry to the caller's transaction: it is stored exactly when the change it describes is."""
    entry = AuditEntry(
        user_id=user.id if user is not None else None,
        username=user.username if user is not None else "",
        action=action,
        target=target[:200],
        detail=detail[:4000],
    )
    session.add(entry)
    return entry
