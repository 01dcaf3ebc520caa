"""Who may see and who may change a bulletin: a commune's, or a province's.

A commune's bulletin follows the commune scope (`controller.accounts.commune_scope`). A province's
bulletin is written, edited, reviewed and recorded by the province's own staff (users whose scope is
that province) and admins; anyone answering for one of its communes may read it and place it in that
commune's schedule, since it was approved for every commune of the province.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_
from sqlmodel import Session, col, select

from controller.accounts import Role, User, commune_scope
from controller.deps import require_commune
from controller.errors import OutOfScope
from devices.registry import Commune, Province
from schedules import Bulletin


def require_province(user: User, province: Province) -> None:
    """Only the province's own staff (and admins) act for a whole province."""
    if user.role != Role.ADMIN and (user.province_id is None or user.province_id != province.id):
        raise OutOfScope(
            f"user {user.username} does not answer for province {province.code}",
            message_vi=f"Bạn không phụ trách tỉnh “{province.name}”.",
        )


def readable_provinces(session: Session, user: User) -> set[int] | None:
    """The provinces whose bulletins the user may read (None: all): their own, and their communes'."""
    scope = commune_scope(session, user)
    if scope is None:
        return None
    provinces = {user.province_id} if user.province_id is not None else set()
    if scope:
        provinces |= set(session.exec(select(Commune.province_id).where(col(Commune.id).in_(scope))).all())
    return provinces


def bulletin_filter(session: Session, user: User, *, to_change: bool = False) -> ColumnElement[bool] | None:
    """A WHERE clause for the bulletins the user may read (or change); None: no restriction (admin)."""
    scope = commune_scope(session, user)
    if scope is None:
        return None
    if to_change:
        provinces = {user.province_id} if user.province_id is not None else set()
    else:
        provinces = readable_provinces(session, user) or set()
    clauses = [col(Bulletin.commune_id).in_(scope)] if scope else []
    if provinces:
        clauses.append(col(Bulletin.province_id).in_(provinces))
    return or_(*clauses) if clauses else false()


def require_bulletin(session: Session, user: User, bulletin: Bulletin, *, to_change: bool) -> None:
    """Raise OutOfScope unless the user may read (or, `to_change`, edit or review) the bulletin."""
    if bulletin.province_id is None:
        commune = session.get(Commune, bulletin.commune_id)
        assert commune is not None
        require_commune(session, user, commune)
        return
    province = session.get(Province, bulletin.province_id)
    assert province is not None
    if to_change:
        require_province(user, province)
        return
    readable = readable_provinces(session, user)
    if readable is not None and province.id not in readable:
        raise OutOfScope(f"user {user.username} has no access to province {province.code}'s bulletins")


def may_change_bulletin(session: Session, user: User, bulletin: Bulletin) -> bool:
    """Whether `require_bulletin(..., to_change=True)` would let the user edit or review it."""
    try:
        require_bulletin(session, user, bulletin, to_change=True)
    except OutOfScope:
        return False
    return True


def owner_label(session: Session, bulletin: Bulletin) -> str:
    """Where the bulletin belongs, as people read it: "xã …" or "tỉnh …" (all its communes)."""
    if bulletin.province_id is not None:
        province = session.get(Province, bulletin.province_id)
        return f"Toàn tỉnh {province.name}" if province else "Toàn tỉnh"
    commune = session.get(Commune, bulletin.commune_id)
    return commune.name if commune else ""
