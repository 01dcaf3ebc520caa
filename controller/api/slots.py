"""A commune's broadcast slots, quiet hours and hamlet groups."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from controller.accounts import Role, User
from controller.deps import CurrentUser, ServicesDep, SessionDep, require_commune, require_role
from controller.errors import Conflict, NotFound
from devices.registry import Commune, get_commune
from schedules import HamletGroupTarget, QuietHours, Registry, resolve_target, validate_slots
from schedules.commune_hours import (
    BroadcastSlot,
    CommuneQuietHours,
    QuietHoursPublic,
    SlotCreate,
    SlotPublic,
    commune_quiet_hours,
    commune_slots,
    slot_public,
    weekdays_text,
)
from schedules.errors import QuietHoursViolation
from schedules.hamlet import HamletGroup, HamletGroupCreate, HamletGroupPublic, load_registry

router = APIRouter(tags=["slots"])


def _writable_commune(session: Session, user: User, code: str) -> Commune:
    require_role(user, Role.OFFICER, Role.ADMIN)
    commune = get_commune(session, code)
    require_commune(session, user, commune)
    return commune


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
    commune = _writable_commune(session, user, commune_code)
    assert commune.id is not None
    record = BroadcastSlot(
        commune_id=commune.id,
        name=data.name,
        start_time=data.start_time,
        end_time=data.end_time,
        weekdays=weekdays_text(data.weekdays),
    )
    slot = record.to_slot()
    validate_slots([r.to_slot() for r in commune_slots(session, commune)] + [slot])
    commune_quiet_hours(session, commune, services.settings.scheduler.planning().quiet).check_slot(slot)
    session.add(record)
    session.flush()
    public = slot_public(record)
    services.publish(session, commune)
    return public


@router.delete("/slots/{slot_id}", status_code=204)
def delete_slot(slot_id: int, session: SessionDep, user: CurrentUser, services: ServicesDep) -> Response:
    record = session.get(BroadcastSlot, slot_id)
    commune = session.get(Commune, record.commune_id) if record is not None else None
    if record is None or commune is None:
        raise NotFound(f"no slot {slot_id}", message_vi="Không tìm thấy khung giờ phát.")
    _writable_commune(session, user, commune.code)
    session.delete(record)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(
            f"slot {slot_id} is used by schedule rules",
            message_vi="Khung giờ đang được dùng trong lịch phát, hãy xóa các lịch đó trước.",
        ) from exc
    services.publish(session, commune)
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
def set_quiet_hours(
    commune_code: str, data: QuietHoursPublic, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> QuietHoursPublic:
    """Set the commune's own quiet hours; normal items now inside them leave the playlist at once."""
    commune = _writable_commune(session, user, commune_code)
    assert commune.id is not None
    if data.start_time == data.end_time:
        raise QuietHoursViolation(
            "quiet hours need a start different from their end",
            message_vi="Giờ yên lặng phải có giờ bắt đầu khác giờ kết thúc.",
        )
    quiet = QuietHours(data.start_time, data.end_time, services.settings.scheduler.planning().zone)
    quiet.check_slots(r.to_slot() for r in commune_slots(session, commune))
    stored = session.get(CommuneQuietHours, commune.id) or CommuneQuietHours(
        commune_id=commune.id, start_time=data.start_time, end_time=data.end_time
    )
    stored.start_time, stored.end_time = data.start_time, data.end_time
    session.add(stored)
    session.flush()
    services.publish(session, commune)
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
    commune = _writable_commune(session, user, commune_code)
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
