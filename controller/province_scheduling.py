"""Placing a program in every commune of a province at once, and taking it away again.

The rules of a province program are in `schedules.province_program`. Here: who may do it (the province's
own officers and admins), one transaction for all the communes' parts (a refusal in one commune refuses
all, naming the commune), the audit log, and publishing each commune's playlist afterwards. The API
and the console both call these.
"""

from __future__ import annotations

import json

from sqlmodel import Session, col, select

from audio_library.errors import LoaxaError
from controller import audit
from controller.accounts import Role, User
from controller.bulletin_scope import require_province
from controller.deps import require_role
from controller.errors import InvalidInput, NotFound
from controller.program_scheduling import add_program, add_rule, remove_program, replace_program_items
from controller.services import Services
from devices.registry import Commune, Province, get_province, province_communes
from schedules.commune_hours import commune_slots
from schedules.program_record import ProgramCreate, ProgramItemCreate, ProgramRecord, ScheduleRule
from schedules.province_program import (
    ProvinceProgram,
    ProvinceProgramCreate,
    ProvinceProgramPart,
    ProvinceProgramPublic,
    choose_slot,
)


def _in_commune(commune: Commune, error: LoaxaError) -> LoaxaError:
    """The same error, its message saying which commune refused (the province sees many at once)."""
    error.message_vi = f"{commune.name}: {error.message_vi}"
    return error


def _chosen_communes(session: Session, province: Province, codes: list[str] | None) -> list[Commune]:
    communes = province_communes(session, province)
    if codes is None:
        if not communes:
            raise InvalidInput(
                f"province {province.code} has no commune", message_vi=f"{province.name} chưa có xã nào."
            )
        return communes
    by_code = {commune.code: commune for commune in communes}
    if strangers := sorted(set(codes) - set(by_code)):
        raise InvalidInput(
            f"not communes of {province.code}: {strangers}",
            message_vi=f"Không phải xã của {province.name}: {', '.join(strangers[:20])}.",
        )
    return [by_code[code] for code in sorted(set(codes))]


def place_province_program(
    session: Session, services: Services, user: User, province_code: str, data: ProvinceProgramCreate
) -> ProvinceProgram:
    """Create the province program and each commune's part, checked; commit and publish every commune."""
    require_role(user, Role.OFFICER, Role.ADMIN)
    province = get_province(session, province_code)
    require_province(user, province)
    communes = _chosen_communes(session, province, data.commune_codes)
    assert province.id is not None and user.id is not None
    record = ProvinceProgram(province_id=province.id, title=data.title, created_by=user.id)
    session.add(record)
    session.flush()
    rule = data.rule
    for commune in communes:
        slot = None
        if rule.at is None:
            slot = choose_slot(commune_slots(session, commune), rank=rule.slot_rank, name=rule.slot_name)
            if slot is None:
                wanted = f"khung giờ “{rule.slot_name}”" if rule.slot_name else f"khung giờ thứ {rule.slot_rank}"
                raise InvalidInput(
                    f"commune {commune.code} has no slot {rule.slot_name or rule.slot_rank}",
                    message_vi=f"{commune.name} không có {wanted}; thêm khung giờ cho xã này hoặc chọn cách đặt khác.",
                )
        try:
            part = add_program(
                session, user, ProgramCreate(commune_code=commune.code, title=data.title, items=data.items)
            )
            part.province_program_id = record.id
            session.add(part)
            session.flush()
            assert part.id is not None
            add_rule(session, user, services, part.id, rule.for_commune(slot))
        except LoaxaError as error:
            raise _in_commune(commune, error) from None
    audit.record(
        session,
        user,
        "province_program.create",
        f"province_program:{record.id} «{data.title[:120]}»",
        json.dumps(
            {"province": province.code, "communes": len(communes), "rule": rule.model_dump(mode="json")},
            ensure_ascii=False,
        ),
    )
    session.commit()
    services.publish_each(session, communes)
    return record


