"""Province-wide programs: normal content placed once for every commune of a province.

A bulletin written and approved at the province (`Bulletin.province_id`) may air in all of its communes.
The province's staff place it once; each commune then receives its own part, an ordinary program of that
commune linked to the province program, so every commune's timetable, conflict checks, week view and
playlist treat it like the commune's own programs. Communes set their own slots, so a part is anchored
at the same exact time everywhere, or in each commune's own slot chosen by rank (the commune's first
slot of the day, its second...) or by name. Creating the parts is one transaction: one commune that
refuses (no such slot, an overfull slot, an overlap, quiet hours) refuses the whole province program,
naming that commune. Communes added to the province later do not receive existing province programs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import model_validator
from sqlmodel import Field, SQLModel

from audio_library.timestamps import UtcDateTime, utc_now
from schedules.commune_hours import BroadcastSlot
from schedules.program_record import ProgramItemCreate, RuleCreate


class ProvinceProgram(SQLModel, table=True):
    __tablename__ = "province_program"

    id: int | None = Field(default=None, primary_key=True)
    province_id: int = Field(foreign_key="province.id", index=True)
    title: str = Field(max_length=300)
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class ProvinceRuleCreate(RuleCreate):
    """A rule as for a commune's program, anchored at `at`, or in each commune's slot by rank or by name."""

    slot_rank: int | None = Field(
        default=None, ge=1, le=10, description="1: each commune's earliest slot, 2: the next one..."
    )
    slot_name: str | None = Field(
        default=None, min_length=1, max_length=64, description="Each commune's slot of this name."
    )

    @model_validator(mode="after")
    def _one_anchor(self) -> ProvinceRuleCreate:
        if self.slot_id is not None:
            raise ValueError("slot ids differ between communes: give slot_rank or slot_name instead of slot_id")
        if sum(anchor is not None for anchor in (self.at, self.slot_rank, self.slot_name)) != 1:
            raise ValueError("give exactly one of at, slot_rank or slot_name")
        return self

    def for_commune(self, slot: BroadcastSlot | None) -> RuleCreate:
        """The rule of one commune's part, in `slot` (None: at the exact time)."""
        fields = self.model_dump(exclude={"slot_rank", "slot_name", "slot_id"})
        return RuleCreate.model_validate({**fields, "slot_id": slot.id if slot is not None else None})


class ProvinceProgramCreate(SQLModel):
    title: str = Field(min_length=1, max_length=300)
    items: list[ProgramItemCreate] = Field(min_length=1, max_length=100)
    rule: ProvinceRuleCreate
    commune_codes: list[str] | None = Field(
        default=None, min_length=1, max_length=5000, description="Only these communes of the province; null: all."
    )


class ProvinceProgramPart(SQLModel):
    commune_code: str
    program_id: int
    slot_id: int | None


class ProvinceProgramPublic(SQLModel):
    id: int
    province_code: str
    title: str
    created_by: int
    created_at: datetime
    parts: list[ProvinceProgramPart]


def choose_slot(slots: Sequence[BroadcastSlot], *, rank: int | None, name: str | None) -> BroadcastSlot | None:
    """A commune's slot by rank (1: the earliest start, whatever its weekdays) or by exact name; None if none."""
    if name is not None:
        wanted = name.strip().casefold()
        return next((slot for slot in slots if slot.name.strip().casefold() == wanted), None)
    if rank is None:
        return None
    ordered = sorted(slots, key=lambda slot: (slot.start_time, slot.end_time, slot.id or 0))
    return ordered[rank - 1] if rank <= len(ordered) else None
