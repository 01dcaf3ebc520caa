"""Who may see and who may change a bulletin: a commune's, or a province's.

A commune's bulletin follows the commune scope (`controller.accounts.commune_scope`). A province's
bulletin is written, edited, reviewed and recorded by the province's own staff (users whose scope is
that province) and admins; once approved, anyone answering for one of its communes may read it and
place it in that commune's schedule, since it was approved for every commune of the province. Its
drafts, pending versions and rejections stay with the province's staff.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_
from sqlmodel import Session, col, select

from controller.accounts import Role, User, commune_scope
from controller.deps import require_commune
from controller.errors import Forbidden, OutOfScope
from devices.registry import Commune, Province, get_commune, get_province
from schedules import Bulletin, BulletinStatus, airs_in


def require_province(user: User, province: Province) -> None:
    """Only the province's own staff (and admins) act for a whole province."""
    if user.role != Role.ADMIN and (user.province_id is None or user.province_id != province.id):
        raise OutOfScope(
            f"user {user.username} does not answer for province {province.code}",
            message_vi=f"Bạn không phụ trách {province.name} (toàn tỉnh).",
        )


def owner_for(
    session: Session, user: User, province_code: str | None, commune_code: str | None
) -> tuple[dict[str, int | None], str]:
    """The owner of something a user makes for a province (its own staff) or a commune (in their scope):
    the `commune_id`/`province_id` columns to store, and a phrase for the audit log."""
    if province_code:
        province = get_province(session, province_code)
        require_province(user, province)
        return {"commune_id": None, "province_id": province.id}, f"province {province.code}"
    commune = get_commune(session, commune_code or "")
    require_commune(session, user, commune)
    return {"commune_id": commune.id, "province_id": None}, f"commune {commune.code}"


def communes_provinces(session: Session, user: User) -> set[int] | None:
    """The provinces of the communes the user answers for (None: all), whose approved bulletins they read."""
    scope = commune_scope(session, user)
    if scope is None:
        return None
    if not scope:
        return set()
    return set(session.exec(select(Commune.province_id).where(col(Commune.id).in_(scope))).all())


def bulletin_filter(session: Session, user: User, *, to_change: bool = False) -> ColumnElement[bool] | None:
    """A WHERE clause for the bulletins the user may read (or change); None: no restriction (admin)."""
    scope = commune_scope(session, user)
    if scope is None:
        return None
    clauses: list[ColumnElement[bool]] = [col(Bulletin.commune_id).in_(scope)] if scope else []
    if user.province_id is not None:
        clauses.append(col(Bulletin.province_id) == user.province_id)
    if not to_change:
        approved_from = (communes_provinces(session, user) or set()) - {user.province_id}
        if approved_from:
            clauses.append(
                and_(col(Bulletin.province_id).in_(approved_from), col(Bulletin.status) == BulletinStatus.APPROVED)
            )
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
    if to_change or bulletin.status != BulletinStatus.APPROVED:
        require_province(user, province)
        return
    if user.province_id == province.id:
        return
    readable = communes_provinces(session, user)
    if readable is not None and province.id not in readable:
        raise OutOfScope(f"user {user.username} has no access to province {province.code}'s bulletins")


def may_change_bulletin(session: Session, user: User, bulletin: Bulletin) -> bool:
    """Whether `require_bulletin(..., to_change=True)` would let the user edit or review it."""
    try:
        require_bulletin(session, user, bulletin, to_change=True)
    except OutOfScope:
        return False
    return True


def check_airs_in(bulletin: Bulletin, commune: Commune) -> None:
    """Refuse a bulletin approved for another commune, or for another province's communes."""
    assert commune.id is not None
    if airs_in(bulletin, commune.id, commune.province_id):
        return
    # The approver approved it for their own commune or province; airing it elsewhere needs its own approval.
    elsewhere = "tỉnh khác" if bulletin.province_id is not None else "xã khác"
    raise Forbidden(
        f"bulletin {bulletin.id} was not approved for commune {commune.code}",
        message_vi=f"Bản tin được duyệt cho {elsewhere}, không được phát ở {commune.name}.",
    )


def owner_label(session: Session, bulletin: Bulletin) -> str:
    """Where the bulletin belongs, as people read it: "xã …" or "tỉnh …" (all its communes)."""
    if bulletin.province_id is not None:
        province = session.get(Province, bulletin.province_id)
        return f"{province.name} (toàn tỉnh)" if province else "Toàn tỉnh"
    commune = session.get(Commune, bulletin.commune_id)
    return commune.name if commune else ""
