"""Programs (ordered items for slots or exact times), their recurrence rules, and a commune's day schedule."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Response
from sqlmodel import Session, select

from audio_library import AudioAsset
from controller.accounts import Role, User
from controller.bulletin_scope import require_province
from controller.bulletin_workflow import check_airs_in
from controller.deps import CurrentUser, ServicesDep, SessionDep, require_commune, require_role
from controller.errors import Forbidden, NotFound, OutOfScope
from controller.services import Services
from devices.registry import Commune, Province, get_commune
from schedules import (
    Bulletin,
    BulletinNotFound,
    ClusterTarget,
    HamletGroupTarget,
    NotApproved,
    QuietHoursViolation,
    StartInPast,
    resolve_target,
)
from schedules.bulletin import BulletinStatus
from schedules.commune_hours import BroadcastSlot
from schedules.errors import AudioMissing, InvalidRecurrence
from schedules.hamlet import load_registry
from schedules.local_time import at_wall_clock, local
from schedules.program_record import (
    ProgramCreate,
    ProgramItemCreate,
    ProgramItemRecord,
    ProgramItemsReplace,
    ProgramPublic,
    ProgramRecord,
    ProgramReorder,
    RuleCreate,
    RulePublic,
    ScheduleRule,
    program_items,
    program_public,
    program_rules,
    rule_public,
)
from schedules.settings import SchedulerSettings
from schedules.timetable import commune_timetable, day_timetable

router = APIRouter(tags=["programs"])

# A new rule is checked (overfull slots, overlaps, quiet hours) over the week from its first day: every
# weekday of a weekly pattern occurs once, so a clash that can happen at all shows up in that week.
VALIDATION_WINDOW = timedelta(days=7)


def _commune_for_write(session: Session, user: User, commune_id: int) -> Commune:
    require_role(user, Role.OFFICER, Role.ADMIN)
    commune = session.get(Commune, commune_id)
    assert commune is not None
    require_commune(session, user, commune)
    return commune


def _require_part_owner(session: Session, user: User, program: ProgramRecord) -> None:
    """A commune's part of a province program is changed only by the province's staff (the whole of it)."""
    if program.province_program_id is None:
        return
    commune = session.get(Commune, program.commune_id)
    assert commune is not None
    province = session.get(Province, commune.province_id)
    assert province is not None
    try:
        require_province(user, province)
    except OutOfScope as exc:
        raise Forbidden(
            f"program {program.id} is part of province program {program.province_program_id}",
            message_vi="Chương trình này do tỉnh đặt cho mọi xã; chỉ cán bộ của tỉnh được sửa hoặc gỡ.",
        ) from exc


def _program(session: Session, program_id: int) -> ProgramRecord:
    program = session.get(ProgramRecord, program_id)
    if program is None:
        raise NotFound(f"no program {program_id}", message_vi="Không tìm thấy chương trình.")
    return program


def _check_item(session: Session, commune: Commune, item: ProgramItemRecord) -> None:
    if item.bulletin_id is not None:
        bulletin = session.get(Bulletin, item.bulletin_id)
        if bulletin is None:
            raise BulletinNotFound(f"no bulletin {item.bulletin_id}")
        check_airs_in(bulletin, commune)
        if bulletin.status != BulletinStatus.APPROVED or bulletin.audio_sha256 is None:
            raise NotApproved(f"bulletin {bulletin.id} is {bulletin.status}")
    elif item.audio_sha256 is None or session.get(AudioAsset, item.audio_sha256) is None:
        raise AudioMissing(
            f"program item {item.seq}: no audio {item.audio_sha256!r}",
            message_vi=f"Mục thứ {item.seq + 1} của chương trình chưa có tệp âm thanh.",
        )


@router.post("/programs", status_code=201)
def create_program(data: ProgramCreate, session: SessionDep, user: CurrentUser) -> ProgramPublic:
    """A program of approved bulletins or stored audio; it airs once it has a rule."""
    program = add_program(session, user, data)
    session.commit()
    return program_public(session, program)


def add_program(session: Session, user: User, data: ProgramCreate) -> ProgramRecord:
    """The program and its items, flushed but not committed (the console commits it with its rule)."""
    require_role(user, Role.OFFICER, Role.ADMIN)
    commune = get_commune(session, data.commune_code)
    require_commune(session, user, commune)
    assert commune.id is not None and user.id is not None
    registry = load_registry(session)
    if data.target_group:
        resolve_target(HamletGroupTarget(commune.code, data.target_group), registry)
    if data.target_clusters:
        reached = resolve_target(ClusterTarget(frozenset(data.target_clusters)), registry)
        if set(reached) != {commune.code}:
            raise Forbidden(
                "target clusters outside the program's commune",
                message_vi="Cụm loa được chọn không thuộc xã của chương trình.",
            )
    program = ProgramRecord(
        commune_id=commune.id,
        title=data.title,
        position=data.position,
        target_group=data.target_group,
        target_clusters=sorted(set(data.target_clusters)) if data.target_clusters else None,
        created_by=user.id,
    )
    session.add(program)
    session.flush()
    assert program.id is not None
    for seq, item in enumerate(data.items):
        record = ProgramItemRecord(program_id=program.id, seq=seq, **item.model_dump())
        _check_item(session, commune, record)
        session.add(record)
    session.flush()
    return program


@router.get("/programs/{program_id}")
def get_program(program_id: int, session: SessionDep, user: CurrentUser) -> ProgramPublic:
    program = _program(session, program_id)
    commune = session.get(Commune, program.commune_id)
    assert commune is not None
    require_commune(session, user, commune)
    return program_public(session, program)


@router.get("/communes/{commune_code}/programs")
def list_programs(commune_code: str, session: SessionDep, user: CurrentUser) -> list[ProgramPublic]:
    commune = get_commune(session, commune_code)
    require_commune(session, user, commune)
    programs = session.exec(select(ProgramRecord).where(ProgramRecord.commune_id == commune.id))
    return [program_public(session, p) for p in programs]


@router.patch("/programs/{program_id}")
def reorder_program(
    program_id: int, data: ProgramReorder, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> ProgramPublic:
    """Set the program's `position` among the programs of its slots (lower first; null: by approval time)."""
    program = _program(session, program_id)
    commune = _commune_for_write(session, user, program.commune_id)
    program.position = data.position
    session.add(program)
    _validate(session, commune, services.settings.scheduler, services.clock(), program)
    public = program_public(session, program)
    services.publish(session, commune)
    return public


