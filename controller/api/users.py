"""Managing users (admins only)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import Session, select

from controller import audit
from controller.accounts import Role, User, UserCreate, UserPublic, create_user
from controller.deps import CurrentUser, SessionDep, require_role
from controller.errors import NotFound
from devices.registry import Commune, Province, get_commune

router = APIRouter(tags=["users"])


def create_user_from(session: Session, data: UserCreate) -> User:
    """Resolve the scope codes and create the user (shared by the API and the CLI)."""
    province_id = None
    if data.province_code is not None:
        province = session.exec(select(Province).where(Province.code == data.province_code)).first()
        if province is None:
            raise NotFound(f"no province {data.province_code[:80]!r}", message_vi="Không tìm thấy tỉnh.")
        province_id = province.id
    communes: list[Commune] = [get_commune(session, code) for code in data.commune_codes]
    return create_user(session, data, province_id=province_id, communes=communes)


@router.post("/users", status_code=201)
def add_user(data: UserCreate, session: SessionDep, user: CurrentUser) -> UserPublic:
    require_role(user, Role.ADMIN)
    created = create_user_from(session, data)
    audit.record(session, user, "user.create", f"user:{created.username}", f"role {created.role}")
    session.commit()
    return UserPublic.model_validate(created)
