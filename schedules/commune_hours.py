"""A commune's broadcast slots and its quiet hours, as stored, and their pure counterparts.

Each commune sets its own slots (e.g. 06:00-06:30 and 17:00-17:30 daily). Quiet hours default to
21:00-05:30 (`schedules.quiet_hours`); a commune may store its own window instead.
"""

from __future__ import annotations

from datetime import time

from sqlmodel import Field, Session, SQLModel, col, select

from devices.registry import Commune
from schedules.errors import InvalidSlot
from schedules.local_time import LocalTime
from schedules.quiet_hours import QuietHours
from schedules.slot import WEEKDAY_NAMES_VI, Slot

ALL_WEEKDAYS = "0123456"


class SlotBase(SQLModel):
    name: str = Field(default="", max_length=64, description="How rules refer to it; empty: its start ('06:00').")
    start_time: LocalTime
    end_time: LocalTime
    weekdays: list[int] = Field(default_factory=lambda: list(range(7)), description="Monday 0 .. Sunday 6.")


class BroadcastSlot(SQLModel, table=True):
    __tablename__ = "broadcast_slot"

    id: int | None = Field(default=None, primary_key=True)
    commune_id: int = Field(foreign_key="commune.id", index=True)
    name: str = Field(default="", max_length=64)
    start_time: time
    end_time: time
    # The weekdays as digits, Monday 0 .. Sunday 6 (e.g. "01234" for Monday to Friday).
    weekdays: str = Field(default=ALL_WEEKDAYS, max_length=7)

    def to_slot(self) -> Slot:
        return Slot(self.start_time, self.end_time, frozenset(int(d) for d in self.weekdays), self.name)


class SlotCreate(SlotBase):
    pass


class SlotPublic(SlotBase):
    id: int
    commune_id: int
    key: str


def slot_public(record: BroadcastSlot) -> SlotPublic:
    assert record.id is not None
    return SlotPublic(
        id=record.id,
        commune_id=record.commune_id,
        name=record.name,
        start_time=record.start_time,
        end_time=record.end_time,
        weekdays=[int(d) for d in record.weekdays],
        key=record.to_slot().key,
    )


def weekdays_text(weekdays: list[int]) -> str:
    if not weekdays or any(d not in range(7) for d in weekdays):
        raise InvalidSlot(
            f"weekdays {weekdays} must be a non-empty subset of 0..6",
            message_vi="Phải chọn ít nhất một ngày trong tuần (" + ", ".join(WEEKDAY_NAMES_VI) + ").",
        )
    return "".join(str(d) for d in sorted(set(weekdays)))


class CommuneQuietHours(SQLModel, table=True):
    """A commune's own quiet hours, replacing the default 21:00-05:30."""

    __tablename__ = "commune_quiet_hours"

    commune_id: int = Field(foreign_key="commune.id", primary_key=True)
    start_time: time
    end_time: time


class QuietHoursPublic(SQLModel):
    start_time: LocalTime
    end_time: LocalTime


def commune_slots(session: Session, commune: Commune) -> list[BroadcastSlot]:
    return list(
        session.exec(
            select(BroadcastSlot).where(BroadcastSlot.commune_id == commune.id).order_by(col(BroadcastSlot.start_time))
        )
    )


def commune_quiet_hours(session: Session, commune: Commune, default: QuietHours) -> QuietHours:
    """The commune's own quiet hours, or `default` (the settings') when it stores none."""
    stored = session.get(CommuneQuietHours, commune.id)
    if stored is None:
        return default
    return QuietHours(stored.start_time, stored.end_time, default.zone)
