"""A commune's broadcast slots, quiet hours and hamlet groups."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlmodel import select

from audio_library.row_id import RowId
from controller.broadcast_hours import add_slot, remove_slot, set_quiet_hours, writable_commune
from controller.deps import CurrentUser, ServicesDep, SessionDep, require_commune
from controller.errors import Conflict
from devices.registry import Commune, get_commune
from schedules import HamletGroupTarget, Registry, resolve_target
from schedules.commune_hours import (
    QuietHoursPublic,
    SlotCreate,
    SlotPublic,
    commune_quiet_hours,
    commune_slots,
    slot_public,
)
from schedules.hamlet import HamletGroup, HamletGroupCreate, HamletGroupPublic, load_registry

router = APIRouter(tags=["slots"])


@router.get("/communes/{commune_code}/slots")
def list_slots(commune_code: str, session: SessionDep, user: CurrentUser) -> list[SlotPublic]:
    commune = get_commune(session, commune_code)
    require_commune(session, user, commune)
    return [slot_public(record) for record in commune_slots(session, commune)]


@router.post("/communes/{commune_code}/slots", status_code=201)
def create_slot(
    commune_code: str, data: SlotCreate, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> SlotPublic:
    """Add a daily window; refused if it overlaps another slot of the commune or touches its quiet hours."""
    record = add_slot(session, services, user, commune_code, data)
    public = slot_public(record)
    commune = session.get(Commune, record.commune_id)
    assert commune is not None
    services.publish(session, commune)
    return public


@router.delete("/slots/{slot_id}", status_code=204)
def delete_slot(slot_id: RowId, session: SessionDep, user: CurrentUser, services: ServicesDep) -> Response:
    services.publish(session, remove_slot(session, user, slot_id))
    return Response(status_code=204)


@router.get("/communes/{commune_code}/quiet-hours")
def get_quiet_hours(
    commune_code: str, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> QuietHoursPublic:
    commune = get_commune(session, commune_code)
    require_commune(session, user, commune)
    quiet = commune_quiet_hours(session, commune, services.settings.scheduler.planning().quiet)
    return QuietHoursPublic(start_time=quiet.start, end_time=quiet.end)


@router.put("/communes/{commune_code}/quiet-hours")
def put_quiet_hours(
    commune_code: str, data: QuietHoursPublic, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> QuietHoursPublic:
    """Set the commune's own quiet hours; normal items now inside them leave the playlist at once."""
    services.publish(session, set_quiet_hours(session, services, user, commune_code, data))
    return data


@router.get("/communes/{commune_code}/hamlet-groups")
def list_groups(commune_code: str, session: SessionDep, user: CurrentUser) -> list[HamletGroupPublic]:
    commune = get_commune(session, commune_code)
    require_commune(session, user, commune)
    groups = session.exec(select(HamletGroup).where(HamletGroup.commune_id == commune.id))
    return [HamletGroupPublic.model_validate(group) for group in groups]


@router.post("/communes/{commune_code}/hamlet-groups", status_code=201)
def create_group(
    commune_code: str, data: HamletGroupCreate, session: SessionDep, user: CurrentUser
) -> HamletGroupPublic:
    """Name a group of the commune's clusters; refused if it lists a cluster of another commune or none."""
    commune = writable_commune(session, user, commune_code)
    assert commune.id is not None
    exists = session.exec(
        select(HamletGroup).where(HamletGroup.commune_id == commune.id, HamletGroup.name == data.name)
    ).first()
    if exists is not None:
        raise Conflict(f"group {data.name!r} exists", message_vi=f"Nhóm thôn “{data.name}” đã có.")
    group = HamletGroup(commune_id=commune.id, name=data.name, clusters=sorted(set(data.clusters)))
    registry = load_registry(session)
    groups = {**registry.hamlet_groups, commune.code: {data.name: group.clusters}}
    resolve_target(HamletGroupTarget(commune.code, data.name), Registry(registry.communes, registry.provinces, groups))
    session.add(group)
    session.commit()
    return HamletGroupPublic.model_validate(group)