def province_program_public(session: Session, record: ProvinceProgram) -> ProvinceProgramPublic:
    assert record.id is not None
    province = session.get(Province, record.province_id)
    assert province is not None
    rows = _parts(session, record)
    slots: dict[int, int | None] = {}  # each part's one rule's slot, in one query for all the communes
    for rule in session.exec(
        select(ScheduleRule)
        .where(col(ScheduleRule.program_id).in_([program.id for program, _ in rows]))
        .order_by(col(ScheduleRule.id).desc())
    ):
        slots[rule.program_id] = rule.slot_id
    parts = []
    for program, commune in rows:
        assert program.id is not None
        parts.append(
            ProvinceProgramPart(commune_code=commune.code, program_id=program.id, slot_id=slots.get(program.id))
        )
    return ProvinceProgramPublic(
        id=record.id,
        province_code=province.code,
        title=record.title,
        created_by=record.created_by,
        created_at=record.created_at,
        parts=parts,
    )


def load_province_program(session: Session, user: User, record_id: int) -> ProvinceProgram:
    """The province program, if the user is one of the province's staff (or an admin)."""
    record = session.get(ProvinceProgram, record_id)
    if record is None:
        raise NotFound(f"no province program {record_id}", message_vi="Không tìm thấy chương trình toàn tỉnh.")
    province = session.get(Province, record.province_id)
    assert province is not None
    require_province(user, province)
    return record


# The newest province programs listed (each lists its parts: up to ~200 communes).
LISTED = 100


def province_programs(session: Session, user: User, province_code: str) -> list[ProvinceProgram]:
    province = get_province(session, province_code)
    require_province(user, province)
    return list(
        session.exec(
            select(ProvinceProgram)
            .where(ProvinceProgram.province_id == province.id)
            .order_by(col(ProvinceProgram.id).desc())
            .limit(LISTED)
        )
    )


def withdraw_province_program(session: Session, services: Services, user: User, record_id: int) -> None:
    """Delete the province program and every commune's part; publish the communes that had one."""
    require_role(user, Role.OFFICER, Role.ADMIN)
    record = load_province_program(session, user, record_id)
    parts = list(session.exec(select(ProgramRecord).where(ProgramRecord.province_program_id == record.id)))
    communes = []
    for part in parts:
        commune = session.get(Commune, part.commune_id)
        assert commune is not None
        communes.append(commune)
        remove_program(session, part)
    audit.record(
        session,
        user,
        "province_program.delete",
        f"province_program:{record.id} «{record.title[:120]}»",
        f"{len(parts)} communes",
    )
    session.delete(record)
    session.commit()
    services.publish_each(session, communes)


def _parts(session: Session, record: ProvinceProgram) -> list[tuple[ProgramRecord, Commune]]:
    return [
        (program, commune)
        for program, commune in session.exec(
            select(ProgramRecord, Commune)
            .join(Commune, col(Commune.id) == col(ProgramRecord.commune_id))
            .where(ProgramRecord.province_program_id == record.id)
            .order_by(col(Commune.code))
        ).all()
    ]


def replace_province_items(
    session: Session, services: Services, user: User, record_id: int, items: list[ProgramItemCreate]
) -> ProvinceProgram:
    """Replace the items of every commune's part, checked in each commune; one refusal keeps nothing."""
    require_role(user, Role.OFFICER, Role.ADMIN)
    record = load_province_program(session, user, record_id)
    parts = _parts(session, record)
    for program, commune in parts:
        try:
            replace_program_items(session, services, commune, program, items)
        except LoaxaError as error:
            raise _in_commune(commune, error) from None
    audit.record(
        session,
        user,
        "province_program.items",
        f"province_program:{record.id} «{record.title[:120]}»",
        json.dumps({"items": [item.model_dump(mode="json") for item in items]}, ensure_ascii=False),
    )
    session.commit()
    services.publish_each(session, [commune for _, commune in parts])
    return record