@router.delete("/programs/{program_id}", status_code=204)
def delete_program(program_id: int, session: SessionDep, user: CurrentUser, services: ServicesDep) -> Response:
    program = _program(session, program_id)
    commune = _commune_for_write(session, user, program.commune_id)
    _require_part_owner(session, user, program)
    remove_program(session, program)
    services.publish(session, commune)
    return Response(status_code=204)


def remove_program(session: Session, program: ProgramRecord) -> None:
    """Delete the program with its items and rules (flushed, not committed)."""
    for rule in program_rules(session, program):
        session.delete(rule)
    for item in program_items(session, program):
        session.delete(item)
    session.flush()
    session.delete(program)
    session.flush()


@router.put("/programs/{program_id}/items")
def replace_items(
    program_id: int, data: ProgramItemsReplace, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> ProgramPublic:
    """Replace the program's items (in the order given), keeping its rules; checked under each of its rules
    as a new rule is (overfull slot, overlap, quiet hours). Refused: nothing changes."""
    program = _program(session, program_id)
    commune = _commune_for_write(session, user, program.commune_id)
    _require_part_owner(session, user, program)
    replace_program_items(session, services, commune, program, data.items)
    public = program_public(session, program)
    services.publish(session, commune)
    return public


def replace_program_items(
    session: Session, services: Services, commune: Commune, program: ProgramRecord, items: list[ProgramItemCreate]
) -> None:
    """Swap the items and check the program's rules against them (flushed, not committed)."""
    assert program.id is not None
    for old in program_items(session, program):
        session.delete(old)
    session.flush()
    for seq, item in enumerate(items):
        record = ProgramItemRecord(program_id=program.id, seq=seq, **item.model_dump())
        _check_item(session, commune, record)
        session.add(record)
    session.flush()
    rules: list[ScheduleRule | None] = [*program_rules(session, program)] or [None]
    for rule in rules:
        _validate(session, commune, services.settings.scheduler, services.clock(), program, rule, new_rule=False)


@router.post("/programs/{program_id}/rules", status_code=201)
def create_rule(
    program_id: int, data: RuleCreate, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> RulePublic:
    """When the program airs. Refused if a slot overflows, it overlaps another program on a shared cluster,
    or (normal content) it falls in quiet hours; the error names what does not fit."""
    rule, commune = add_rule(session, user, services, program_id, data)
    public = rule_public(rule)
    services.publish(session, commune)
    return public


def add_rule(
    session: Session, user: User, services: Services, program_id: int, data: RuleCreate
) -> tuple[ScheduleRule, Commune]:
    """The rule, flushed and checked against the commune's timetable but not committed; and its commune.

    The caller publishes (which commits); a refusal raises, and the caller's rollback drops the rule.
    """
    program = _program(session, program_id)
    commune = _commune_for_write(session, user, program.commune_id)
    _require_part_owner(session, user, program)
    if (data.at is None) == (data.slot_id is None):
        raise InvalidRecurrence(
            "a rule needs exactly one of at or slot_id",
            message_vi="Lịch phát phải chọn hoặc một giờ cụ thể, hoặc một khung giờ phát.",
        )
    if data.slot_id is not None:
        slot = session.get(BroadcastSlot, data.slot_id)
        if slot is None or slot.commune_id != commune.id:
            raise NotFound(f"no slot {data.slot_id} in {commune.code}", message_vi="Không tìm thấy khung giờ phát.")
    assert program.id is not None
    rule = ScheduleRule(
        program_id=program.id,
        pattern=data.pattern,
        day=data.day,
        weekdays="".join(str(d) for d in sorted(set(data.weekdays)) if 0 <= d <= 6),
        at_time=data.at,
        slot_id=data.slot_id,
        from_day=data.from_day,
        until_day=data.until_day,
        repeat_times=data.repeat_times,
        repeat_every_min=data.repeat_every_min,
    )
    session.add(rule)
    session.flush()
    _validate(session, commune, services.settings.scheduler, services.clock(), program, rule)
    return rule, commune


@router.delete("/rules/{rule_id}", status_code=204)
def delete_rule(rule_id: int, session: SessionDep, user: CurrentUser, services: ServicesDep) -> Response:
    rule = session.get(ScheduleRule, rule_id)
    if rule is None:
        raise NotFound(f"no rule {rule_id}", message_vi="Không tìm thấy lịch phát.")
    program = _program(session, rule.program_id)
    commune = _commune_for_write(session, user, program.commune_id)
    _require_part_owner(session, user, program)
    session.delete(rule)
    session.flush()
    services.publish(session, commune)
    return Response(status_code=204)


def _validate(
    session: Session,
    commune: Commune,
    sched: SchedulerSettings,
    now: datetime,
    program: ProgramRecord,
    rule: ScheduleRule | None = None,
    *,
    new_rule: bool = True,
) -> None:
    """Compile the commune over the validation window with the change flushed; raise what the core refuses.

    A `new_rule` that never airs (a one-off in the past) is refused; an existing one is not.
    """
    planning = sched.planning()
    first = rule.day or rule.from_day if rule is not None else None
    start = max(now, at_wall_clock(first, time(0), planning.zone)) if first else now
    timetable = commune_timetable(
        session,
        commune,
        start=start,
        end=start + VALIDATION_WINDOW,
        planning=planning,
        check_conflicts=True,
        changed=f"p{program.id}",
    )
    prefix = f"p{program.id}-"
    for dropped in timetable.dropped:
        if dropped.item_id.startswith(prefix) and dropped.reason == "quiet_hours":
            raise QuietHoursViolation(f"item {dropped.item_id} falls in quiet hours", message_vi=dropped.message_vi)
    if (
        new_rule
        and rule is not None
        and rule.pattern == "once"
        and not any(i.item_id.startswith(prefix) for i in timetable.items)
    ):
        raise StartInPast(f"rule {rule.id} never airs after {now.isoformat()}")


@router.get("/communes/{commune_code}/schedule")
def day_schedule(
    commune_code: str, date: date, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    """What will play on the commune on a local day: items with their start and end, and what will not, and why."""
    commune = get_commune(session, commune_code)
    require_commune(session, user, commune)
    planning = services.settings.scheduler.planning()
    timetable = day_timetable(session, commune, date, planning)
    items = []
    for item in timetable.items:
        content, clusters = timetable.content_of(item.item_id), timetable.clusters_of(item)
        items.append(
            {
                "item_id": item.item_id,
                "title": item.title,
                "priority": item.priority,
                "starts_at": local(item.starts_at, planning.zone).isoformat(),
                "ends_at": local(item.ends_at, planning.zone).isoformat(),
                "duration_ms": item.duration_ms,
                "clusters": sorted(clusters) if clusters is not None else None,
                "source": timetable.group_titles.get(content.group, content.group),
            }
        )
    dropped = [
        {"item_id": d.item_id, "title": d.title, "reason": d.reason, "message": d.message_vi} for d in timetable.dropped
    ]
    return {"commune": commune.code, "date": date.isoformat(), "items": items, "not_airing": dropped}
