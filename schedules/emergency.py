"""Emergency planning: a commune's timeline after an emergency issued at `now` (pure; the caller pre-empts nodes).

The rule (docs/scheduling.md):
- The emergency starts at `now + dispatch_lead` (time for the order to reach the nodes), quiet hours or not.
  It never interrupts another emergency: if one is on air then, it starts when that one ends.
- The item on air at that moment is cut there and, by its policy, resumed (the rest, starting where it
  stopped), restarted (the whole audio again) or dropped. The continuation plays right after the emergency.
- Everything later keeps its order and moves only as far as needed to follow what precedes it (gaps
  absorb the delay; nothing moves earlier). An item pushed past its slot's end is dropped, and so is a
  non-emergency item pushed into quiet hours; the items after it then close up behind what remains.
- Items of one unit (a bulletin's versions in several languages, `unit`) are pre-empted and resumed
  together: after the interrupted version comes back by its policy, the unit's later versions follow it;
  a version given up (a "drop" policy, no room, quiet hours) gives up the unit's later versions with it,
  so a translation never airs cut off from the version it follows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from devices.protocol import Priority
from schedules.local_time import after, require_aware
from schedules.program import InterruptPolicy
from schedules.quiet_hours import QuietHours
from schedules.slot_plan import DroppedItem, DropReason

# Suffixes of the continuation of an interrupted item: the rest of it, or all of it again.
RESUME_SUFFIX = "~rest"
RESTART_SUFFIX = "~again"


@dataclass(frozen=True)
class TimelineItem:
    """An item of a commune's compiled playlist, with what emergency planning needs.

    `slot_ends_at` bounds how late it may be pushed (None for an exact-time airing: no bound).
    `offset_ms` is where in its audio it starts; a resumed item skips what already played.
    `clusters` are the commune's clusters it plays on (None: all of them); planning carries them over to
    the item's continuation and gives the emergency its own.
    """

    item_id: str
    title: str
    priority: Priority
    duration_ms: int
    starts_at: datetime
    on_interrupt: InterruptPolicy = "restart"
    slot_ends_at: datetime | None = None
    offset_ms: int = 0
    clusters: frozenset[str] | None = None
    unit: str = ""  # items sharing a unit air together (a bulletin's versions); "" for a unit of one
    # A relay of a live stream: it is tied to the clock, not to its audio, so what resumes after an
    # emergency is the stream until the relay's own end (the programme being relayed ends then too).
    live: bool = False

    @property
    def ends_at(self) -> datetime:
        return after(self.starts_at, timedelta(milliseconds=self.duration_ms))


@dataclass(frozen=True)
class EmergencyPlan:
    """The new timeline (emergency included, by start), the item cut short if any, and what no longer airs."""

    items: tuple[TimelineItem, ...]
    emergency: TimelineItem
    interrupted: TimelineItem | None
    dropped: tuple[DroppedItem, ...]


def plan_emergency(
    timeline: Iterable[TimelineItem],
    emergency_id: str,
    title: str,
    duration_ms: int,
    *,
    now: datetime,
    dispatch_lead: timedelta,
    quiet: QuietHours | None = None,
    clusters: frozenset[str] | None = None,
) -> EmergencyPlan:
    """Insert an emergency issued at `now` into `timeline` by the module's rule; see the module docstring.

    `timeline` is one sequence (no two items overlap): the whole commune's, or one cluster's
    (`schedules.preemption` plans each cluster apart). `clusters` only labels the emergency item.
    """
    require_aware(now)
    if duration_ms <= 0:
        raise ValueError(f"emergency {emergency_id}: duration_ms must be positive")
    items = sorted(timeline, key=lambda i: (i.starts_at, i.item_id))
    starts_at = after_emergencies_on_air(items, after(now, dispatch_lead))
    emergency = TimelineItem(
        emergency_id, title, "emergency", duration_ms, starts_at, on_interrupt="drop", clusters=clusters
    )

    kept = [i for i in items if i.ends_at <= starts_at]
    later = [i for i in items if i.starts_at >= starts_at]
    dropped: list[DroppedItem] = []
    interrupted: TimelineItem | None = None
    given_up: dict[str, DropReason] = {}  # units whose later versions go with a version given up
    for item in items:
        if item.starts_at < starts_at < item.ends_at:
            played_ms = int((starts_at - item.starts_at) / timedelta(milliseconds=1))
            interrupted = replace(item, duration_ms=played_ms)
            kept.append(interrupted)
            continuation = _continuation(item, played_ms, emergency.ends_at)
            if continuation is None:
                dropped.append(emergency_drop(item.item_id, item.title, "interrupted"))
                if item.unit:
                    given_up[item.unit] = "interrupted"
            else:
                later.insert(0, continuation)

    shifted: list[TimelineItem] = []
    cursor = emergency.ends_at
    for item in later:
        if item.unit in given_up:
            dropped.append(emergency_drop(item.item_id, item.title, given_up[item.unit]))
            continue
        moved = replace(item, starts_at=max(item.starts_at, cursor))
        reason: DropReason | None = None
        if moved.slot_ends_at is not None and moved.ends_at > moved.slot_ends_at:
            reason = "no_room_after_emergency"
        elif (
            moved.starts_at != item.starts_at
            and quiet
            and moved.priority != "emergency"
            and quiet.overlaps(moved.starts_at, moved.ends_at)
        ):
            reason = "quiet_hours"
        if reason is not None:
            dropped.append(emergency_drop(item.item_id, item.title, reason))
            if item.unit:
                given_up[item.unit] = reason
            continue
        shifted.append(moved)
        cursor = moved.ends_at
    timeline_out = sorted([*kept, emergency, *shifted], key=lambda i: (i.starts_at, i.item_id))
    return EmergencyPlan(tuple(timeline_out), emergency, interrupted, tuple(dropped))


def after_emergencies_on_air(timeline: Iterable[TimelineItem], starts_at: datetime) -> datetime:
    """The first instant from `starts_at` on when no emergency of `timeline` is on air (one never cuts another)."""
    for item in sorted(timeline, key=lambda i: (i.starts_at, i.item_id)):
        # In start order, so a chain of emergencies on air is waited out in one pass.
        if item.priority == "emergency" and item.starts_at <= starts_at < item.ends_at:
            starts_at = item.ends_at
    return starts_at


def _continuation(item: TimelineItem, played_ms: int, resume_at: datetime) -> TimelineItem | None:
    """What of an interrupted item plays after the emergency, by its policy (None: nothing)."""
    if item.live and item.on_interrupt != "drop":
        left_ms = int((item.ends_at - resume_at) / timedelta(milliseconds=1))
        if left_ms <= 0:
            return None
        return replace(item, item_id=item.item_id + RESUME_SUFFIX, starts_at=resume_at, duration_ms=left_ms)
    if item.on_interrupt == "resume":
        return replace(
            item,
            item_id=item.item_id + RESUME_SUFFIX,
            starts_at=resume_at,
            duration_ms=item.duration_ms - played_ms,
            offset_ms=item.offset_ms + played_ms,
        )
    if item.on_interrupt == "restart":
        # The whole audio, even when the interrupted item was itself a resumed remainder.
        return replace(
            item,
            item_id=item.item_id + RESTART_SUFFIX,
            starts_at=resume_at,
            duration_ms=item.offset_ms + item.duration_ms,
            offset_ms=0,
        )
    return None


# Why an emergency left an item out, as the officer reads it.
_WHY_VI: dict[DropReason, str] = {
    "interrupted": "bị tin khẩn cấp ngắt và không phát lại",
    "no_room_after_emergency": "không còn chỗ trong khung giờ sau tin khẩn cấp",
    "quiet_hours": "bị lùi vào giờ yên lặng sau tin khẩn cấp",
}


def emergency_drop(item_id: str, title: str, reason: DropReason, where: frozenset[str] | None = None) -> DroppedItem:
    """An item an emergency left out, for `reason`; `where`: the clusters it is lost on (None: all it was for)."""
    place = f" ở cụm loa {', '.join(sorted(where))}" if where is not None else ""
    message = f"“{title}” không được phát{place}: {_WHY_VI[reason]}."
    return DroppedItem(item_id, title, reason, message, clusters=where)
