"""A commune's timetable compiled from the database: rules expanded, slots compiled, quiet hours and
emergencies applied, ready to become the nodes' playlist.

The steps, all pure functions of `schedules` fed with stored data:
1. every program's rules are expanded over the window (`expand_rule`); items due in one slot occurrence
   are ordered and timed together (`compile_slot`, which refuses an overfull slot), items at an exact
   time are laid back to back (`compile_airing`); one-off broadcasts join as they are;
2. unapproved content never enters (a bulletin must be approved now and valid at its start);
3. non-emergency items touching quiet hours are dropped, with a reason;
4. emergencies are replayed in order of start with the start fixed when issued, each on the clusters it
   reaches only (`schedules.preemption.preempt`).
With `check_conflicts`, two items of different programs airing at once on a shared cluster are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, select

from audio_library import AudioAsset
from devices.protocol import StockRef, StreamSpec, stream_asset_sha256
from devices.registry import Commune
from schedules.broadcast import Broadcast, commune_entries
from schedules.bulletin import Bulletin, BulletinStatus, airs_in
from schedules.clearance import cleared_audio, clearing_bulletin
from schedules.commune_hours import commune_quiet_hours, commune_slots
from schedules.conflict import Airing, ProgramAirings, check_no_conflict
from schedules.emergency import TimelineItem
from schedules.emergency_order import EmergencyOrder, commune_emergencies, order_audio
from schedules.errors import ScheduleError, SlotOverfull
from schedules.hamlet import load_registry
from schedules.local_time import at_wall_clock, hhmm, local
from schedules.planning import Planning
from schedules.playlist import PlaylistEntry
from schedules.preemption import Emergency, preempt
from schedules.program import InterruptPolicy, ItemKind, Program, ProgramItem, ScheduledItem, airing_id, place_program
from schedules.program_record import ProgramItemRecord, ProgramRecord, program_items, program_rules, to_rule
from schedules.quiet_hours import QuietHours
from schedules.recurrence import expand_rule
from schedules.slot import Slot, SlotOccurrence
from schedules.slot_plan import DroppedItem, SlotPlan, compile_airing, compile_slot
from schedules.stream_source import StreamSource, relay_fill, relayable_in
from schedules.target import Registry
from schedules.translation import airing_versions

DEFAULT_PLANNING = Planning()


@dataclass(frozen=True)
class Content:
    """What an item plays and for whom: its audio, whether it may air, and its clusters (None: all)."""

    sha256: str
    codec: str
    approved: bool
    clusters: frozenset[str] | None = None
    group: str = ""  # the program (or broadcast) it comes from, for conflict messages
    stream: StreamSpec | None = None  # a relay: the live stream instead of audio


@dataclass(frozen=True)
class Timetable:
    """A commune's items in a window, by start; `content` is keyed by item id without continuation suffix.

    After an emergency for part of the commune, one id can appear twice, for disjoint clusters (cut short
    where the emergency plays, whole elsewhere): `clusters_of` says which.
    """

    commune: str
    items: tuple[TimelineItem, ...]
    content: Mapping[str, Content]
    dropped: tuple[DroppedItem, ...] = ()
    group_titles: Mapping[str, str] = field(default_factory=dict)

    def content_of(self, item_id: str) -> Content:
        return self.content[item_id.split("~", 1)[0]]

    def clusters_of(self, item: TimelineItem) -> frozenset[str] | None:
        """The clusters this airing of the item is for (None: all): its own, else its content's."""
        return item.clusters if item.clusters is not None else self.content_of(item.item_id).clusters

    def entries(self) -> list[PlaylistEntry]:
        """The items as playlist entries (see `schedules.playlist.compile_playlist`)."""
        result = []
        for item in self.items:
            content = self.content_of(item.item_id)
            result.append(
                PlaylistEntry(
                    item_id=item.item_id,
                    title=item.title,
                    priority=item.priority,
                    approved=content.approved,
                    asset_sha256=content.sha256,
                    codec=content.codec,
                    duration_ms=item.duration_ms,
                    starts_at=item.starts_at,
                    offset_ms=item.offset_ms,
                    clusters=self.clusters_of(item),
                    stream=content.stream,
                )
            )
        return result


