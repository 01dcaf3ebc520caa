"""A commune's broadcast slots and quiet hours, changed and checked: shared by the API and the console.

Functions flush but do not commit; the caller publishes the commune (which commits) or, on a refusal,
rolls back.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from controller.accounts import Role, User
from controller.deps import require_commune, require_role
from controller.errors import Conflict, NotFound
from controller.services import Services
from devices.registry import Commune, get_commune
from schedules import QuietHours, validate_slots
from schedules.commune_hours import (
    BroadcastSlot,
    CommuneQuietHours,
    QuietHoursPublic,
    SlotCreate,
    commune_quiet_hours,
    commune_slots,
    weekdays_text,
)
from schedules.errors import QuietHoursViolation


def writable_commune(session: Session, user: User, code: str) -> Commune:
    require_role(user, Role.OFFICER, Role.ADMIN)
    commune = get_commune(session, code)
    require_commune(session, user, commune)
    return commune


def add_slot(session: Session, services: Services, user: User, commune_code: str, data: SlotCreate) -> BroadcastSlot:
    """A new daily window; refused if it overlaps another slot of the commune or touches its quiet hours."""
    commune = writable_commune(session, user, commune_code)
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
    return record


def remove_slot(session: Session, user: User, slot_id: int) -> Commune:
    """Delete the slot; refused while a rule uses it. Its commune, for the caller to publish."""
    record = session.get(BroadcastSlot, slot_id)
    commune = session.get(Commune, record.commune_id) if record is not None else None
    if record is None or commune is None:
        raise NotFound(f"no slot {slot_id}", message_vi="Không tìm thấy khung giờ phát.")
    writable_commune(session, user, commune.code)
    session.delete(record)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(
            f"slot {slot_id} is used by schedule rules",
            message_vi="Khung giờ đang được dùng trong lịch phát, hãy xóa các lịch đó trước.",
        ) from exc
    return commune


def set_quiet_hours(
    session: Session, services: Services, user: User, commune_code: str, data: QuietHoursPublic
) -> Commune:
    """Store the commune's own quiet hours; refused if a slot would fall in them. The commune, to publish."""
    commune = writable_commune(session, user, commune_code)
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
    return commune
