"""What happens to an account after it is created: password changes, deactivation, deletion, and ending
its login sessions. Shared by the API, the console and the CLI, so each applies the same guards and audit.

Every change that takes access away (a new password, deactivation, deletion, "end all sessions") ends
the user's login sessions in the same transaction: their API tokens and console cookies stop working
with the commit, not when they expire.

Deletion is for accounts created by mistake. An account that wrote, approved, scheduled or issued
anything (any row but its scope links, its sessions and the audit log referring to it) is kept, and
the caller is told to deactivate it instead: who wrote and who approved a legal bulletin must stay
answerable. Audit entries of a deleted user keep the username they were written with (their user id
is cleared), so the log still reads right.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy import Table, func, update
from sqlmodel import Session, SQLModel, col, select

import controller.models  # noqa: F401  (every table, so that references to app_user are all known)
from controller import audit
from controller.access.login_sessions import LoginSession, end_all_logins
from controller.accounts import Role, User, UserCommune, hash_password, verify_password
from controller.audit import AuditEntry
from controller.errors import Conflict, ControllerError, Forbidden, NotFound

CLI = "by the loaxa command line"


class PasswordChange(BaseModel):
    """Changing one's own password: the current one proves it is the owner, not a borrowed session."""

    current_password: str = Field(max_length=200)
    new_password: str = Field(min_length=8, max_length=200)


class PasswordReset(BaseModel):
    """An admin setting another user's password (the user then changes it)."""

    new_password: str = Field(min_length=8, max_length=200)


class WrongCurrentPassword(ControllerError):
    code = "wrong_current_password"
    http_status = 403
    message_vi = "Mật khẩu hiện tại không đúng."


class OwnAccount(Conflict):
    code = "own_account"
    message_vi = (
        "Bạn không thể tự khoá, xoá hay đặt lại mật khẩu tài khoản của chính mình ở đây; "
        "hãy đổi mật khẩu ở trang Tài khoản, hoặc nhờ một quản trị viên khác."
    )


class LastAdmin(Conflict):
    code = "last_admin"
    message_vi = "Không thể khoá hoặc xoá quản trị viên cuối cùng còn hoạt động."


class UserHasRecords(Conflict):
    code = "user_has_records"
    message_vi = (
        "Không thể xoá người dùng đã soạn, duyệt hoặc lên lịch nội dung phát (cần giữ trách nhiệm giải trình). "
        "Hãy khoá tài khoản này thay vì xoá."
    )


def get_user(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"no user {username[:80]!r}", message_vi="Không tìm thấy người dùng.")
    return user


def _not_self(actor: User | None, target: User) -> None:
    if actor is not None and actor.id == target.id:
        raise OwnAccount(f"{target.username} acting on their own account")


def _not_last_admin(session: Session, target: User) -> None:
    if target.role != Role.ADMIN or not target.active:
        return
    others = session.exec(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN, col(User.active).is_(True), User.id != target.id)
    ).one()
    if not others:
        raise LastAdmin(f"{target.username} is the last active admin")


def _actor_detail(actor: User | None, detail: str = "") -> str:
    return detail if actor is not None else f"{detail} {CLI}".strip()


def change_own_password(session: Session, user: User, data: PasswordChange, *, keep_login: str | None = None) -> int:
    """Check the current password, set the new one, end the user's other sessions (`keep_login` stays:
    the console gives its own browser a fresh session instead). Raises WrongCurrentPassword."""
    assert user.id is not None
    if not verify_password(data.current_password, user.password_hash):
        raise WrongCurrentPassword(f"{user.username}: wrong current password")
    user.password_hash = hash_password(data.new_password)
    session.add(user)
    ended = end_all_logins(session, user.id, keep=keep_login)
    audit.record(session, user, "user.password_change", f"user:{user.username}", f"{ended} session(s) ended")
    return ended


def reset_password(session: Session, actor: User | None, target: User, data: PasswordReset) -> int:
    """An admin (or the CLI) sets another user's password; every session of that user ends."""
    assert target.id is not None
    _not_self(actor, target)
    target.password_hash = hash_password(data.new_password)
    session.add(target)
    ended = end_all_logins(session, target.id)
    audit.record(
        session, actor, "user.password_reset", f"user:{target.username}", _actor_detail(actor, f"{ended} session(s)")
    )
    return ended


def end_sessions(session: Session, actor: User | None, target: User, *, keep: str | None = None) -> int:
    """Log a user out everywhere (but the session `keep`): every API token and console session ends now."""
    assert target.id is not None
    ended = end_all_logins(session, target.id, keep=keep)
    audit.record(session, actor, "user.logout_all", f"user:{target.username}", _actor_detail(actor, f"{ended} ended"))
    return ended


def set_active(session: Session, actor: User | None, target: User, active: bool) -> None:
    """Deactivate (sessions end, login refused) or reactivate an account."""
    assert target.id is not None
    if not active:
        _not_self(actor, target)
        _not_last_admin(session, target)
        ended = end_all_logins(session, target.id)
        detail = f"{ended} session(s) ended"
    else:
        detail = ""
    if target.active != active:
        target.active = active
        session.add(target)
    action = "user.activate" if active else "user.deactivate"
    audit.record(session, actor, action, f"user:{target.username}", _actor_detail(actor, detail))


def _references(session: Session, target: User) -> list[str]:
    """Tables other than scope links, sessions and the audit log with a row referring to the user."""
    handled = {UserCommune.__tablename__, LoginSession.__tablename__, AuditEntry.__tablename__}
    found: list[str] = []
    user_table = SQLModel.metadata.tables[str(User.__tablename__)]
    for table in SQLModel.metadata.sorted_tables:
        if table.name in handled or not isinstance(table, Table):
            continue
        for fk in table.foreign_keys:
            if fk.references(user_table) and fk.parent is not None:
                count = session.execute(select(func.count()).select_from(table).where(fk.parent == target.id)).scalar()
                if count:
                    found.append(table.name)
                    break
    return found


def delete_user(session: Session, actor: User | None, target: User) -> None:
    """Delete an account that never did anything on record; UserHasRecords otherwise (deactivate it)."""
    assert target.id is not None
    _not_self(actor, target)
    _not_last_admin(session, target)
    referenced = _references(session, target)
    if referenced:
        raise UserHasRecords(f"{target.username} is referenced by {', '.join(referenced)}")
    end_all_logins(session, target.id)
    for link in session.exec(select(UserCommune).where(UserCommune.user_id == target.id)):
        session.delete(link)
    session.flush()
    session.execute(update(AuditEntry).where(col(AuditEntry.user_id) == target.id).values(user_id=None))
    audit.record(session, actor, "user.delete", f"user:{target.username}", _actor_detail(actor, f"role {target.role}"))
    session.delete(target)


def require_admin_over(actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise Forbidden(f"role {actor.role} may not manage other users")
