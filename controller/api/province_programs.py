"""Province-wide programs: normal content placed once in every commune of a province (or chosen ones)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from audio_library.row_id import RowId
from controller.deps import CurrentUser, ServicesDep, SessionDep
from controller.province_scheduling import (
    load_province_program,
    place_province_program,
    province_program_public,
    province_programs,
    replace_province_items,
    withdraw_province_program,
)
from schedules.program_record import ProgramItemsReplace
from schedules.province_program import ProvinceProgramCreate, ProvinceProgramPublic

router = APIRouter(tags=["province programs"])


@router.post("/provinces/{province_code}/programs", status_code=201)
def create_province_program(
    province_code: str, data: ProvinceProgramCreate, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> ProvinceProgramPublic:
    """Place the items in each commune at `rule.at`, or in each commune's slot by `slot_rank` or `slot_name`.

    All communes' parts are checked (slot, overfull, overlap, quiet hours) before anything is kept; a
    refusal names the commune. Each commune's playlist is published at once.
    """
    record = place_province_program(session, services, user, province_code, data)
    return province_program_public(session, record)


@router.get("/provinces/{province_code}/programs")
def list_province_programs(province_code: str, session: SessionDep, user: CurrentUser) -> list[ProvinceProgramPublic]:
    return [province_program_public(session, r) for r in province_programs(session, user, province_code)]


@router.get("/province-programs/{record_id}")
def get_province_program(record_id: RowId, session: SessionDep, user: CurrentUser) -> ProvinceProgramPublic:
    return province_program_public(session, load_province_program(session, user, record_id))


@router.put("/province-programs/{record_id}/items")
def replace_items(
    record_id: RowId, data: ProgramItemsReplace, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> ProvinceProgramPublic:
    """Replace the items in every commune's part, keeping the rules; a commune that refuses keeps all as it was."""
    record = replace_province_items(session, services, user, record_id, data.items)
    return province_program_public(session, record)


@router.delete("/province-programs/{record_id}", status_code=204)
def delete_province_program(
    record_id: RowId, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> Response:
    """Take the program off every commune's schedule."""
    withdraw_province_program(session, services, user, record_id)
    return Response(status_code=204)
