"""The commune's broadcast hours in the console: its slots (add, remove) and its quiet hours."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from audio_library.errors import LoaxaError
from audio_library.row_id import RowId
from controller.accounts import Role, User
from controller.broadcast_hours import add_slot, remove_slot, set_quiet_hours
from controller.deps import ServicesDep, SessionDep, require_commune
from controller.errors import Conflict
from controller.services import Services
from controller.web.forms import messages_vi
from controller.web.notices import notices
from controller.web.session import PageUser
from controller.web.templating import render
from controller.web.week import WEEKDAY_SHORT_VI
from devices.registry import Commune, get_commune
from schedules.commune_hours import (
    BroadcastSlot,
    QuietHoursPublic,
    SlotCreate,
    commune_quiet_hours,
    commune_slots,
)
from schedules.local_time import hhmm
from schedules.slot import WEEKDAY_NAMES_VI

router = APIRouter()


def _blank_form() -> dict[str, Any]:
    return {"name": "", "start_time": "", "end_time": "", "weekdays": []}


def _page(
    request: Request,
    session: Session,
    services: Services,
    user: User,
    commune: Commune,
    *,
    form: dict[str, Any] | None = None,
    quiet_form: dict[str, str] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    quiet = commune_quiet_hours(session, commune, services.settings.scheduler.planning().quiet)
    slots = [
        {
            "id": slot.id,
            "name": slot.name,
            "hours": f"{hhmm(slot.start_time)}–{hhmm(slot.end_time)}",
            "days": "mọi ngày"
            if len(slot.weekdays) == 7
            else ", ".join(WEEKDAY_SHORT_VI[int(d)] for d in slot.weekdays),
        }
        for slot in commune_slots(session, commune)
    ]
    context = {
        "commune": commune,
        "slots": slots,
        "quiet": {"start_time": hhmm(quiet.start), "end_time": hhmm(quiet.end)},
        "quiet_form": quiet_form or {"start_time": hhmm(quiet.start), "end_time": hhmm(quiet.end)},
        "may_edit": user.role in (Role.OFFICER, Role.ADMIN),
        "weekdays": list(enumerate(WEEKDAY_SHORT_VI)),
        "weekday_names": WEEKDAY_NAMES_VI,
        "form": form or _blank_form(),
        "errors": errors or [],
        "flashes": notices(request),
    }
    return render(request, "broadcast_hours.html", context, user=user, status_code=status_code)


@router.get("/xa/{commune_code}/khung-gio")
def hours_page(
    commune_code: str, request: Request, session: SessionDep, services: ServicesDep, user: PageUser
) -> HTMLResponse:
    commune = get_commune(session, commune_code)
    require_commune(session, user, commune)
    return _page(request, session, services, user, commune)


def _refused(
    request: Request,
    session: Session,
    services: Services,
    user: User,
    commune_code: str,
    errors: list[str],
    status_code: int,
    **forms: Any,
) -> HTMLResponse:
    """The page again, with what was typed and what to fix; nothing of the refused change is kept."""
    session.rollback()
    commune = get_commune(session, commune_code)
    return _page(request, session, services, user, commune, errors=errors, status_code=status_code, **forms)


@router.post("/xa/{commune_code}/khung-gio/them")
def add_slot_page(
    commune_code: str,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    user: PageUser,
    name: Annotated[str, Form()] = "",
    start_time: Annotated[str, Form()] = "",
    end_time: Annotated[str, Form()] = "",
    weekdays: Annotated[list[str] | None, Form()] = None,
) -> Response:
    form = {
        "name": name.strip(),
        "start_time": start_time,
        "end_time": end_time,
        "weekdays": sorted(set(weekdays or [])),
    }
    days = [int(d) for d in form["weekdays"] if d in "0123456" and len(d) == 1] or list(range(7))
    try:
        data = SlotCreate.model_validate({**form, "weekdays": days})
        record = add_slot(session, services, user, commune_code, data)
        commune = session.get(Commune, record.commune_id)
        assert commune is not None
        services.publish(session, commune)
    except ValidationError as exc:
        return _refused(request, session, services, user, commune_code, messages_vi(exc), 422, form=form)
    except LoaxaError as exc:
        return _refused(request, session, services, user, commune_code, [exc.message_vi], exc.http_status, form=form)
    return RedirectResponse(f"/xa/{commune.code}/khung-gio?tb=da-them-khung-gio", status_code=303)


@router.post("/khung-gio/{slot_id}/xoa")
def remove_slot_page(
    slot_id: RowId, request: Request, session: SessionDep, services: ServicesDep, user: PageUser
) -> Response:
    slot = session.get(BroadcastSlot, slot_id)
    code = owner.code if slot is not None and (owner := session.get(Commune, slot.commune_id)) else ""
    try:
        services.publish(session, remove_slot(session, user, slot_id))
    except Conflict as exc:  # still used by a placement: say so on the commune's page
        return _refused(request, session, services, user, code, [exc.message_vi], exc.http_status)
    return RedirectResponse(f"/xa/{code}/khung-gio?tb=da-xoa-khung-gio", status_code=303)


@router.post("/xa/{commune_code}/gio-yen-lang")
def quiet_hours_page(
    commune_code: str,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    user: PageUser,
    start_time: Annotated[str, Form()] = "",
    end_time: Annotated[str, Form()] = "",
) -> Response:
    quiet_form = {"start_time": start_time, "end_time": end_time}
    try:
        data = QuietHoursPublic.model_validate(quiet_form)
        services.publish(session, set_quiet_hours(session, services, user, commune_code, data))
    except ValidationError as exc:
        errors = [f"Giờ yên lặng: {message.split(': ', 1)[-1]}" for message in messages_vi(exc)]
        return _refused(request, session, services, user, commune_code, errors, 422, quiet_form=quiet_form)
    except LoaxaError as exc:
        return _refused(
            request, session, services, user, commune_code, [exc.message_vi], exc.http_status, quiet_form=quiet_form
        )
    return RedirectResponse(f"/xa/{commune_code}/khung-gio?tb=da-dat-gio-yen-lang", status_code=303)
