"""The province's page for normal content aired in every commune: place an approved province bulletin
in each commune's own slot (by rank or name) or at one time, see what is placed, and withdraw it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, col, select

from audio_library.errors import LoaxaError
from audio_library.row_id import RowId
from controller.accounts import Role, User
from controller.bulletin_scope import require_province
from controller.deps import ServicesDep, SessionDep, require_role
from controller.errors import InvalidInput
from controller.province_scheduling import (
    place_province_program,
    province_program_public,
    province_programs,
    withdraw_province_program,
)
from controller.services import Services
from controller.web.forms import messages_vi
from controller.web.notices import notices
from controller.web.session import PageUser
from controller.web.templating import render
from controller.web.week import WEEKDAY_SHORT_VI
from devices.registry import Province, get_province, province_communes
from schedules import Bulletin, BulletinStatus
from schedules.local_time import local
from schedules.program_record import ProgramItemCreate
from schedules.province_program import ProvinceProgram, ProvinceProgramCreate, ProvinceRuleCreate
from schedules.slot import WEEKDAY_NAMES_VI

router = APIRouter()

# Slot ranks offered on the form: communes keep two or three slots a day.
SLOT_RANKS = (1, 2, 3)


def _province_of(session: Session, user: User, code: str) -> Province:
    require_role(user, Role.OFFICER, Role.ADMIN)
    return page_province(session, user, code)


def page_province(session: Session, user: User, code: str) -> Province:
    """The province a page is about: `code`, or the user's own; admins with no choice get the first.

    OutOfScope unless the user answers for that province (its own staff, or an admin).
    """
    if code:
        province = get_province(session, code)
    elif user.province_id is not None:
        own = session.get(Province, user.province_id)
        assert own is not None
        province = own
    else:
        first = session.exec(select(Province).order_by(col(Province.name))).first()
        if first is None:
            raise InvalidInput("no province yet", message_vi="Chưa có tỉnh nào trong hệ thống.")
        province = first
    require_province(user, province)
    return province


def _blank_form(today: date) -> dict[str, Any]:
    return {
        "bulletin_id": "",
        "anchor": "rank",
        "slot_rank": "1",
        "slot_name": "",
        "at": "",
        "weekdays": [],
        "from_day": today.isoformat(),
        "until_day": "",
    }


def _page(
    request: Request,
    session: Session,
    services: Services,
    user: User,
    province: Province,
    *,
    form: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    today = local(services.clock(), ZoneInfo(services.settings.scheduler.timezone)).date()
    bulletins = session.exec(
        select(Bulletin)
        .where(
            Bulletin.province_id == province.id,
            Bulletin.status == BulletinStatus.APPROVED,
            col(Bulletin.audio_sha256).is_not(None),
        )
        .order_by(col(Bulletin.id).desc())
        .limit(200)
    ).all()
    provinces = (
        list(session.exec(select(Province).order_by(col(Province.name)))) if user.role == Role.ADMIN else [province]
    )
    context = {
        "province": province,
        "provinces": provinces,
        "communes": province_communes(session, province),
        "bulletins": bulletins,
        "programs": [province_program_public(session, r) for r in province_programs(session, user, province.code)],
        "slot_ranks": SLOT_RANKS,
        "weekdays": list(enumerate(WEEKDAY_SHORT_VI)),
        "weekday_names": WEEKDAY_NAMES_VI,
        "form": form or _blank_form(today),
        "errors": errors or [],
        "flashes": notices(request),
    }
    return render(request, "province_programs.html", context, user=user, status_code=status_code)


@router.get("/chuong-trinh-tinh")
def province_page(
    request: Request, session: SessionDep, services: ServicesDep, user: PageUser, tinh: str = ""
) -> HTMLResponse:
    return _page(request, session, services, user, _province_of(session, user, tinh))


def _request_of(form: dict[str, Any], title: str) -> ProvinceProgramCreate:
    """The form as the API's request; raises ValidationError or InvalidInput with what to fix."""
    if not str(form["bulletin_id"]).isdigit():
        raise InvalidInput("no bulletin", message_vi="Bản tin: chưa chọn bản tin đã duyệt của tỉnh.")
    missing = {
        "rank": ("slot_rank", "Khung giờ: chưa chọn khung giờ thứ mấy."),
        "name": ("slot_name", "Tên khung giờ: chưa nhập tên."),
        "at": ("at", "Giờ phát: chưa chọn giờ."),
    }[form["anchor"]]
    if not form[missing[0]]:
        raise InvalidInput(f"no {missing[0]}", message_vi=missing[1])

    days = sorted({int(d) for d in form["weekdays"] if d in "0123456" and len(d) == 1})
    anchor: dict[str, Any] = {"rank": {"slot_rank": form["slot_rank"]}, "name": {"slot_name": form["slot_name"]}}.get(
        form["anchor"], {"at": form["at"] or None}
    )
    rule = ProvinceRuleCreate.model_validate(
        {
            **anchor,
            "pattern": "weekdays" if days and len(days) < 7 else "daily",
            "weekdays": days if len(days) < 7 else [],
            "from_day": form["from_day"] or None,
            "until_day": form["until_day"] or None,
        }
    )
    if rule.from_day is not None and rule.until_day is not None and rule.until_day < rule.from_day:
        raise InvalidInput("until before from", message_vi="Đến ngày: phải bằng hoặc sau ngày bắt đầu.")
    item = ProgramItemCreate(kind="bulletin", bulletin_id=int(form["bulletin_id"]))
    return ProvinceProgramCreate(title=title, items=[item], rule=rule)