@dataclass
class _Builder:
    session: Session
    commune: Commune
    planning: Planning
    registry: Registry  # this commune's clusters and hamlet groups only
    items: list[TimelineItem] = field(default_factory=list)
    content: dict[str, Content] = field(default_factory=dict)
    dropped: list[DroppedItem] = field(default_factory=list)
    group_titles: dict[str, str] = field(default_factory=dict)

    def add_plan(
        self, plan: SlotPlan, program: Program, clusters: frozenset[str] | None, assets: Mapping[str, Content]
    ) -> None:
        self.dropped.extend(plan.dropped)
        for planned in plan.items:
            item = planned.scheduled.item
            self.items.append(
                TimelineItem(
                    planned.item_id,
                    item.title,
                    item.priority,
                    item.duration_ms,
                    planned.starts_at,
                    on_interrupt=item.interrupt_policy,
                    slot_ends_at=plan.ends_at,
                    clusters=clusters,
                    unit=item.unit,
                    live=item.kind == "relay",
                )
            )
            asset = assets[item.ref_id]
            self.content[planned.item_id] = Content(
                asset.sha256, asset.codec, asset.approved, clusters, group=program.program_id, stream=asset.stream
            )


_KINDS: dict[str, ItemKind] = {
    "jingle": "jingle",
    "bulletin": "bulletin",
    "recording": "recording",
    "music": "music",
    "relay": "relay",
}
_POLICIES: dict[str, InterruptPolicy] = {"resume": "resume", "restart": "restart", "drop": "drop"}


def _program_items(session: Session, commune: Commune, record: ProgramItemRecord) -> list[tuple[ProgramItem, Content]]:
    """The pure items and their audio; none when it cannot air here (not approved for this commune, audio gone).

    A bulletin item is one item per version that may air: the bulletin's own, then each version in
    another language approved with it (`schedules.translation`), as one unit; an item naming a language
    (`record.language`) is only that version, in its own place.
    """
    kind = _KINDS.get(record.kind, "music")
    policy = _POLICIES.get(record.on_interrupt or "")
    if kind == "relay":
        relay = _relay_item(session, commune, record, policy)
        return [relay] if relay is not None else []
    if record.bulletin_id is not None:
        bulletin = session.get(Bulletin, record.bulletin_id)
        if bulletin is None or bulletin.status != BulletinStatus.APPROVED or bulletin.audio_sha256 is None:
            return []
        assert commune.id is not None
        if not airs_in(bulletin, commune.id, commune.province_id):
            return []
        priority = record.priority or bulletin.priority
        versions: list[tuple[str, str, str]] = []  # (ref suffix, title, audio)
        if record.language in (None, bulletin.language):
            versions.append(("", record.title or bulletin.title, bulletin.audio_sha256))
        if record.language != bulletin.language:
            versions.extend(
                (f":{version.language}", version.title, version.approved_sha256)
                for version in airing_versions(session, bulletin)
                if record.language in (None, version.language) and version.approved_sha256 is not None
            )
        unit = f"bulletin:{bulletin.id}" if len(versions) > 1 else ""
        items = []
        for suffix, title, sha256 in versions:
            asset = session.get(AudioAsset, sha256)
            if asset is None:
                continue
            item = ProgramItem(
                kind,
                f"bulletin:{bulletin.id}{suffix}",
                title,
                asset.duration_ms,
                priority="emergency" if priority == "emergency" else "priority" if priority == "priority" else "normal",
                valid_from=bulletin.valid_from,
                valid_until=bulletin.valid_until,
                on_interrupt=policy,
                unit=unit,
            )
            items.append((item, Content(asset.sha256, asset.codec, True)))
        return items
    asset = session.get(AudioAsset, record.audio_sha256) if record.audio_sha256 else None
    # Bare audio airs only if it is approved content of this commune (`schedules.clearance`), and only
    # within the validity of the bulletin it belongs to.
    if asset is None or not cleared_audio(session, commune, [asset.sha256]):
        return []
    owner = clearing_bulletin(session, commune, asset.sha256)
    item = ProgramItem(
        kind,
        f"asset:{asset.sha256}",
        record.title or asset.sha256[:12],
        asset.duration_ms,
        priority="priority" if record.priority == "priority" else "normal",
        valid_from=owner.valid_from if owner is not None else None,
        valid_until=owner.valid_until if owner is not None else None,
        on_interrupt=policy,
    )
    return [(item, Content(asset.sha256, asset.codec, True))]


