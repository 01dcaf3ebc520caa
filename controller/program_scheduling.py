"""Changing a commune's programs: create one, its rules and items, remove them; each change checked.

Shared by the API (`controller.api.programs`), the console's week page and province programs
(`controller.province_scheduling`). Functions flush but do not commit: the caller publishes (which
commits) or, on a refusal, rolls back, so nothing of a refused change is kept. A commune's part of a
province program is changed only by the province's staff (`require_part_owner`).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel import Session

from audio_library import AudioAsset
from controller.accounts import Role, User
from controller.bulletin_scope import check_airs_in, require_province
from controller.deps import require_commune, require_role
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
from schedules.clearance import require_cleared
from schedules.commune_hours import BroadcastSlot
from schedules.errors import (
    AudioMissing,
    InvalidRecurrence,
    InvalidRelay,
    NotCleared,
    StreamSourceNotFound,
    TranslationNotApproved,
)
from schedules.hamlet import load_registry
from schedules.local_time import at_wall_clock
from schedules.program_record import (
    ProgramCreate,
    ProgramItemCreate,
    ProgramItemRecord,
    ProgramRecord,
    RuleCreate,
    ScheduleRule,
    program_items,
    program_rules,
)
from schedules.settings import SchedulerSettings
from schedules.stream_source import get_source, relayable_in
from schedules.timetable import commune_timetable
from schedules.translation import airing_versions, translation_language

# A new rule is checked (overfull slots, overlaps, quiet hours) over the week from its first day: every
# weekday of a weekly pattern occurs once, so a clash that can happen at all shows up in that week.
VALIDATION_WINDOW = timedelta(days=7)


def commune_for_write(session: Session, user: User, commune_id: int) -> Commune:
    require_role(user, Role.OFFICER, Role.ADMIN)
    commune = session.get(Commune, commune_id)
    assert commune is not None
    require_commune(session, user, commune)
    return commune


def require_part_owner(session: Session, user: User, program: ProgramRecord) -> None:
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


def load_program(session: Session, program_id: int) -> ProgramRecord:
    program = session.get(ProgramRecord, program_id)
    if program is None:
        raise NotFound(f"no program {program_id}", message_vi="Không tìm thấy chương trình.")
    return program


def check_language_airs(session: Session, bulletin: Bulletin, language: str) -> None:
    """A program item placing one language: the bulletin's own, or a version approved with it that has audio."""
    translation_language(session, language)
    if language == bulletin.language:
        return
    if not any(version.language == language for version in airing_versions(session, bulletin)):
        raise TranslationNotApproved(f"bulletin {bulletin.id} has no approved {language} version with audio")


def check_item(session: Session, commune: Commune, item: ProgramItemRecord) -> None:
    if item.kind == "relay" or item.stream_source_id is not None:
        _check_relay(session, commune, item)
        return
    if item.duration_ms is not None:
        raise InvalidRelay(f"program item {item.seq}: a duration is only for a relay")
    if item.bulletin_id is not None:
        bulletin = session.get(Bulletin, item.bulletin_id)
        if bulletin is None:
            raise BulletinNotFound(f"no bulletin {item.bulletin_id}")
        check_airs_in(bulletin, commune)
        if bulletin.status != BulletinStatus.APPROVED or bulletin.audio_sha256 is None:
            raise NotApproved(f"bulletin {bulletin.id} is {bulletin.status}")
        if item.language is not None:
            check_language_airs(session, bulletin, item.language)
    elif item.language is not None:
        raise TranslationNotApproved(
            "only a bulletin item names a language",
            message_vi=f"Mục thứ {item.seq + 1}: chỉ mục bản tin mới chọn được ngôn ngữ.",
        )
    # A bulletin item may also name audio; whatever is named must exist (the column is a foreign key).
    if (item.bulletin_id is None or item.audio_sha256 is not None) and (
        item.audio_sha256 is None or session.get(AudioAsset, item.audio_sha256) is None
    ):
        raise AudioMissing(
            f"program item {item.seq}: no audio {item.audio_sha256!r}",
            message_vi=f"Mục thứ {item.seq + 1} của chương trình chưa có tệp âm thanh.",
        )
    if item.audio_sha256 is not None:
        # Audio named by an item is the approved content of this commune, or nothing (`schedules.clearance`).
        try:
            require_cleared(session, commune, item.audio_sha256)
        except NotCleared as exc:
            raise NotCleared(
                str(exc),
                message_vi=f"Mục thứ {item.seq + 1}: chỉ được dùng âm thanh của bản tin đã duyệt cho xã này.",
            ) from exc


