"""Programs, their items and their recurrence rules as stored, and their pure counterparts.

A program belongs to one commune and targets the whole commune, one of its hamlet groups, or some of
its clusters. Its items are approved bulletins (priority and validity come from the bulletin) or stored
audio (jingles, recordings, music). Its rules say when it airs (`schedules.recurrence`).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel, col, select

from audio_library.row_id import DbInteger, RowId
from audio_library.timestamps import UtcDateTime, utc_now
from devices.protocol import Priority
from schedules.errors import InvalidRecurrence
from schedules.local_time import LocalTime
from schedules.program import InterruptPolicy, ItemKind
from schedules.recurrence import Daily, DayPattern, Once, Repeat, Rule, Weekdays

Pattern = Literal["once", "daily", "weekdays"]


class ProgramRecord(SQLModel, table=True):
    __tablename__ = "program"

    id: int | None = Field(default=None, primary_key=True)
    commune_id: int = Field(foreign_key="commune.id", index=True)
    title: str = Field(max_length=300)
    # The officer's explicit place among the programs of a slot (lower first); None: by approval time.
    position: int | None = None
    # Target: a hamlet group of the commune, or a list of its clusters; neither means the whole commune.
    target_group: str | None = Field(default=None, max_length=100)
    target_clusters: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Set when the program is this commune's part of a province-wide program (`ProvinceProgram`).
    province_program_id: int | None = Field(default=None, foreign_key="province_program.id", index=True)
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class ProgramItemRecord(SQLModel, table=True):
    __tablename__ = "program_item"

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    seq: int
    kind: str = Field(max_length=16, description="jingle, bulletin, recording, music or relay")
    bulletin_id: int | None = Field(default=None, foreign_key="bulletin.id")
    audio_sha256: str | None = Field(default=None, foreign_key="audio_asset.sha256", max_length=64)
    title: str = Field(default="", max_length=300)
    # None: the bulletin's priority (normal for other kinds).
    priority: str | None = Field(default=None, max_length=16)
    # None: the kind's default (bulletin restart, recording resume, jingle and music drop).
    on_interrupt: str | None = Field(default=None, max_length=8)
    # A bulletin item: None airs every approved version together (its own language, then each translation,
    # `schedules.translation`); a language code airs only that version, in this item's own place.
    language: str | None = Field(default=None, max_length=3)
    # A relay: the stream source it carries live, and for how long (other kinds take their audio's length).
    stream_source_id: int | None = Field(default=None, foreign_key="stream_source.id", index=True)
    duration_ms: int | None = None


class ScheduleRule(SQLModel, table=True):
    __tablename__ = "schedule_rule"

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    pattern: str = Field(max_length=16, description="once, daily or weekdays")
    day: date | None = None
    weekdays: str = Field(default="", max_length=7)
    at_time: time | None = None
    slot_id: int | None = Field(default=None, foreign_key="broadcast_slot.id")
    from_day: date | None = None
    until_day: date | None = None
    repeat_times: int | None = None
    repeat_every_min: int | None = None
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class ProgramItemCreate(SQLModel):
    kind: ItemKind = "bulletin"
    bulletin_id: RowId | None = None
    stream_source_id: RowId | None = Field(default=None, description="For kind relay: the source it carries.")
    duration_ms: int | None = Field(
        default=None, ge=1000, le=4 * 3600 * 1000, description="For kind relay: how long it relays."
    )
    audio_sha256: str | None = Field(default=None, max_length=64)
    title: str = Field(default="", max_length=300)
    priority: Priority | None = None
    on_interrupt: InterruptPolicy | None = None
    language: str | None = Field(
        default=None,
        max_length=8,
        description="A bulletin item: null airs every approved version together (its own language, then each "
        "translation); a language code (GET /languages) airs only that version, in this item's place.",
    )


class ProgramCreate(SQLModel):
    commune_code: str
    title: str = Field(min_length=1, max_length=300)
    position: DbInteger | None = None
    target_group: str | None = None
    target_clusters: list[str] | None = Field(default=None, max_length=500)
    items: list[ProgramItemCreate] = Field(min_length=1, max_length=100)


class ProgramItemsReplace(SQLModel):
    items: list[ProgramItemCreate] = Field(min_length=1, max_length=100)


class ProgramReorder(SQLModel):
    position: DbInteger | None = Field(
        description="Place among the programs of a slot, lower first; null: by approval."
    )


class ProgramItemPublic(ProgramItemCreate):
    id: int
    seq: int


class RuleCreate(SQLModel):
    pattern: Pattern = "daily"
    day: date | None = None
    weekdays: list[int] = Field(default_factory=list, description="Monday 0 .. Sunday 6, for pattern weekdays.")
    at: LocalTime | None = Field(default=None, description="An exact local time; or give slot_id.")
    slot_id: RowId | None = None
    from_day: date | None = None
    until_day: date | None = None
    repeat_times: int | None = Field(default=None, ge=1, le=100)
    repeat_every_min: int | None = Field(default=None, ge=1, le=24 * 60)


class RulePublic(RuleCreate):
    id: int
    program_id: int


class ProgramPublic(SQLModel):
    id: int
    commune_id: int
    title: str
    position: int | None
    target_group: str | None
    target_clusters: list[str] | None
    province_program_id: int | None = None
    created_by: int
    created_at: datetime
    items: list[ProgramItemPublic]
    rules: list[RulePublic]


def program_items(session: Session, program: ProgramRecord) -> list[ProgramItemRecord]:
    return list(
        session.exec(
            select(ProgramItemRecord)
            .where(ProgramItemRecord.program_id == program.id)
            .order_by(col(ProgramItemRecord.seq))
        )
    )


def program_rules(session: Session, program: ProgramRecord) -> list[ScheduleRule]:
    return list(
        session.exec(select(ScheduleRule).where(ScheduleRule.program_id == program.id).order_by(col(ScheduleRule.id)))
    )


def rule_public(rule: ScheduleRule) -> RulePublic:
    assert rule.id is not None
    return RulePublic(
        id=rule.id,
        program_id=rule.program_id,
        pattern="once" if rule.pattern == "once" else "weekdays" if rule.pattern == "weekdays" else "daily",
        day=rule.day,
        weekdays=[int(d) for d in rule.weekdays],
        at=rule.at_time,
        slot_id=rule.slot_id,
        from_day=rule.from_day,
        until_day=rule.until_day,
        repeat_times=rule.repeat_times,
        repeat_every_min=rule.repeat_every_min,
    )


def program_public(session: Session, program: ProgramRecord) -> ProgramPublic:
    assert program.id is not None
    items = [
        ProgramItemPublic.model_validate({**item.model_dump(), "id": item.id})
        for item in program_items(session, program)
    ]
    return ProgramPublic(
        id=program.id,
        commune_id=program.commune_id,
        title=program.title,
        position=program.position,
        target_group=program.target_group,
        target_clusters=program.target_clusters,
        province_program_id=program.province_program_id,
        created_by=program.created_by,
        created_at=program.created_at,
        items=items,
        rules=[rule_public(rule) for rule in program_rules(session, program)],
    )


def to_rule(record: ScheduleRule, slot_key: str | None) -> Rule:
    """The pure rule; raises InvalidRecurrence with a Vietnamese message when it does not make sense."""
    pattern: DayPattern
    if record.pattern == "once":
        if record.day is None:
            raise InvalidRecurrence("a one-off rule needs its day", message_vi="Lịch phát một lần phải có ngày phát.")
        pattern = Once(record.day)
    elif record.pattern == "weekdays":
        pattern = Weekdays(frozenset(int(d) for d in record.weekdays))
    else:
        pattern = Daily()
    repeat = (
        Repeat(record.repeat_times, record.repeat_every_min or 1)
        if record.repeat_times is not None and record.repeat_times > 1
        else None
    )
    return Rule(
        pattern,
        at=record.at_time,
        slot_key=slot_key,
        from_day=record.from_day,
        until_day=record.until_day,
        repeat=repeat,
    )
