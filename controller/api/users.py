"""Managing users: admins create, list, deactivate, delete and reset others; everyone changes their own
password and can end their own sessions."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlmodel import Session, col, select

from controller import audit
from controller.access.account_care import (
    PasswordChange,
    PasswordReset,
    WrongCurrentPassword,
    change_own_password,
    delete_user,
    end_sessions,
    get_user,
    reset_password,
    set_active,
)
from controller.access.throttle import LoginThrottle
from controller.accounts import Role, User, UserCreate, UserPublic, create_user
from controller.deps import CurrentUser, SessionDep, client_address, require_role
from controller.errors import NotFound, error_responses
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


@router.post("/users", status_code=201, responses=error_responses(401, 403, 404, 409, 422))
def add_user(data: UserCreate, session: SessionDep, user: CurrentUser) -> UserPublic:
    require_role(user, Role.ADMIN)
    created = create_user_from(session, data)
    audit.record(session, user, "user.create", f"user:{created.username}", f"role {created.role}")
    session.commit()
    return UserPublic.model_validate(created)


@router.get("/users", responses=error_responses(401, 403))
def list_users(session: SessionDep, user: CurrentUser) -> list[UserPublic]:
    require_role(user, Role.ADMIN)
    return [UserPublic.model_validate(u) for u in session.exec(select(User).order_by(col(User.username)))]


# One's own account (declared before /users/{username}/...: "me" is not a username here).


@router.put("/users/me/password", status_code=204, responses=error_responses(401, 403, 422, 429))
def change_my_password(data: PasswordChange, request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """Change one's own password (the current one is required). Every session and token of the user ends,
    this one included: log in again with the new password. Wrong current passwords count towards the
    login throttle, so a borrowed token cannot be used to guess the password."""
    throttle: LoginThrottle = request.app.state.login_throttle
    address = client_address(request)
    throttle.check(session, user.username, address)
    try:
        change_own_password(session, user, data)
    except WrongCurrentPassword:
        session.rollback()
        throttle.failed(session, user.username, address)
        session.commit()
        raise
    session.commit()
    return Response(status_code=204)


@router.delete("/users/me/sessions", status_code=204, responses=error_responses(401))
def end_my_sessions(session: SessionDep, user: CurrentUser) -> Response:
    """Log out everywhere: every token and console session of the caller ends, this one included."""
    end_sessions(session, user, user)
    session.commit()
    return Response(status_code=204)


# Other users (admins only).


@router.put("/users/{username}/password", status_code=204, responses=error_responses(401, 403, 404, 409, 422))
def reset_user_password(username: str, data: PasswordReset, session: SessionDep, user: CurrentUser) -> Response:
    """Set another user's password; their sessions and tokens end. Not for one's own (409: use /users/me)."""
    require_role(user, Role.ADMIN)
    reset_password(session, user, get_user(session, username), data)
    session.commit()
    return Response(status_code=204)


@router.post("/users/{username}/deactivate", responses=error_responses(401, 403, 404, 409))
def deactivate_user(username: str, session: SessionDep, user: CurrentUser) -> UserPublic:
    """Refuse the user's logins and end their sessions now. Not oneself, not the last active admin (409)."""
    require_role(user, Role.ADMIN)
    target = get_user(session, username)
    set_active(session, user, target, False)
    session.commit()
    return UserPublic.model_validate(target)


@router.post("/users/{username}/activate", responses=error_responses(401, 403, 404))
def activate_user(username: str, session: SessionDep, user: CurrentUser) -> UserPublic:
    require_role(user, Role.ADMIN)
    target = get_user(session, username)
    set_active(session, user, target, True)
    session.commit()
    return UserPublic.model_validate(target)


@router.delete("/users/{username}/sessions", status_code=204, responses=error_responses(401, 403, 404))
def end_user_sessions(username: str, session: SessionDep, user: CurrentUser) -> Response:
    """Log a user out everywhere (a lost phone, a shared computer)."""
    require_role(user, Role.ADMIN)
    end_sessions(session, user, get_user(session, username))
    session.commit()
    return Response(status_code=204)


@router.delete("/users/{username}", status_code=204, responses=error_responses(401, 403, 404, 409))
def remove_user(username: str, session: SessionDep, user: CurrentUser) -> Response:
    """Delete an account created by mistake. One that wrote, approved or scheduled anything is kept for
    accountability (409 `user_has_records`: deactivate it instead)."""
    require_role(user, Role.ADMIN)
    delete_user(session, user, get_user(session, username))
    session.commit()
    return Response(status_code=204)
