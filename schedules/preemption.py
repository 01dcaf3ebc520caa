"""Pre-emption per cluster: a commune's timeline after its emergencies, each one cutting only where it plays (pure).

The rule (docs/scheduling.md, "Emergencies"): an emergency cuts, pushes and drops items (by
`plan_emergency`) only on the clusters it reaches; every other cluster airs its items exactly as it
would without it.

How: the commune's clusters fall into classes of clusters due exactly the same items and emergencies.
One cluster's items never overlap, so each class's timeline is one sequence, and its emergencies are
replayed on it in order. The classes' timelines are then merged back: an item that comes out the same
on several classes is one item for all their clusters, and one that comes out for every cluster it was
for keeps its clusters as they were (an unaffected timeline comes out unchanged). An item that comes out
differently (cut short on an emergency's clusters, whole on the others) appears once per version, for
disjoint clusters, under the same id: item ids are unique per cluster, not per commune.

A commune with no registered clusters has one timeline, as before per-cluster planning.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from schedules.emergency import TimelineItem, after_emergencies_on_air, emergency_drop, plan_emergency
from schedules.local_time import after
from schedules.quiet_hours import QuietHours
from schedules.slot_plan import DroppedItem

Clusters = frozenset[str] | None  # None: every cluster of the commune
# Each class of clusters, its timeline after its emergencies, and what they dropped there.
PerClass = list[tuple[frozenset[str], list[TimelineItem], list[DroppedItem]]]


@dataclass(frozen=True)
class Emergency:
    """An emergency as it is replayed: its item, when it was issued, its start fixed at issue, and its clusters."""

    item_id: str
    title: str
    duration_ms: int
    issued_at: datetime
    starts_at: datetime
    clusters: Clusters = None


@dataclass(frozen=True)
class Preemption:
    """The commune's timeline after its emergencies (by start), and what they left out."""

    items: tuple[TimelineItem, ...]
    dropped: tuple[DroppedItem, ...]


def preempt(
    timeline: Iterable[TimelineItem],
    emergencies: Sequence[Emergency],
    *,
    commune_clusters: frozenset[str],
    quiet: QuietHours | None = None,
) -> Preemption:
    """Replay `emergencies` (in order of start) on `timeline`, per cluster; see the module docstring.

    Items carry their clusters (`TimelineItem.clusters`); `commune_clusters` are the commune's registered
    ones (clusters named by items or emergencies but no longer registered are kept apart, not lost). An
    item for no cluster at all is left as it is, and an emergency for none airs nowhere.
    """
    items = list(timeline)
    if not emergencies:
        return Preemption(tuple(sorted(items, key=_by_start)), ())
    if not commune_clusters:
        replayed, dropped = _replay(items, emergencies, quiet)
        return Preemption(tuple(sorted(replayed, key=_by_start)), tuple(dropped))
    everyone = _everyone(commune_clusters, items, emergencies)
    nowhere = [i for i in items if i.clusters is not None and not i.clusters]  # aired by no node: left alone
    per_class = []
    for members in _classes(everyone, [*(i.clusters for i in items), *(e.clusters for e in emergencies)]):
        own = [i for i in items if _reaches(i.clusters, members)]
        replayed, dropped = _replay(own, [e for e in emergencies if _reaches(e.clusters, members)], quiet)
        per_class.append((members, replayed, dropped))
    merged = [*nowhere, *_merge_items(per_class, everyone)]
    return Preemption(tuple(sorted(merged, key=_by_start)), _merge_dropped(per_class, items, everyone))


def dispatch_start(
    timeline: Iterable[TimelineItem], clusters: Clusters, *, now: datetime, dispatch_lead: timedelta
) -> datetime:
    """When a new emergency for `clusters` starts: `now + dispatch_lead`, or later while another emergency
    is on air on a cluster they share (one on other clusters does not delay it)."""
    shared = [i for i in timeline if i.priority == "emergency" and _share(i.clusters, clusters)]
    return after_emergencies_on_air(shared, after(now, dispatch_lead))