def _check_relay(session: Session, commune: Commune, item: ProgramItemRecord) -> None:
    """A relay names a source the commune may carry and how long; nothing else."""
    place = f"Mục thứ {item.seq + 1}"
    if item.kind != "relay" or item.bulletin_id is not None or item.audio_sha256 is not None:
        raise InvalidRelay(
            f"program item {item.seq}: a relay names only a stream source and a duration",
            message_vi=f"{place}: mục tiếp sóng chỉ gồm nguồn tiếp sóng và thời lượng.",
        )
    if item.stream_source_id is None or item.duration_ms is None:
        raise InvalidRelay(
            f"program item {item.seq}: a relay needs stream_source_id and duration_ms",
            message_vi=f"{place}: mục tiếp sóng cần chọn nguồn và thời lượng.",
        )
    source = get_source(session, item.stream_source_id)
    if not relayable_in(source, commune):
        raise StreamSourceNotFound(f"stream source {source.id} is another province's")


def add_program(session: Session, user: User, data: ProgramCreate) -> ProgramRecord:
    """The program and its items, flushed but not committed (the console commits it with its rule)."""
    require_role(user, Role.OFFICER, Role.ADMIN)
    commune = get_commune(session, data.commune_code)
    require_commune(session, user, commune)
    assert commune.id is not None and user.id is not None
    if data.target_group:
        resolve_target(HamletGroupTarget(commune.code, data.target_group), load_registry(session, commune))
    if data.target_clusters:
        # Every commune's: a cluster of another commune is refused as such, not as unknown.
        reached = resolve_target(ClusterTarget(frozenset(data.target_clusters)), load_registry(session))
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
        check_item(session, commune, record)
        session.add(record)
    session.flush()
    return program


def remove_program(session: Session, program: ProgramRecord) -> None:
    """Delete the program with its items and rules (flushed, not committed)."""
    for rule in program_rules(session, program):
        session.delete(rule)
    for item in program_items(session, program):
        session.delete(item)
    session.flush()
    session.delete(program)
    session.flush()


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
        check_item(session, commune, record)
        session.add(record)
    session.flush()
    rules: list[ScheduleRule | None] = [*program_rules(session, program)] or [None]
    for rule in rules:
        validate(session, commune, services.settings.scheduler, services.clock(), program, rule, new_rule=False)


def add_rule(
    session: Session, user: User, services: Services, program_id: int, data: RuleCreate
) -> tuple[ScheduleRule, Commune]:
    """The rule, flushed and checked against the commune's timetable but not committed; and its commune.

    The caller publishes (which commits); a refusal raises, and the caller's rollback drops the rule.
    """
    program = load_program(session, program_id)
    commune = commune_for_write(session, user, program.commune_id)
    require_part_owner(session, user, program)
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
    validate(session, commune, services.settings.scheduler, services.clock(), program, rule)
    return rule, commune


def validate(
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


def remove_rule(session: Session, user: User, rule_id: int) -> Commune:
    """Delete the rule (flushed); its commune, for the caller to publish."""
    rule = session.get(ScheduleRule, rule_id)
    if rule is None:
        raise NotFound(f"no rule {rule_id}", message_vi="Không tìm thấy lịch phát.")
    program = load_program(session, rule.program_id)
    commune = commune_for_write(session, user, program.commune_id)
    require_part_owner(session, user, program)
    session.delete(rule)
    session.flush()
    return commune