def _relay_item(
    session: Session, commune: Commune, record: ProgramItemRecord, policy: InterruptPolicy | None
) -> tuple[ProgramItem, Content] | None:
    """A relay of a stream source readable in the commune (national, or its province's), with its fill."""
    source = session.get(StreamSource, record.stream_source_id) if record.stream_source_id is not None else None
    if source is None or record.duration_ms is None or not relayable_in(source, commune):
        return None
    fill = relay_fill(session, commune.id) if commune.id is not None else None
    spec = StreamSpec(
        url=source.url,
        source=source.name,
        fill=StockRef(key=fill.stock_key, language=fill.stock_language) if fill and fill.stock_key else None,
    )
    item = ProgramItem(
        "relay",
        f"stream:{source.id}",
        record.title or source.name,
        record.duration_ms,
        priority="priority" if record.priority == "priority" else "normal",
        on_interrupt=policy,
    )
    return item, Content(stream_asset_sha256(source.url), "opus", True, stream=spec)


def _clusters_of(registry: Registry, commune: Commune, program: ProgramRecord) -> frozenset[str] | None:
    """The active clusters the program reaches (None: the whole commune).

    Targets were checked when the program was made; a cluster revoked or a group emptied since then only
    narrows what it reaches, rather than stopping the whole commune's timetable from compiling.
    """
    active = frozenset(registry.communes.get(commune.code, ()))
    if program.target_group:
        return frozenset(registry.hamlet_groups.get(commune.code, {}).get(program.target_group, ())) & active
    if program.target_clusters:
        return frozenset(program.target_clusters) & active
    return None


