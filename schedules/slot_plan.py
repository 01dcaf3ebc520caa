"""The slot compiler: items due in a slot occurrence -> an ordered, timed plan (pure, no clock).

Collision rule (docs/scheduling.md): items rank by
  1. priority, emergency before priority before normal;
  2. the officer's explicit position, lower first; positioned items before unpositioned ones;
  3. approval (creation) time, earlier first;
  4. program, then the item's place in its program, then item id (so the result never depends on input order).
Placement is greedy: from the slot's start, the highest-ranked item allowed to start now plays next;
an item may not start before its `not_before` (a repeat's time) or its `valid_from`; when no item may
start yet the slot stays silent until the first one may. An item whose `valid_until` has passed when
its turn comes is dropped, as is one whose window misses the slot entirely; every drop has a reason.
Items still running at the slot's end do not fit: the slot is overfull, an error naming each of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from schedules.errors import AudioMissing, SlotOverfull
from schedules.local_time import after, hhmm, local
from schedules.playlist import PlaylistEntry
from schedules.program import PRIORITY_RANK, ScheduledItem
from schedules.slot import SlotOccurrence

# Why an item does not air: its validity window missed the slot (expired, not_yet_valid) or ran out while it
# waited (expired_before_turn); an emergency interrupted it under a "drop" policy (interrupted), or pushed it
# past its slot's end (no_room_after_emergency) or into quiet hours (quiet_hours).
DropReason = Literal[
    "expired",
    "not_yet_valid",
    "expired_before_turn",
    "interrupted",
    "no_room_after_emergency",
    "quiet_hours",
    "invalid_rule",  # a stored rule that no longer makes sense (lenient compilation only)
    "slot_overfull",  # a slot that no longer holds all its items (lenient compilation only)
    "overlap",  # two items at once on a shared cluster (lenient compilation only)
]


@dataclass(frozen=True)
class PlannedItem:
    scheduled: ScheduledItem
    starts_at: datetime

    @property
    def item_id(self) -> str:
        return self.scheduled.item_id

    @property
    def ends_at(self) -> datetime:
        return after(self.starts_at, timedelta(milliseconds=self.scheduled.item.duration_ms))


@dataclass(frozen=True)
class DroppedItem:
    """An item left out of the plan, and why (`message_vi` is what the officer reads)."""

    item_id: str
    title: str
    reason: DropReason
    message_vi: str
    # Where it is lost, when only on some of its clusters (an emergency for part of the commune); None: everywhere.
    clusters: frozenset[str] | None = None


@dataclass(frozen=True)
class SlotPlan:
    starts_at: datetime
    ends_at: datetime | None
    items: tuple[PlannedItem, ...]
    dropped: tuple[DroppedItem, ...] = ()


def rank_key(entry: ScheduledItem) -> tuple[int, bool, int, datetime, str, int, str]:
    """The collision rule as a sort key (see the module docstring)."""
    return (
        -PRIORITY_RANK[entry.priority],
        entry.position is None,
        entry.position or 0,
        entry.created_at,
        entry.group,
        entry.sequence,
        entry.item_id,
    )


def compile_slot(occurrence: SlotOccurrence, entries: Iterable[ScheduledItem], *, gap: timedelta) -> SlotPlan:
    """Order and time the items due in `occurrence`; raise SlotOverfull naming every item that does not fit.

    `gap` is the silence between consecutive items (none after the last).
    """
    plan = _lay_out(list(entries), occurrence.starts_at, occurrence.ends_at, gap)
    overflowing = [p for p in plan.items if p.ends_at > occurrence.ends_at]
    if overflowing:
        _raise_overfull(occurrence, overflowing)
    return plan


def compile_airing(starts_at: datetime, entries: Iterable[ScheduledItem], *, gap: timedelta) -> SlotPlan:
    """Order and time items aired at an exact time rather than in a slot: back to back, with no end bound."""
    return _lay_out(list(entries), starts_at, None, gap)


def _earliest(entry: ScheduledItem, starts_at: datetime) -> datetime:
    bounds = [starts_at, entry.not_before, entry.item.valid_from]
    return max(b for b in bounds if b is not None)


def _lay_out(entries: list[ScheduledItem], starts_at: datetime, ends_at: datetime | None, gap: timedelta) -> SlotPlan:
    ids = [e.item_id for e in entries]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate item ids in one slot: {sorted(i for i in set(ids) if ids.count(i) > 1)}")
    dropped: list[DroppedItem] = []
    pending: list[ScheduledItem] = []
    for entry in sorted(entries, key=rank_key):
        until, since = entry.item.valid_until, entry.item.valid_from
        if until is not None and until <= starts_at:
            dropped.append(_drop(entry, "expired", f"đã hết hiệu lực từ {_when(until)}"))
        elif since is not None and ends_at is not None and since >= ends_at:
            dropped.append(_drop(entry, "not_yet_valid", f"chỉ có hiệu lực từ {_when(since)}"))
        else:
            pending.append(entry)
    placed: list[PlannedItem] = []
    cursor = starts_at
    while pending:
        ready = [e for e in pending if _earliest(e, starts_at) <= cursor]
        if not ready:
            cursor = min(_earliest(e, starts_at) for e in pending)
            continue
        entry = ready[0]  # pending is in rank order, so the first ready item is the highest-ranked
        pending.remove(entry)
        until = entry.item.valid_until
        if until is not None and cursor >= until:
            dropped.append(_drop(entry, "expired_before_turn", f"hết hiệu lực lúc {_when(until)}, trước lượt phát"))
            continue
        placed.append(PlannedItem(entry, cursor))
        cursor = after(placed[-1].ends_at, gap)
    return SlotPlan(starts_at, ends_at, tuple(placed), tuple(dropped))


def _when(moment: datetime) -> str:
    return local(moment).strftime("%H:%M %d/%m/%Y")


def _drop(entry: ScheduledItem, reason: DropReason, why_vi: str) -> DroppedItem:
    return DroppedItem(entry.item_id, entry.title, reason, f"“{entry.title}” không được phát: {why_vi}.")


def _raise_overfull(occurrence: SlotOccurrence, overflowing: list[PlannedItem]) -> None:
    end = occurrence.ends_at
    past = [(p, (p.ends_at - end).total_seconds()) for p in overflowing]
    short_s = max(seconds for _, seconds in past)
    window = f"{hhmm(occurrence.starts_at)}–{hhmm(end)}"
    raise SlotOverfull(
        f"slot {occurrence.key} on {occurrence.day} is {short_s:g} s short: "
        + "; ".join(
            f"item {p.item_id} ({p.scheduled.title!r}, {p.scheduled.item.duration_ms / 1000:g} s) "
            f"ends {seconds:g} s after the slot"
            for p, seconds in past
        ),
        message_vi=f"Khung giờ {window} ngày {occurrence.day:%d/%m/%Y} thiếu {short_s:g} giây; không đủ chỗ cho: "
        + ", ".join(f"“{p.scheduled.title}” (vượt {seconds:g} giây)" for p, seconds in past)
        + ".",
        overflowing=tuple((p.item_id, seconds) for p, seconds in past),
    )


@dataclass(frozen=True)
class ItemAsset:
    """What the playlist needs about an item's content: its rendered audio, and whether it is approved now."""

    sha256: str
    codec: str
    approved: bool = True


def to_playlist_entries(plan: SlotPlan, assets: Mapping[str, ItemAsset]) -> list[PlaylistEntry]:
    """The plan as entries for `schedules.playlist.compile_playlist`, assets looked up by each item's ref_id."""
    entries: list[PlaylistEntry] = []
    for planned in plan.items:
        item = planned.scheduled.item
        asset = assets.get(item.ref_id)
        if asset is None:
            raise AudioMissing(
                f"item {planned.item_id}: no audio for {item.kind} {item.ref_id}",
                message_vi=f"“{item.title}” chưa có tệp âm thanh.",
            )
        entries.append(
            PlaylistEntry(
                item_id=planned.item_id,
                title=item.title,
                priority=item.priority,
                approved=asset.approved,
                asset_sha256=asset.sha256,
                codec=asset.codec,
                duration_ms=item.duration_ms,
                starts_at=planned.starts_at,
            )
        )
    return entries
