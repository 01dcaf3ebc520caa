"""People who use loaxa: their role, the communes or province they answer for, and their password."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import StringConstraints
from sqlalchemy import String
from sqlmodel import Field, Session, SQLModel, select

from audio_library.timestamps import UtcDateTime, utc_now
from controller.errors import Conflict
from devices.registry import Commune


class Role(StrEnum):
    ADMIN = "admin"
    MONITOR = "monitor"  # provincial staff watching health and compliance
    OFFICER = "officer"  # commune culture officer: writes and schedules
    APPROVER = "approver"


class UserBase(SQLModel):
    username: str = Field(unique=True, index=True, max_length=64)
    full_name: str = Field(default="", max_length=200)
    role: Role = Field(sa_type=String(16))


class User(UserBase, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    password_hash: str = Field(max_length=200)
    # Province-wide scope when set; otherwise the communes in UserCommune.
    province_id: int | None = Field(default=None, foreign_key="province.id")
    active: bool = True
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class UserCommune(SQLModel, table=True):
    __tablename__ = "user_commune"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    commune_id: int = Field(foreign_key="commune.id", primary_key=True)


class UserCreate(UserBase):
    username: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_.-]{3,64}$")]
    password: str = Field(min_length=8, max_length=200)
    province_code: str | None = None
    commune_codes: list[str] = Field(default_factory=list)


class UserPublic(UserBase):
    id: int
    province_id: int | None
    active: bool


_hasher = PasswordHasher()


def use_password_policy(time_cost: int, memory_kib: int) -> None:
    """Set the argon2 cost of new password hashes (from `web` settings, once at start-up).

    Existing hashes keep verifying: each carries its own parameters.
    """
    global _hasher
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(
    session: Session,
    data: UserCreate,
    *,
    province_id: int | None,
    communes: list[Commune],
) -> User:
    if session.exec(select(User).where(User.username == data.username)).first() is not None:
        raise Conflict(f"user {data.username} exists", message_vi="Tên đăng nhập đã được dùng.")
    user = User(
        username=data.username,
        full_name=data.full_name,
        role=data.role,
        password_hash=hash_password(data.password),
        province_id=province_id,
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    for commune in communes:
        assert commune.id is not None
        session.add(UserCommune(user_id=user.id, commune_id=commune.id))
    session.flush()
    return user


def commune_scope(session: Session, user: User) -> set[int] | None:
    """The commune ids a user answers for; None means every commune (admin)."""
    if user.role == Role.ADMIN:
        return None
    ids = {row.commune_id for row in session.exec(select(UserCommune).where(UserCommune.user_id == user.id))}
    if user.province_id is not None:
        ids |= {
            c.id
            for c in session.exec(select(Commune).where(Commune.province_id == user.province_id))
            if c.id is not None
        }
    return ids


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        _hasher.hash(password)  # spend the same time as a real check: do not reveal which usernames exist
        return None
    if not user.active or not verify_password(password, user.password_hash):
        return None
    return user
