"""The officer's week view of a commune: what plays each day under its broadcast slots, placing an approved
bulletin or a relay of a stream source ("tiếp sóng") into a slot (a one-item program and its rule, in one
transaction), and removing a placement."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, or_, select

from audio_library.errors import LoaxaError
from audio_library.row_id import RowId
from controller.accounts import Role, User, commune_scope
from controller.api.emergencies import list_emergencies
from controller.deps import ServicesDep, SessionDep, require_commune, require_role
from controller.errors import InvalidInput, NotFound
from controller.program_scheduling import add_program, add_rule, remove_program, remove_rule
from controller.services import Services
from controller.web.notices import notices
from controller.web.session import PageUser
from controller.web.templating import render
from devices.registry import Commune, get_commune
from schedules import Bulletin, BulletinStatus
from schedules.commune_hours import BroadcastSlot, commune_slots
from schedules.emergency_order import EmergencyOrder, emergency_title, order_audio
from schedules.local_time import hhmm, local
from schedules.program_record import (
    ProgramCreate,
    ProgramItemCreate,
    ProgramRecord,
    RuleCreate,
    ScheduleRule,
    program_rules,
)
from schedules.slot import WEEKDAY_NAMES_VI
from schedules.stream_source import StreamSource, relayable_in, sources_for
from schedules.timetable import day_timetable

router = APIRouter()

WEEKDAY_SHORT_VI = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")
# A relay placed from the console lasts whole minutes, at most what a program item may (4 hours).
RELAY_MAX_MINUTES = 240
OUTSIDE_SLOTS = "Ngoài khung giờ"


@dataclass
class DayGroup:
    """One slot of a day (or what starts outside every slot) and the items starting in it."""

    label: str
    items: list[dict[str, Any]] = field(default_factory=list)
    is_slot: bool = True


@dataclass
class DayCard:
    day: date
    name: str
    groups: list[DayGroup]
    not_airing: list[dict[str, str]]
    today: bool = False

    @property
    def empty(self) -> bool:
        return not any(group.items for group in self.groups)


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def _slot_label(slot: BroadcastSlot) -> str:
    hours = f"{hhmm(slot.start_time)}–{hhmm(slot.end_time)}"
    return f"{slot.name} ({hours})" if slot.name else hours


def _in_slot(slot: BroadcastSlot, moment: time) -> bool:
    return slot.start_time <= moment < slot.end_time


def day_card(
    session: Session, services: Services, commune: Commune, slots: list[BroadcastSlot], day: date, today: date
) -> DayCard:
    """What plays on `day` (as `GET /api/v1/communes/{code}/schedule` reports it), grouped under the slots."""
    planning = services.settings.scheduler.planning()
    timetable = day_timetable(session, commune, day, planning)
    todays = [s for s in slots if s.to_slot().applies_on(day)]
    groups = [DayGroup(_slot_label(slot)) for slot in todays]
    outside = DayGroup(OUTSIDE_SLOTS, is_slot=False)
    for item in timetable.items:
        content, clusters = timetable.content_of(item.item_id), timetable.clusters_of(item)
        starts, ends = local(item.starts_at, planning.zone), local(item.ends_at, planning.zone)
        group_id = content.group
        row = {
            "item_id": item.item_id,
            "title": item.title,
            "priority": item.priority,
            "starts": starts.strftime("%H:%M:%S"),
            "ends": ends.strftime("%H:%M:%S"),
            "source": timetable.group_titles.get(group_id, group_id),
            "clusters": sorted(clusters) if clusters is not None else None,
            # A one-off broadcast ("b12") can be cancelled from here.
            "broadcast_id": int(group_id[1:]) if group_id.startswith("b") and group_id[1:].isdigit() else None,
        }
        index = next((i for i, slot in enumerate(todays) if _in_slot(slot, starts.time())), None)
        (groups[index] if index is not None else outside).items.append(row)
    if outside.items:
        groups.append(outside)
    not_airing = [{"title": d.title, "message": d.message_vi} for d in timetable.dropped]
    return DayCard(day, WEEKDAY_NAMES_VI[day.weekday()], groups, not_airing, today=day == today)


def _placements(session: Session, commune: Commune) -> list[dict[str, Any]]:
    """The commune's rules on a slot, with their program, for removal."""
    rows = session.exec(
        select(ScheduleRule, ProgramRecord, BroadcastSlot)
        .join(ProgramRecord, col(ProgramRecord.id) == col(ScheduleRule.program_id))
        .join(BroadcastSlot, col(BroadcastSlot.id) == col(ScheduleRule.slot_id))
        .where(ProgramRecord.commune_id == commune.id)
        .order_by(col(BroadcastSlot.start_time), col(ScheduleRule.id))
    ).all()
    placements = []
    for rule, program, slot in rows:
        if rule.pattern == "weekdays" and rule.weekdays:
            days = ", ".join(WEEKDAY_SHORT_VI[int(d)] for d in rule.weekdays)
        elif rule.pattern == "once" and rule.day is not None:
            days = f"ngày {rule.day:%d/%m/%Y}"
        else:
            days = "hằng ngày"
        placements.append(
            {
                "rule_id": rule.id,
                "title": program.title,
                "slot": _slot_label(slot),
                "days": days,
                "rule": rule,
                "province_wide": program.province_program_id is not None,
            }
        )
    return placements


