"""One's own account ("Tài khoản"), for every logged-in user: change the password, log out elsewhere."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from controller.access.account_care import PasswordChange, WrongCurrentPassword, change_own_password, end_sessions
from controller.access.login_sessions import live_logins
from controller.access.throttle import LoginThrottle, TooManyLoginAttempts
from controller.accounts import User
from controller.deps import ServicesDep, SessionDep, client_address
from controller.web.forms import messages_vi
from controller.web.notices import notices
from controller.web.session import PageUser, start_session
from controller.web.templating import render

router = APIRouter(prefix="/tai-khoan")


def _page(
    request: Request, session: Session, user: User, errors: list[str] | None = None, status: int = 200
) -> HTMLResponse:
    assert user.id is not None
    context = {
        "sessions": live_logins(session, user.id),
        "errors": errors or [],
        "flashes": notices(request),
    }
    return render(request, "account.html", context, user=user, status_code=status)


@router.get("")
def account_page(request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    return _page(request, session, user)


@router.post("/mat-khau")
def change_password_page(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    user: PageUser,
    current_password: Annotated[str, Form(max_length=200)] = "",
    new_password: Annotated[str, Form(max_length=200)] = "",
    new_password_again: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Change one's own password. Every other session ends; this browser gets a fresh one."""
    throttle: LoginThrottle = request.app.state.login_throttle
    address = client_address(request)
    try:
        throttle.check(session, user.username, address)
        data = PasswordChange(current_password=current_password, new_password=new_password)
        if new_password != new_password_again:
            return _page(request, session, user, ["Hai lần nhập mật khẩu mới không giống nhau."], 422)
        change_own_password(session, user, data)
    except TooManyLoginAttempts as exc:
        response = _page(request, session, user, [exc.message_vi], 429)
        response.headers.update(exc.headers)
        return response
    except ValidationError as exc:
        return _page(request, session, user, messages_vi(exc), 422)
    except WrongCurrentPassword as exc:
        session.rollback()
        throttle.failed(session, user.username, address)
        session.commit()
        return _page(request, session, user, [exc.message_vi], 403)
    redirect = RedirectResponse("/tai-khoan?tb=da-doi-mat-khau", status_code=303)
    start_session(redirect, session, services.settings, user, address)  # commits the change too
    return redirect


@router.post("/dang-xuat-noi-khac")
def logout_elsewhere(request: Request, session: SessionDep, user: PageUser) -> RedirectResponse:
    """End every other session and API token of the user; this browser stays logged in."""
    end_sessions(session, user, user, keep=getattr(request.state, "login_id", None))
    session.commit()
    return RedirectResponse("/tai-khoan?tb=da-dang-xuat-noi-khac", status_code=303)
