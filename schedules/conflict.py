"""Conflicts between programs: two programs may not air at the same time on the same cluster.

Both programs arrive already expanded (their airings with absolute times) and resolved (their clusters
per commune), so this is plain interval arithmetic. Airings are half-open: one ending at 06:10 does not
overlap one starting at 06:10. Emergencies never conflict: they pre-empt (see schedules.emergency).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from devices.protocol import Priority
from schedules.errors import ProgramOverlap
from schedules.local_time import local
from schedules.slot_plan import SlotPlan


@dataclass(frozen=True)
class Airing:
    item_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    priority: Priority = "normal"


@dataclass(frozen=True)
class ProgramAirings:
    """A program's airings and the clusters they reach, per commune (from `resolve_target`)."""

    program_id: str
    title: str
    clusters: Mapping[str, frozenset[str]]
    airings: Sequence[Airing]


@dataclass(frozen=True)
class Conflict:
    """The first clash found: which airing of each program, and on which clusters."""

    first: Airing
    second: Airing
    clusters: frozenset[str]


def airings_of(plan: SlotPlan) -> list[Airing]:
    return [Airing(p.item_id, p.scheduled.title, p.starts_at, p.ends_at, p.scheduled.priority) for p in plan.items]


def shared_clusters(first: Mapping[str, frozenset[str]], second: Mapping[str, frozenset[str]]) -> frozenset[str]:
    return frozenset().union(*(first[c] & second[c] for c in first.keys() & second.keys()))


def find_conflict(first: ProgramAirings, second: ProgramAirings) -> Conflict | None:
    """The earliest pair of overlapping non-emergency airings on shared clusters, or None."""
    clusters = shared_clusters(first.clusters, second.clusters)
    if not clusters:
        return None
    ours = sorted((a for a in first.airings if a.priority != "emergency"), key=lambda a: (a.starts_at, a.item_id))
    theirs = sorted((a for a in second.airings if a.priority != "emergency"), key=lambda a: (a.starts_at, a.item_id))
    for mine in ours:
        for other in theirs:
            if mine.starts_at < other.ends_at and other.starts_at < mine.ends_at:
                return Conflict(mine, other, clusters)
    return None


def check_no_conflict(candidate: ProgramAirings, others: Iterable[ProgramAirings]) -> None:
    """Refuse `candidate` if it clashes with any of `others`, naming both items and the shared clusters."""
    for other in others:
        if other.program_id == candidate.program_id:
            continue
        conflict = find_conflict(candidate, other)
        if conflict is None:
            continue
        mine, theirs = conflict.first, conflict.second
        shown = ", ".join(sorted(conflict.clusters))
        at = local(max(mine.starts_at, theirs.starts_at)).strftime("%H:%M %d/%m/%Y")
        raise ProgramOverlap(
            f"item {mine.item_id} ({mine.title!r}) of program {candidate.program_id} overlaps item "
            f"{theirs.item_id} ({theirs.title!r}) of program {other.program_id} on clusters {shown}",
            message_vi=f"“{mine.title}” trùng giờ với “{theirs.title}” (chương trình “{other.title}”) "
            f"lúc {at} trên cụm loa {shown}.",
        )