def _approved_bulletins(session: Session, commune: Commune) -> list[Bulletin]:
    return list(
        session.exec(
            select(Bulletin)
            .where(
                # The commune's own, and its province's (approved for every commune of the province).
                or_(col(Bulletin.commune_id) == commune.id, col(Bulletin.province_id) == commune.province_id),
                Bulletin.status == BulletinStatus.APPROVED,
                col(Bulletin.audio_sha256).is_not(None),
            )
            .order_by(col(Bulletin.id).desc())
            .limit(200)
        )
    )


def _relay_sources(session: Session, commune: Commune) -> list[StreamSource]:
    """The stream sources the commune may relay: national ones and its province's."""
    return [s for s in sources_for(session, {commune.province_id}) if relayable_in(s, commune)]


def _emergencies(session: Session, services: Services, user: User, commune: Commune) -> list[dict[str, Any]]:
    """The commune's emergencies of the last week, newest first, with where each stands."""
    now = services.clock()
    rows = []
    for order in list_emergencies(commune.code, session, user, services, days=7):
        stored = session.get(EmergencyOrder, order.id)
        audio = order_audio(session, stored) if stored is not None else None
        asset = audio[1] if audio is not None else None
        ends_at = order.starts_at + timedelta(milliseconds=asset.duration_ms) if asset else order.starts_at
        if order.cancelled_at is not None:
            state = "Đã kết thúc sớm"
        elif now < order.starts_at:
            state = "Sắp phát"
        elif now < ends_at:
            state = "Đang phát"
        else:
            state = "Đã phát xong"
        rows.append(
            {
                "order": order,
                "title": emergency_title(session, stored) if stored is not None else "",
                "state": state,
                "may_end": order.cancelled_at is None and now < ends_at,
            }
        )
    return rows


def _blank_form(first_day: date) -> dict[str, Any]:
    return {
        "bulletin_id": "",
        "stream_source_id": "",
        "relay_minutes": "",
        "slot_id": "",
        "weekdays": [],
        "from_day": first_day.isoformat(),
        "until_day": "",
    }


def _parse_week(tu: str, today: date) -> date:
    if not tu.strip():
        return week_start(today)
    try:
        return week_start(date.fromisoformat(tu.strip()))
    except ValueError as exc:
        raise InvalidInput(f"bad week start {tu!r}", message_vi="Ngày bắt đầu tuần không hợp lệ.") from exc


def _today(services: Services) -> date:
    return services.clock().astimezone(ZoneInfo(services.settings.scheduler.timezone)).date()