@router.post("/chuong-trinh-tinh/{province_code}/dat")
def place_page(
    province_code: str,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    user: PageUser,
    bulletin_id: Annotated[str, Form()] = "",
    anchor: Annotated[str, Form()] = "rank",
    slot_rank: Annotated[str, Form()] = "1",
    slot_name: Annotated[str, Form()] = "",
    at: Annotated[str, Form()] = "",
    weekdays: Annotated[list[str] | None, Form()] = None,
    from_day: Annotated[str, Form()] = "",
    until_day: Annotated[str, Form()] = "",
) -> Response:
    """Place the bulletin in every commune; a refusal keeps nothing and shows which commune refused."""
    province = _province_of(session, user, province_code)
    form: dict[str, Any] = {
        "bulletin_id": bulletin_id.strip(),
        "anchor": anchor if anchor in ("rank", "name", "at") else "rank",
        "slot_rank": slot_rank.strip(),
        "slot_name": slot_name.strip(),
        "at": at.strip(),
        "weekdays": sorted(set(weekdays or [])),
        "from_day": from_day.strip(),
        "until_day": until_day.strip(),
    }
    bulletin = session.get(Bulletin, int(form["bulletin_id"])) if form["bulletin_id"].isdigit() else None
    try:
        data = _request_of(form, bulletin.title if bulletin is not None else "Bản tin của tỉnh")
        place_province_program(session, services, user, province.code, data)
    except ValidationError as exc:
        return _page(request, session, services, user, province, form=form, errors=messages_vi(exc), status_code=422)
    except LoaxaError as exc:
        session.rollback()
        return _page(
            request, session, services, user, province, form=form, errors=[exc.message_vi], status_code=exc.http_status
        )
    return RedirectResponse(f"/chuong-trinh-tinh?tinh={province.code}&tb=da-dat-toan-tinh", status_code=303)


@router.post("/chuong-trinh-tinh/{record_id}/go")
def withdraw_page(record_id: RowId, session: SessionDep, services: ServicesDep, user: PageUser) -> RedirectResponse:
    """Take the province program off every commune's schedule."""
    record = session.get(ProvinceProgram, record_id)
    province = session.get(Province, record.province_id) if record is not None else None
    withdraw_province_program(session, services, user, record_id)  # refuses what the user may not touch
    assert province is not None
    return RedirectResponse(f"/chuong-trinh-tinh?tinh={province.code}&tb=da-go-toan-tinh", status_code=303)
