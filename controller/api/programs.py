"""Programs (ordered items for slots or exact times), their recurrence rules, and a commune's day schedule."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Response
from sqlmodel import select

from audio_library.row_id import RowId
from controller.deps import CurrentUser, ServicesDep, SessionDep, require_commune
from controller.program_scheduling import (
    add_program,
    add_rule,
    commune_for_write,
    load_program,
    remove_program,
    remove_rule,
    replace_program_items,
    require_part_owner,
    validate,
)
from devices.registry import Commune, get_commune
from schedules.local_time import local
from schedules.program_record import (
    ProgramCreate,
    ProgramItemsReplace,
    ProgramPublic,
    ProgramRecord,
    ProgramReorder,
    RuleCreate,
    RulePublic,
    program_public,
    rule_public,
)
from schedules.timetable import day_timetable

router = APIRouter(tags=["programs"])


@router.post("/programs", status_code=201)
def create_program(data: ProgramCreate, session: SessionDep, user: CurrentUser) -> ProgramPublic:
    """A program of approved bulletins or stored audio; it airs once it has a rule."""
    program = add_program(session, user, data)
    session.commit()
    return program_public(session, program)


@router.get("/programs/{program_id}")
def get_program(program_id: RowId, session: SessionDep, user: CurrentUser) -> ProgramPublic:
    program = load_program(session, program_id)
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
    program_id: RowId, data: ProgramReorder, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> ProgramPublic:
    """Set the program's `position` among the programs of its slots (lower first; null: by approval time)."""
    program = load_program(session, program_id)
    commune = commune_for_write(session, user, program.commune_id)
    program.position = data.position
    session.add(program)
    validate(session, commune, services.settings.scheduler, services.clock(), program)
    public = program_public(session, program)
    services.publish(session, commune)
    return public


@router.delete("/programs/{program_id}", status_code=204)
def delete_program(program_id: RowId, session: SessionDep, user: CurrentUser, services: ServicesDep) -> Response:
    program = load_program(session, program_id)
    commune = commune_for_write(session, user, program.commune_id)
    require_part_owner(session, user, program)
    remove_program(session, program)
    services.publish(session, commune)
    return Response(status_code=204)


@router.put("/programs/{program_id}/items")
def replace_items(
    program_id: RowId, data: ProgramItemsReplace, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> ProgramPublic:
    """Replace the program's items (in the order given), keeping its rules; checked under each of its rules
    as a new rule is (overfull slot, overlap, quiet hours). Refused: nothing changes."""
    program = load_program(session, program_id)
    commune = commune_for_write(session, user, program.commune_id)
    require_part_owner(session, user, program)
    replace_program_items(session, services, commune, program, data.items)
    public = program_public(session, program)
    services.publish(session, commune)
    return public


@router.post("/programs/{program_id}/rules", status_code=201)
def create_rule(
    program_id: RowId, data: RuleCreate, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> RulePublic:
    """When the program airs. Refused if a slot overflows, it overlaps another program on a shared cluster,
    or (normal content) it falls in quiet hours; the error names what does not fit."""
    rule, commune = add_rule(session, user, services, program_id, data)
    public = rule_public(rule)
    services.publish(session, commune)
    return public


@router.delete("/rules/{rule_id}", status_code=204)
def delete_rule(rule_id: RowId, session: SessionDep, user: CurrentUser, services: ServicesDep) -> Response:
    services.publish(session, remove_rule(session, user, rule_id))
    return Response(status_code=204)


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