def _week_page(
    request: Request,
    session: Session,
    services: Services,
    user: User,
    commune: Commune,
    monday: date,
    *,
    form: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    today = _today(services)
    slots = commune_slots(session, commune)
    may_edit = user.role in (Role.OFFICER, Role.ADMIN)
    context = {
        "commune": commune,
        "monday": monday,
        "sunday": monday + timedelta(days=6),
        "previous": monday - timedelta(days=7),
        "next": monday + timedelta(days=7),
        "this_week": week_start(today),
        "days": [day_card(session, services, commune, slots, monday + timedelta(days=n), today) for n in range(7)],
        "slots": [(slot.id, _slot_label(slot)) for slot in slots],
        "weekdays": list(enumerate(WEEKDAY_SHORT_VI)),
        "weekday_names": WEEKDAY_NAMES_VI,
        "may_edit": may_edit,
        "bulletins": _approved_bulletins(session, commune) if may_edit else [],
        "relay_sources": _relay_sources(session, commune) if may_edit else [],
        "relay_max_minutes": RELAY_MAX_MINUTES,
        "placements": _placements(session, commune),
        "emergencies": _emergencies(session, services, user, commune),
        "form": form or _blank_form(max(today, monday)),
        "errors": errors or [],
        "flashes": notices(request),
    }
    return render(request, "week.html", context, user=user, status_code=status_code)


@router.get("/lich-tuan")
def week_home(request: Request, session: SessionDep, user: PageUser) -> Response:
    """The menu's entry: straight to the week of the user's commune, or a choice when there are several."""
    query = select(Commune).order_by(col(Commune.name))
    scope = commune_scope(session, user)
    if scope is not None:
        query = query.where(col(Commune.id).in_(scope))
    communes = list(session.exec(query))
    if len(communes) == 1:
        return RedirectResponse(f"/xa/{communes[0].code}/lich-tuan", status_code=303)
    return render(request, "week_communes.html", {"communes": communes}, user=user)


@router.get("/xa/{commune_code}/lich-tuan")
def week_page(
    commune_code: str, request: Request, session: SessionDep, services: ServicesDep, user: PageUser, tu: str = ""
) -> HTMLResponse:
    commune = get_commune(session, commune_code)
    require_commune(session, user, commune)
    return _week_page(request, session, services, user, commune, _parse_week(tu, _today(services)))


def _form_problems(form: dict[str, Any]) -> list[str]:
    problems = []
    relay = bool(form["stream_source_id"])
    if relay and form["bulletin_id"]:
        problems.append("Nội dung: chọn một bản tin hoặc một nguồn tiếp sóng, không chọn cả hai.")
    elif relay:
        if not str(form["stream_source_id"]).isdigit():
            problems.append("Nguồn tiếp sóng: giá trị không hợp lệ.")
        minutes = str(form["relay_minutes"])
        if not minutes.isdigit() or not 1 <= int(minutes) <= RELAY_MAX_MINUTES:
            problems.append(f"Thời lượng tiếp sóng: nhập số phút từ 1 đến {RELAY_MAX_MINUTES}.")
    elif not str(form["bulletin_id"]).isdigit():
        problems.append("Bản tin: chưa chọn bản tin đã duyệt (hoặc một nguồn tiếp sóng).")
    if not str(form["slot_id"]).isdigit():
        problems.append("Khung giờ: chưa chọn khung giờ phát.")
    if any(d not in "0123456" or len(d) != 1 for d in form["weekdays"]):
        problems.append("Ngày trong tuần: giá trị không hợp lệ.")
    days: dict[str, date | None] = {}
    for name, label in (("from_day", "Từ ngày"), ("until_day", "Đến ngày")):
        try:
            days[name] = date.fromisoformat(form[name]) if form[name] else None
        except ValueError:
            problems.append(f"{label}: ngày không hợp lệ.")
    if days.get("from_day") is None and "from_day" in days:
        problems.append("Từ ngày: không được để trống.")
    first, last = days.get("from_day"), days.get("until_day")
    if first is not None and last is not None and last < first:
        problems.append("Đến ngày: phải bằng hoặc sau ngày bắt đầu.")
    return problems


@router.post("/xa/{commune_code}/lich-tuan/xep-lich")
def place_page(
    commune_code: str,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    user: PageUser,
    bulletin_id: Annotated[str, Form()] = "",
    stream_source_id: Annotated[str, Form()] = "",
    relay_minutes: Annotated[str, Form()] = "",
    slot_id: Annotated[str, Form()] = "",
    weekdays: Annotated[list[str] | None, Form()] = None,
    from_day: Annotated[str, Form()] = "",
    until_day: Annotated[str, Form()] = "",
    tu: Annotated[str, Form()] = "",
) -> Response:
    """Place an approved bulletin, or a relay of a stream source for some minutes, into a slot: a program of that
    one item and a rule, kept together or not at all (the same services as the API and the CLI)."""
    commune = get_commune(session, commune_code)
    require_commune(session, user, commune)
    require_role(user, Role.OFFICER, Role.ADMIN)
    monday = _parse_week(tu, _today(services))
    form: dict[str, Any] = {
        "bulletin_id": bulletin_id.strip(),
        "stream_source_id": stream_source_id.strip(),
        "relay_minutes": relay_minutes.strip(),
        "slot_id": slot_id.strip(),
        "weekdays": sorted(set(weekdays or [])),
        "from_day": from_day.strip(),
        "until_day": until_day.strip(),
    }
    problems = _form_problems(form)
    if problems:
        return _week_page(
            request, session, services, user, commune, monday, form=form, errors=problems, status_code=422
        )
    if form["stream_source_id"]:
        source = session.get(StreamSource, int(form["stream_source_id"]))
        title = f"Tiếp sóng {source.name}" if source is not None else f"Tiếp sóng nguồn {form['stream_source_id']}"
        item = ProgramItemCreate(
            kind="relay",
            stream_source_id=int(form["stream_source_id"]),
            duration_ms=int(form["relay_minutes"]) * 60_000,
        )
    else:
        bulletin = session.get(Bulletin, int(form["bulletin_id"]))
        title = (bulletin.title if bulletin is not None else "") or f"Bản tin {form['bulletin_id']}"
        item = ProgramItemCreate(kind="bulletin", bulletin_id=int(form["bulletin_id"]))
    days = [int(d) for d in form["weekdays"]]
    try:
        program = add_program(session, user, ProgramCreate(commune_code=commune.code, title=title, items=[item]))
        assert program.id is not None
        rule = RuleCreate(
            pattern="weekdays" if days and len(days) < 7 else "daily",
            weekdays=days if len(days) < 7 else [],
            slot_id=int(form["slot_id"]),
            from_day=date.fromisoformat(form["from_day"]),
            until_day=date.fromisoformat(form["until_day"]) if form["until_day"] else None,
        )
        _, commune = add_rule(session, user, services, program.id, rule)
        services.publish(session, commune)
    except LoaxaError as exc:
        # Refused (overfull slot, overlap, quiet hours, not approved, a source the commune may not relay...):
        # nothing of it is kept.
        session.rollback()
        return _week_page(
            request,
            session,
            services,
            user,
            commune,
            monday,
            form=form,
            errors=[exc.message_vi],
            status_code=exc.http_status,
        )
    return RedirectResponse(f"/xa/{commune.code}/lich-tuan?tu={monday.isoformat()}&tb=da-xep-lich", status_code=303)


@router.post("/lich-tuan/xep-lich/{rule_id}/go")
def remove_placement_page(
    rule_id: RowId,
    session: SessionDep,
    services: ServicesDep,
    user: PageUser,
    tu: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Take a placement off its slot (`DELETE /api/v1/rules/{id}`).

    A placement made here is a one-bulletin program with its rule: when its last rule goes, so does the
    program, rather than lingering with nothing scheduled. (The API keeps a program without rules: it
    may be given another one.)
    """
    rule = session.get(ScheduleRule, rule_id)
    program = session.get(ProgramRecord, rule.program_id) if rule is not None else None
    commune = session.get(Commune, program.commune_id) if program is not None else None
    if program is None or commune is None:
        raise NotFound(f"no rule {rule_id}", message_vi="Không tìm thấy lịch phát.")
    remove_rule(session, user, rule_id)
    if not program_rules(session, program):
        remove_program(session, program)
    services.publish(session, commune)
    monday = _parse_week(tu, _today(services))
    return RedirectResponse(f"/xa/{commune.code}/lich-tuan?tu={monday.isoformat()}&tb=da-go-lich", status_code=303)