def _by_start(item: TimelineItem) -> tuple[datetime, str, tuple[str, ...]]:
    return item.starts_at, item.item_id, tuple(sorted(item.clusters)) if item.clusters is not None else ()


def _share(a: Clusters, b: Clusters) -> bool:
    return a is None or b is None or bool(a & b)


def _everyone(
    registered: frozenset[str], items: list[TimelineItem], emergencies: Sequence[Emergency]
) -> frozenset[str]:
    named = [c for c in (*(i.clusters for i in items), *(e.clusters for e in emergencies)) if c is not None]
    return registered.union(*named)


def _classes(everyone: frozenset[str], targets: Iterable[Clusters]) -> list[frozenset[str]]:
    """The clusters of `everyone` grouped by the targets reaching them (same targets, same class), in code order."""
    distinct = {t for t in targets if t is not None}
    by_signature: dict[frozenset[frozenset[str]], set[str]] = {}
    for cluster in sorted(everyone):
        signature = frozenset(t for t in distinct if cluster in t)
        by_signature.setdefault(signature, set()).add(cluster)
    return [frozenset(members) for members in by_signature.values()]


def _reaches(target: Clusters, members: frozenset[str]) -> bool:
    """Whether `target` reaches a class (its members are reached by the same targets, so one stands for all)."""
    return target is None or next(iter(members)) in target


def _replay(
    items: list[TimelineItem], emergencies: Sequence[Emergency], quiet: QuietHours | None
) -> tuple[list[TimelineItem], list[DroppedItem]]:
    """One sequence after its emergencies in turn, each starting when it was fixed to at issue."""
    dropped: list[DroppedItem] = []
    for emergency in emergencies:
        plan = plan_emergency(
            items,
            emergency.item_id,
            emergency.title,
            emergency.duration_ms,
            now=emergency.issued_at,
            dispatch_lead=emergency.starts_at - emergency.issued_at,
            quiet=quiet,
            clusters=emergency.clusters,
        )
        items = list(plan.items)
        dropped.extend(plan.dropped)
    return items, dropped


def _merge_items(per_class: PerClass, everyone: frozenset[str]) -> list[TimelineItem]:
    """One item per distinct (item, times), for the union of the classes it came out on."""
    where: dict[TimelineItem, set[str]] = {}
    for members, items, _ in per_class:
        for item in items:
            where.setdefault(item, set()).update(members)
    merged = []
    for item, reached in where.items():
        whole = everyone if item.clusters is None else item.clusters
        merged.append(item if whole <= reached else replace(item, clusters=frozenset(reached)))
    return merged


def _merge_dropped(per_class: PerClass, items: list[TimelineItem], everyone: frozenset[str]) -> tuple[DroppedItem, ...]:
    """Each drop once; one lost on only some of the clusters its item was for names them."""
    reach = {i.item_id: everyone if i.clusters is None else i.clusters for i in items}
    lost: dict[tuple[str, str], tuple[DroppedItem, set[str]]] = {}
    for members, _, dropped in per_class:
        for drop in dropped:
            lost.setdefault((drop.item_id, drop.reason), (drop, set()))[1].update(members)
    merged = []
    for drop, where in lost.values():
        whole = _reach_of(drop.item_id, reach, everyone)
        merged.append(
            drop if whole <= where else emergency_drop(drop.item_id, drop.title, drop.reason, frozenset(where))
        )
    return tuple(merged)


def _reach_of(item_id: str, reach: dict[str, frozenset[str]], everyone: frozenset[str]) -> frozenset[str]:
    """Where an item was due, looked up through its continuation suffixes ("a~rest~again" is a's)."""
    while item_id not in reach and "~" in item_id:
        item_id = item_id.rsplit("~", 1)[0]
    return reach.get(item_id, everyone)