def commune_timetable(
    session: Session,
    commune: Commune,
    *,
    start: datetime,
    end: datetime,
    planning: Planning = DEFAULT_PLANNING,
    check_conflicts: bool = False,
    changed: str | None = None,
) -> Timetable:
    """The commune's items starting in [start, end) (see the module docstring).

    With `check_conflicts` (a change being checked), the core's errors are raised: the change is refused.
    Without (publishing, issuing an emergency, showing the week), a stored rule that no longer makes sense
    or a slot that no longer holds its items (a recording replaced by a longer one) drops what it affects,
    with a reason, instead of stopping the whole commune, whose other items and emergencies must still air.
    """
    assert commune.id is not None
    records = commune_slots(session, commune)
    slots: dict[int, Slot] = {r.id: r.to_slot() for r in records if r.id is not None}
    zone, gap = planning.zone, planning.gap
    quiet = commune_quiet_hours(session, commune, planning.quiet)
    build = _Builder(session, commune, planning, load_registry(session, commune))
    by_slot: dict[tuple[str, datetime], tuple[SlotOccurrence, list[ScheduledItem]]] = {}
    programs: dict[str, tuple[Program, frozenset[str] | None, dict[str, Content]]] = {}
    for record in session.exec(select(ProgramRecord).where(ProgramRecord.commune_id == commune.id)):
        usable = [part for item in program_items(session, record) for part in _program_items(session, commune, item)]
        if not usable:
            continue
        program = Program(
            f"p{record.id}", record.title, tuple(i for i, _ in usable), record.created_at, record.position
        )
        assets = {item.ref_id: content for item, content in usable}
        clusters = _clusters_of(build.registry, commune, record)
        programs[program.program_id] = (program, clusters, assets)
        build.group_titles[program.program_id] = program.title
        for rule_record in program_rules(session, record):
            slot_key = slots[rule_record.slot_id].key if rule_record.slot_id in slots else None
            try:
                occurrences = expand_rule(
                    to_rule(rule_record, slot_key), start, end, slots=list(slots.values()), zone=zone
                )
            except ScheduleError as exc:
                if check_conflicts:
                    raise
                build.dropped.append(_unusable_rule(program, exc))
                continue
            for occurrence in occurrences:
                if occurrence.slot is not None:
                    key = (occurrence.slot.key, occurrence.slot.starts_at)
                    due = by_slot.setdefault(key, (occurrence.slot, []))[1]
                    due.extend(place_program(program, occurrence))
                else:
                    scheduled = [
                        ScheduledItem(
                            airing_id(program.program_id, i, occurrence),
                            item,
                            program.created_at,
                            program.position,
                            f"{program.program_id}/{occurrence.repeat_index}",
                            i,
                            occurrence.starts_at,
                        )
                        for i, item in enumerate(program.items)
                    ]
                    build.add_plan(compile_airing(occurrence.starts_at, scheduled, gap=gap), program, clusters, assets)
    for slot_occurrence, due in by_slot.values():
        plan = _compile_slot(build, slot_occurrence, due, strict=check_conflicts)
        for planned in plan.items:
            program, clusters, assets = programs[planned.scheduled.group.split("/", 1)[0]]
            build.add_plan(SlotPlan(plan.starts_at, plan.ends_at, (planned,)), program, clusters, assets)
        build.dropped.extend(plan.dropped)
    for entry in commune_entries(session, commune, since=start):
        if entry.starts_at >= end or not entry.approved:  # approval lost, or not valid at its airtime
            continue
        broadcast = session.get(Broadcast, int(entry.item_id.removeprefix("b")))
        policy = _POLICIES.get((broadcast.on_interrupt if broadcast else None) or "restart", "restart")
        build.items.append(
            TimelineItem(
                entry.item_id, entry.title, entry.priority, entry.duration_ms, entry.starts_at, on_interrupt=policy
            )
        )
        build.content[entry.item_id] = Content(entry.asset_sha256, entry.codec, entry.approved, group=entry.item_id)
        build.group_titles[entry.item_id] = entry.title
    _drop_quiet(build, quiet)
    if check_conflicts:
        _check_conflicts(build, changed)
    else:
        _drop_overlaps(build)
    _apply_emergencies(build, quiet, since=start)
    items = tuple(sorted(build.items, key=lambda i: (i.starts_at, i.item_id)))
    return Timetable(commune.code, items, dict(build.content), tuple(build.dropped), dict(build.group_titles))


def _unusable_rule(program: Program, error: ScheduleError) -> DroppedItem:
    return DroppedItem(
        program.program_id,
        program.title,
        "invalid_rule",
        f"“{program.title}” không được phát: lịch phát không còn hợp lệ ({error.message_vi}). Cần sửa lại lịch.",
    )


def _compile_slot(build: _Builder, occurrence: SlotOccurrence, due: list[ScheduledItem], *, strict: bool) -> SlotPlan:
    """The slot's plan; not `strict`, the items that no longer fit are dropped and the rest still air."""
    try:
        return compile_slot(occurrence, due, gap=build.planning.gap)
    except SlotOverfull as exc:
        if strict:
            raise
        overflowing = {item_id for item_id, _ in exc.overflowing}
        for scheduled in due:
            if scheduled.item_id in overflowing:
                build.dropped.append(
                    DroppedItem(
                        scheduled.item_id,
                        scheduled.item.title,
                        "slot_overfull",
                        f"“{scheduled.item.title}” không được phát: khung giờ {occurrence.key} không còn đủ chỗ.",
                    )
                )
        # Greedy placement: dropping the items that did not fit leaves the others where they were.
        return compile_slot(occurrence, [s for s in due if s.item_id not in overflowing], gap=build.planning.gap)


def day_timetable(session: Session, commune: Commune, day: date, planning: Planning = DEFAULT_PLANNING) -> Timetable:
    """What plays on the commune on local day `day` ("what will play on commune X tomorrow")."""
    start = at_wall_clock(day, time(0), planning.zone)
    end = at_wall_clock(day + timedelta(days=1), time(0), planning.zone)
    return commune_timetable(session, commune, start=start, end=end, planning=planning)


