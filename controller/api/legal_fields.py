"""The controlled list of fields of law (lĩnh vực pháp luật) bulletins are reported under; admins edit it."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import func
from sqlmodel import Session, col, select

from controller import audit
from controller.accounts import Role, User
from controller.deps import CurrentUser, SessionDep, require_role
from controller.errors import Conflict
from schedules import (
    LegalField,
    LegalFieldCreate,
    LegalFieldPublic,
    LegalFieldUpdate,
    get_legal_field,
    legal_fields,
)

router = APIRouter(tags=["legal-fields"])


@router.get("/legal-fields")
def list_legal_fields(session: SessionDep, user: CurrentUser, active: bool | None = None) -> list[LegalFieldPublic]:
    """Every field in report order; `active=true`: only those a bulletin may be given now."""
    fields = legal_fields(session, active_only=bool(active))
    return [LegalFieldPublic.model_validate(f) for f in fields]


def _name_taken(session: Session, name: str, code: str | None = None) -> None:
    same = session.exec(select(LegalField).where(func.lower(LegalField.name) == name.strip().lower())).first()
    if same is not None and same.code != code:
        raise Conflict(f"name {name!r} is used by {same.code}", message_vi=f"Đã có lĩnh vực tên “{same.name}”.")


def add_legal_field(session: Session, user: User | None, data: LegalFieldCreate) -> LegalField:
    """A new field (shared by the API and the CLI); the caller commits."""
    if session.get(LegalField, data.code) is not None:
        raise Conflict(f"legal field {data.code} exists", message_vi=f"Mã lĩnh vực “{data.code}” đã được dùng.")
    _name_taken(session, data.name)
    last = session.exec(select(func.max(col(LegalField.position)))).one()
    position = data.position if data.position is not None else (last or 0) + 10
    field = LegalField(code=data.code, name=data.name.strip(), position=position, active=True)
    session.add(field)
    session.flush()
    audit.record(session, user, "legal_field.add", f"legal_field:{field.code}", field.name)
    return field


def change_legal_field(session: Session, user: User | None, code: str, data: LegalFieldUpdate) -> LegalField:
    """Rename, move or retire a field (its code never changes: filed reports keep grouping alike)."""
    field = get_legal_field(session, code)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "name" in changes:
        changes["name"] = str(changes["name"]).strip()
        _name_taken(session, changes["name"], field.code)
    for name, value in changes.items():
        setattr(field, name, value)
    session.flush()
    audit.record(
        session,
        user,
        "legal_field.change",
        f"legal_field:{field.code}",
        ", ".join(f"{k}={v}" for k, v in changes.items()),
    )
    return field


@router.post("/legal-fields", status_code=201)
def create_legal_field(data: LegalFieldCreate, session: SessionDep, user: CurrentUser) -> LegalFieldPublic:
    """Add a field (admins)."""
    require_role(user, Role.ADMIN)
    field = add_legal_field(session, user, data)
    session.commit()
    return LegalFieldPublic.model_validate(field)


@router.patch("/legal-fields/{code}")
def update_legal_field(code: str, data: LegalFieldUpdate, session: SessionDep, user: CurrentUser) -> LegalFieldPublic:
    """Rename, reorder or retire (`active: false`) a field (admins). Retired fields stay on the bulletins that
    have them; new bulletins cannot take them."""
    require_role(user, Role.ADMIN)
    field = change_legal_field(session, user, code, data)
    session.commit()
    return LegalFieldPublic.model_validate(field)
