"""Admin pages for one user (/quan-tri/nguoi-dung/{username}): reset the password, lock or unlock the
account, log it out everywhere, delete it. The rules are `controller.access.account_care`'s, as in the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, col, select

from audio_library.errors import LoaxaError
from controller.access.account_care import (
    PasswordReset,
    delete_user,
    end_sessions,
    get_user,
    reset_password,
    set_active,
)
from controller.access.login_sessions import live_logins
from controller.accounts import Role, User
from controller.audit import AuditEntry
from controller.deps import SessionDep, require_role
from controller.web.forms import messages_vi
from controller.web.notices import notices
from controller.web.session import PageUser
from controller.web.templating import render

router = APIRouter(prefix="/quan-tri/nguoi-dung/{username}")

RECENT_ACTIONS = 20


def _page(
    request: Request, session: Session, admin: User, target: User, errors: list[str] | None = None
) -> HTMLResponse:
    assert target.id is not None
    actions = session.exec(
        select(AuditEntry)
        .where((col(AuditEntry.user_id) == target.id) | (col(AuditEntry.target) == f"user:{target.username}"))
        .order_by(col(AuditEntry.id).desc())
        .limit(RECENT_ACTIONS)
    ).all()
    context = {
        "person": target,
        "sessions": live_logins(session, target.id),
        "is_self": admin.id == target.id,
        "actions": actions,
        "errors": errors or [],
        "flashes": notices(request),
    }
    return render(request, "admin_user.html", context, user=admin, status_code=422 if errors else 200)


def _target(session: Session, admin: User, username: str) -> User:
    require_role(admin, Role.ADMIN)
    return get_user(session, username)


@router.get("")
def user_page(username: str, request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    return _page(request, session, user, _target(session, user, username))


def _done(username: str, notice: str) -> RedirectResponse:
    return RedirectResponse(f"/quan-tri/nguoi-dung/{username}?tb={notice}", status_code=303)


@router.post("/mat-khau")
def reset_password_page(
    username: str,
    request: Request,
    session: SessionDep,
    user: PageUser,
    new_password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    target = _target(session, user, username)
    try:
        reset_password(session, user, target, PasswordReset(new_password=new_password))
        session.commit()
    except ValidationError as exc:
        return _page(request, session, user, target, messages_vi(exc))
    except LoaxaError as exc:
        session.rollback()
        return _page(request, session, user, target, [exc.message_vi])
    return _done(target.username, "da-dat-lai-mat-khau")


def _act(request: Request, session: Session, admin: User, username: str, action: str) -> Response:
    target = _target(session, admin, username)
    notice = {"khoa": "da-khoa", "mo-khoa": "da-mo-khoa", "dang-xuat": "da-dang-xuat-nguoi-dung"}[action]
    try:
        if action == "dang-xuat":
            end_sessions(session, admin, target)
        else:
            set_active(session, admin, target, action == "mo-khoa")
        session.commit()
    except LoaxaError as exc:
        session.rollback()
        return _page(request, session, admin, target, [exc.message_vi])
    return _done(target.username, notice)


@router.post("/khoa")
def deactivate_page(username: str, request: Request, session: SessionDep, user: PageUser) -> Response:
    return _act(request, session, user, username, "khoa")


@router.post("/mo-khoa")
def activate_page(username: str, request: Request, session: SessionDep, user: PageUser) -> Response:
    return _act(request, session, user, username, "mo-khoa")


@router.post("/dang-xuat")
def end_sessions_page(username: str, request: Request, session: SessionDep, user: PageUser) -> Response:
    return _act(request, session, user, username, "dang-xuat")


@router.post("/xoa")
def delete_page(
    username: str,
    request: Request,
    session: SessionDep,
    user: PageUser,
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    target = _target(session, user, username)
    if confirm != "co":
        return _page(request, session, user, target, ["Hãy đánh dấu ô xác nhận trước khi xoá."])
    try:
        delete_user(session, user, target)
        session.commit()
    except LoaxaError as exc:
        session.rollback()
        return _page(request, session, user, target, [exc.message_vi])
    return RedirectResponse("/quan-tri/nguoi-dung?tb=da-xoa-nguoi-dung", status_code=303)