def _drop_quiet(build: _Builder, quiet: QuietHours) -> None:
    kept = []
    for item in build.items:
        if item.priority != "emergency" and quiet.overlaps(item.starts_at, item.ends_at):
            build.dropped.append(
                DroppedItem(
                    item.item_id,
                    item.title,
                    "quiet_hours",
                    f"“{item.title}” không thể phát lúc {hhmm(local(item.starts_at, quiet.zone))}: nằm trong giờ "
                    f"yên lặng {quiet.label}, chỉ tin khẩn cấp được phát.",
                )
            )
        else:
            kept.append(item)
    build.items = kept


def _drop_overlaps(build: _Builder) -> None:
    """Keep the earlier of two items airing at once on a shared cluster; drop the later, with a reason.

    Changes are refused when they would overlap (`_check_conflicts`), so this only meets what changed
    behind the checks (a hamlet group given more clusters, rows edited by hand): the commune still airs.
    """
    kept: list[TimelineItem] = []
    for item in sorted(build.items, key=lambda i: (i.starts_at, i.item_id)):
        reach = build.content[item.item_id].clusters
        clash = next(
            (
                other
                for other in kept
                if item.starts_at < other.ends_at
                and other.starts_at < item.ends_at
                and _share(reach, build.content[other.item_id].clusters)
            ),
            None,
        )
        if clash is None:
            kept.append(item)
            continue
        build.dropped.append(
            DroppedItem(
                item.item_id,
                item.title,
                "overlap",
                f"“{item.title}” không được phát: trùng giờ với “{clash.title}” trên cùng cụm loa. Cần sửa lại lịch.",
            )
        )
    build.items = kept


def _share(one: frozenset[str] | None, other: frozenset[str] | None) -> bool:
    return one is None or other is None or bool(one & other)


def _check_conflicts(build: _Builder, changed: str | None) -> None:
    """Refuse two groups (programs, broadcasts) airing at once on a shared cluster, naming both items.

    The `changed` group (the program or broadcast being edited) is checked first, so the error names it
    as the one that clashes.
    """
    registry = build.registry
    code = build.commune.code
    # The whole commune: its clusters (a placeholder when it has none yet, so two such programs still clash).
    everyone = frozenset(registry.communes.get(code, ())) or frozenset([code])
    groups: dict[str, list[Airing]] = {}
    reach: dict[str, frozenset[str]] = {}
    for item in build.items:
        content = build.content[item.item_id]
        groups.setdefault(content.group, []).append(
            Airing(item.item_id, item.title, item.starts_at, item.ends_at, item.priority)
        )
        reach[content.group] = content.clusters if content.clusters is not None else everyone
    airings = [
        ProgramAirings(group, build.group_titles.get(group, group), {code: reach[group]}, groups[group])
        for group in sorted(groups, key=lambda g: (g != changed, g))
    ]
    for index, candidate in enumerate(airings):
        check_no_conflict(candidate, airings[index + 1 :])


def _apply_emergencies(build: _Builder, quiet: QuietHours, since: datetime) -> None:
    """Replay the commune's stored emergencies, each pre-empting only the clusters it reaches."""
    assert build.commune.id is not None
    emergencies = []
    for order in commune_emergencies(build.session, build.commune.id, since):
        emergency = emergency_content(build.session, order)
        if emergency is None:
            continue
        title, duration_ms, content = emergency
        duration_ms = order.aired_ms(duration_ms)
        if duration_ms == 0:
            continue  # cancelled before it began
        item_id = f"e{order.id}"
        emergencies.append(Emergency(item_id, title, duration_ms, order.issued_at, order.starts_at, content.clusters))
        build.content[item_id] = content
    if not emergencies:
        return
    clusters = frozenset(build.registry.communes.get(build.commune.code, ()))
    result = preempt(build.items, emergencies, commune_clusters=clusters, quiet=quiet)
    build.items = list(result.items)
    build.dropped.extend(result.dropped)


def emergency_content(session: Session, order: EmergencyOrder) -> tuple[str, int, Content] | None:
    audio = order_audio(session, order)
    if audio is None:
        return None
    title, asset = audio
    clusters = frozenset(order.clusters) if order.clusters is not None else None
    return title, asset.duration_ms, Content(asset.sha256, asset.codec, True, clusters, group=f"e{order.id}")
