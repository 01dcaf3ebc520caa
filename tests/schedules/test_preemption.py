"""Pre-emption per cluster: an emergency cuts, pushes and drops items only on the clusters it reaches."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, time, timedelta
from itertools import pairwise

import pytest

from devices.protocol import Priority
from schedules.emergency import TimelineItem, plan_emergency
from schedules.local_time import COMMUNE_ZONE
from schedules.preemption import Emergency, Preemption, dispatch_start, preempt
from schedules.program import InterruptPolicy
from schedules.quiet_hours import QuietHours

T0 = datetime(2026, 12, 1, 6, 0, tzinfo=COMMUNE_ZONE)
SLOT_END = T0 + timedelta(minutes=30)
LEAD = timedelta(seconds=5)
HAMLET_A = frozenset({"A1", "A2"})
HAMLET_B = frozenset({"B1"})
COMMUNE = HAMLET_A | HAMLET_B


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def item(
    item_id: str,
    start_min: float,
    duration_s: float,
    policy: InterruptPolicy = "restart",
    *,
    clusters: frozenset[str] | None = None,
    priority: Priority = "normal",
) -> TimelineItem:
    return TimelineItem(
        item_id, f"Tin {item_id}", priority, int(duration_s * 1000), at(start_min), policy, SLOT_END, clusters=clusters
    )


def alert(
    item_id: str, issued_min: float, clusters: frozenset[str] | None, duration_s: float = 60, *, starts_min: float = -1
) -> Emergency:
    """An emergency issued at `issued_min`, starting after the lead (or at `starts_min`, as fixed at issue)."""
    starts_at = at(starts_min) if starts_min >= 0 else at(issued_min) + LEAD
    return Emergency(item_id, f"Khẩn {item_id}", int(duration_s * 1000), at(issued_min), starts_at, clusters)


def run(timeline: list[TimelineItem], *emergencies: Emergency, clusters: frozenset[str] = COMMUNE) -> Preemption:
    result = preempt(timeline, emergencies, commune_clusters=clusters)
    assert_no_overlap_per_cluster(result.items, clusters)
    return result


def rows(items: Iterable[TimelineItem]) -> list[tuple[str, datetime, int, frozenset[str] | None]]:
    return [(i.item_id, i.starts_at, i.duration_ms, i.clusters) for i in items]


def on(result: Preemption, cluster: str) -> list[tuple[str, datetime, int]]:
    """What one cluster airs, in order."""
    return [
        (i.item_id, i.starts_at, i.duration_ms) for i in result.items if i.clusters is None or cluster in i.clusters
    ]


def assert_no_overlap_per_cluster(items: Iterable[TimelineItem], clusters: frozenset[str]) -> None:
    """On every cluster, items follow one another and each id airs at most once at a given start."""
    items = list(items)
    for cluster in clusters:
        own = sorted((i for i in items if i.clusters is None or cluster in i.clusters), key=lambda i: i.starts_at)
        for before, after in pairwise(own):
            assert before.ends_at <= after.starts_at, (cluster, before, after)
        keys = [(i.item_id, i.starts_at) for i in own]
        assert len(keys) == len(set(keys)), (cluster, keys)


def test_an_emergency_on_one_hamlet_leaves_the_other_hamlets_items_untouched() -> None:
    a, b = item("a", 0, 300, clusters=HAMLET_A), item("b", 0, 300, clusters=HAMLET_B)
    later_b = item("b2", 6, 60, clusters=HAMLET_B)
    result = run([a, b, later_b], alert("sos", 2, HAMLET_A))
    cut = at(2) + LEAD
    assert [i for i in result.items if i.item_id.startswith("b")] == [b, later_b]  # the same items, once each
    assert rows(i for i in result.items if not i.item_id.startswith("b")) == [
        ("a", at(0), 125_000, HAMLET_A),
        ("sos", cut, 60_000, HAMLET_A),
        ("a~again", cut + timedelta(seconds=60), 300_000, HAMLET_A),
    ]
    assert result.dropped == ()


def test_an_item_for_the_whole_commune_is_cut_on_the_emergency_clusters_and_whole_elsewhere() -> None:
    result = run([item("x", 0, 300), item("y", 5, 60)], alert("sos", 2, HAMLET_A))
    cut = at(2) + LEAD
    assert on(result, "B1") == [("x", at(0), 300_000), ("y", at(5), 60_000)]
    assert (
        on(result, "A1")
        == on(result, "A2")
        == [
            ("x", at(0), 125_000),
            ("sos", cut, 60_000),
            ("x~again", cut + timedelta(seconds=60), 300_000),
            ("y", cut + timedelta(seconds=360), 60_000),
        ]
    )
    # The same id twice, for disjoint clusters: cut short on A, whole on B.
    assert [(i.duration_ms, i.clusters) for i in result.items if i.item_id == "x"] == [
        (125_000, HAMLET_A),
        (300_000, HAMLET_B),
    ]


@pytest.mark.parametrize(
    ("policy", "continuation"),
    [("resume", ("x~rest", 175_000)), ("restart", ("x~again", 300_000)), ("drop", None)],
)
def test_continuations_are_only_on_the_emergency_clusters(
    policy: InterruptPolicy, continuation: tuple[str, int] | None
) -> None:
    result = run([item("x", 0, 300, policy)], alert("sos", 2, HAMLET_A))
    resumed = [(i.item_id, i.duration_ms, i.clusters) for i in result.items if "~" in i.item_id]
    assert resumed == ([(*continuation, HAMLET_A)] if continuation else [])
    assert on(result, "B1") == [("x", at(0), 300_000)]
    if policy == "drop":
        [dropped] = result.dropped
        assert (dropped.item_id, dropped.reason, dropped.clusters) == ("x", "interrupted", HAMLET_A)
        # Lost on hamlet A only, and the officer reads where.
        assert dropped.message_vi == "“Tin x” không được phát ở cụm loa A1, A2: bị tin khẩn cấp ngắt và không phát lại."
    else:
        assert result.dropped == ()


def test_an_item_dropped_on_every_cluster_it_was_for_does_not_name_them() -> None:
    result = run([item("a", 0, 300, "drop", clusters=HAMLET_A)], alert("sos", 2, HAMLET_A))
    [dropped] = result.dropped
    assert dropped.clusters is None and "cụm loa" not in dropped.message_vi


def test_items_pushed_out_of_their_slot_are_dropped_only_where_the_emergency_plays() -> None:
    result = run([item("long", 20, 7 * 60), item("tail", 28, 60)], alert("sos", 19, HAMLET_B, duration_s=300))
    assert on(result, "A1") == [("long", at(20), 420_000), ("tail", at(28), 60_000)]
    assert [i for i, _, _ in on(result, "B1")] == ["sos", "tail"]
    assert [(d.item_id, d.reason, d.clusters) for d in result.dropped] == [
        ("long", "no_room_after_emergency", HAMLET_B)
    ]
    assert "ở cụm loa B1:" in result.dropped[0].message_vi


def test_two_emergencies_on_disjoint_hamlets_at_the_same_moment_both_start_at_once() -> None:
    timeline = [item("x", 0, 300)]
    result = run(timeline, alert("flood", 2, HAMLET_A), alert("fire", 2, HAMLET_B))
    starts = {i.item_id: (i.starts_at, i.clusters) for i in result.items if i.priority == "emergency"}
    assert starts == {"flood": (at(2) + LEAD, HAMLET_A), "fire": (at(2) + LEAD, HAMLET_B)}
    on_air = [item("flood", 2, 60, "drop", clusters=HAMLET_A, priority="emergency")]
    assert dispatch_start(on_air, HAMLET_B, now=at(2), dispatch_lead=timedelta(0)) == at(2)


def test_an_emergency_on_air_delays_a_second_one_on_its_clusters_only() -> None:
    first = item("flood", 2, 60, "drop", clusters=HAMLET_A, priority="emergency")
    now = at(2.5)
    assert dispatch_start([first], frozenset({"A2"}), now=now, dispatch_lead=LEAD) == at(3)
    assert dispatch_start([first], None, now=now, dispatch_lead=LEAD) == at(3)  # the whole commune shares A
    assert dispatch_start([first], HAMLET_B, now=now, dispatch_lead=LEAD) == now + LEAD
    # Replayed, the second one on B starts when it was fixed, while the first is still on air on A.
    result = run([item("x", 0, 300)], alert("flood", 2, HAMLET_A, starts_min=2), alert("fire", 2.5, HAMLET_B))
    assert [(i.item_id, i.starts_at) for i in result.items if i.priority == "emergency"] == [
        ("flood", at(2)),
        ("fire", now + LEAD),
    ]


def test_a_chain_of_emergencies_on_shared_clusters_is_waited_out() -> None:
    flood = item("flood", 2, 60, "drop", clusters=HAMLET_A, priority="emergency")
    fire = item("fire", 3, 60, "drop", clusters=HAMLET_B, priority="emergency")
    assert dispatch_start([fire, flood], None, now=at(2.5), dispatch_lead=LEAD) == at(4)
    assert dispatch_start([fire, flood], HAMLET_A, now=at(2.5), dispatch_lead=LEAD) == at(3)


WHOLE_COMMUNE_CASES = {
    "restart": [item("a", 0, 300, "restart"), item("b", 5, 300), item("c", 10, 120), item("d", 20, 300)],
    "resume": [item("a", 0, 300, "resume"), item("b", 5, 60)],
    "drop": [item("a", 0, 300, "drop"), item("b", 5, 60)],
    "slot_overflow": [item("long", 20, 7 * 60), item("short", 28, 30), item("tail", 29, 30)],
    "emergency_on_air": [item("sos0", 1, 120, "drop", priority="emergency"), item("b", 2, 60)],
}


@pytest.mark.parametrize("case", sorted(WHOLE_COMMUNE_CASES))
@pytest.mark.parametrize("issued_min", [1.5, 19, 27])
def test_a_whole_commune_emergency_plans_exactly_as_one_timeline(case: str, issued_min: float) -> None:
    timeline = WHOLE_COMMUNE_CASES[case]
    quiet = QuietHours(time(6, 25), time(7, 0))  # items pushed past 06:25 are dropped
    expected = plan_emergency(timeline, "sos", "Khẩn sos", 180_000, now=at(issued_min), dispatch_lead=LEAD, quiet=quiet)
    result = preempt(timeline, [alert("sos", issued_min, None, 180)], commune_clusters=COMMUNE, quiet=quiet)
    assert result.items == expected.items and result.dropped == expected.dropped


def test_parallel_items_for_two_hamlets_each_resume_on_their_own_clusters() -> None:
    a = item("a", 0, 300, "resume", clusters=HAMLET_A)
    b = item("b", 0, 240, "resume", clusters=HAMLET_B)
    result = run([a, b], alert("sos", 2, None))
    back = at(2) + LEAD + timedelta(seconds=60)
    assert [(i.item_id, i.starts_at, i.clusters) for i in result.items if "~" in i.item_id] == [
        ("a~rest", back, HAMLET_A),
        ("b~rest", back, HAMLET_B),  # not queued behind a~rest
    ]
    [emergency] = [i for i in result.items if i.priority == "emergency"]
    assert emergency.clusters is None  # one item for the whole commune


def test_later_emergencies_replay_on_each_cluster_as_it_stands() -> None:
    timeline = [item("x", 0, 600, "resume"), item("y", 12, 60)]
    result = run(timeline, alert("flood", 2, HAMLET_A), alert("fire", 4, frozenset({"A2", "B1"})))
    a1, a2, b1 = (on(result, c) for c in ("A1", "A2", "B1"))
    assert [i for i, _, _ in a1] == ["x", "flood", "x~rest", "y"]
    assert [i for i, _, _ in a2] == ["x", "flood", "x~rest", "fire", "x~rest~rest", "y"]
    assert [i for i, _, _ in b1] == ["x", "fire", "x~rest", "y"]
    assert next(e for e in result.items if e.item_id == "fire").clusters == frozenset({"A2", "B1"})


def test_clusters_no_longer_registered_keep_their_items() -> None:
    gone = frozenset({"A1", "OLD"})
    result = run([item("a", 0, 300, clusters=gone)], alert("sos", 2, HAMLET_B), clusters=COMMUNE)
    assert rows(result.items) == [("a", at(0), 300_000, gone), ("sos", at(2) + LEAD, 60_000, HAMLET_B)]


def test_a_commune_without_registered_clusters_has_one_timeline() -> None:
    a, b = item("a", 0, 300, "resume", clusters=HAMLET_A), item("b", 0, 240, "resume", clusters=HAMLET_B)
    result = preempt([a, b], [alert("sos", 2, HAMLET_A)], commune_clusters=frozenset())
    expected = plan_emergency([a, b], "sos", "Khẩn sos", 60_000, now=at(2), dispatch_lead=LEAD, clusters=HAMLET_A)
    assert result.items == expected.items


def test_without_emergencies_the_timeline_is_unchanged() -> None:
    timeline = [item("b", 5, 60), item("a", 0, 60, clusters=HAMLET_A)]
    assert preempt(timeline, [], commune_clusters=COMMUNE) == Preemption(
        tuple(sorted(timeline, key=lambda i: i.starts_at)), ()
    )


# Randomized equivalence: per cluster, `preempt` is one-cluster replay.
# Seeded, so every run checks the same cases; a failing test's id names its seed (`random_case(seed)` rebuilds it).

RANDOM_CASES = 300
SLOTS = ((at(0), at(20)), (at(25), at(45)))  # two slots; items in neither are unbounded (exact-time airings)
POLICIES: tuple[InterruptPolicy, ...] = ("resume", "restart", "drop")


def random_target(rng: random.Random, clusters: list[str]) -> frozenset[str] | None:
    """The whole commune, a hamlet group (a random non-empty subset), or one cluster."""
    kind = rng.choice(("commune", "group", "cluster"))
    if kind == "commune":
        return None
    if kind == "group":
        return frozenset(rng.sample(clusters, rng.randint(1, len(clusters))))
    return frozenset([rng.choice(clusters)])


def random_moment(rng: random.Random, timeline: list[TimelineItem]) -> datetime:
    """A whole second, mostly while an item plays (so the emergency cuts it), else anywhere in the morning."""
    if timeline and rng.random() < 0.7:
        playing = rng.choice(timeline)
        return playing.starts_at + timedelta(seconds=rng.randint(0, playing.duration_ms // 1000))
    return T0 + timedelta(seconds=rng.randint(0, 46 * 60))


def random_case(
    seed: int,
) -> tuple[list[TimelineItem], list[Emergency], frozenset[str], frozenset[str], QuietHours | None]:
    """A commune's timeline (no two items overlap on a shared cluster), its emergencies in order of start
    (fixed at issue as `issue_emergency` fixes them), its registered clusters, all its clusters (registered
    or named; what None reaches), quiet hours."""
    rng = random.Random(seed)
    clusters = [f"C{n}" for n in range(rng.randint(2, 5))]
    # Sometimes a cluster no longer registered: still the commune's while items or emergencies name it.
    registered = frozenset(clusters[:-1] if rng.random() < 0.15 else clusters)

    timeline: list[TimelineItem] = []
    for n in range(rng.randint(3, 14)):
        slot = rng.choice((*SLOTS, None))
        first, last = slot if slot is not None else (at(0), at(48))
        duration = timedelta(seconds=rng.randint(20, 400))
        start = first + timedelta(seconds=rng.randint(0, max(0, int((last - first - duration).total_seconds()))))
        candidate = TimelineItem(
            f"i{n}",
            f"Tin i{n}",
            "normal",
            int(duration / timedelta(milliseconds=1)),
            start,
            rng.choice(POLICIES),
            slot[1] if slot is not None else None,
            clusters=random_target(rng, clusters),
        )
        fits = slot is None or candidate.ends_at <= slot[1]
        clash = any(
            (i.clusters is None or candidate.clusters is None or i.clusters & candidate.clusters)
            and i.starts_at < candidate.ends_at
            and candidate.starts_at < i.ends_at
            for i in timeline
        )
        if fits and not clash:
            timeline.append(candidate)
    quiet = None
    if rng.random() < 0.3:  # from the end of some item on: pushing it, or what follows it, runs into them
        quiet = QuietHours(rng.choice(timeline).ends_at.time(), time(8, 0))
        timeline = [i for i in timeline if not quiet.overlaps(i.starts_at, i.ends_at)]
    if rng.random() < 0.1:  # an item for no cluster at all: aired nowhere, left as it is
        timeline.append(
            TimelineItem("nowhere", "Tin nowhere", "normal", 60_000, at(rng.randint(0, 40)), clusters=frozenset())
        )

    issued: list[Emergency] = []

    def in_order() -> list[Emergency]:  # as `commune_emergencies` gives them: by start, then by issue
        return sorted(issued, key=lambda e: (e.starts_at, issued.index(e)))

    issued_at = random_moment(rng, timeline)
    for n in range(rng.randint(1, 3)):
        if n and rng.random() < 0.5:  # soon after the previous one: the two may overlap
            issued_at += timedelta(seconds=rng.randint(0, 90))
        elif n:
            issued_at = max(issued_at, random_moment(rng, timeline))
        target = random_target(rng, clusters)
        lead = timedelta(seconds=1)
        if rng.random() < 0.7:  # as issued: after any emergency then on air on a shared cluster
            so_far = preempt(timeline, in_order(), commune_clusters=registered, quiet=quiet)
            starts_at = dispatch_start(so_far.items, target, now=issued_at, dispatch_lead=lead)
        else:
            starts_at = issued_at + lead
        emergency = Emergency(f"e{n}", f"Khẩn e{n}", rng.randint(10, 300) * 1000, issued_at, starts_at, target)
        issued.append(emergency)
    emergencies = in_order()
    named = [t for t in (*(i.clusters for i in timeline), *(e.clusters for e in emergencies)) if t is not None]
    return timeline, emergencies, registered, registered.union(*named), quiet


def replay_one_cluster(
    timeline: list[TimelineItem], emergencies: list[Emergency], cluster: str, quiet: QuietHours | None
) -> tuple[list[TimelineItem], set[tuple[str, str]]]:
    """The model: only `cluster`'s own items and emergencies, restricted to it, replayed in order."""
    only = frozenset([cluster])
    items = [replace(i, clusters=only) for i in timeline if i.clusters is None or cluster in i.clusters]
    dropped: set[tuple[str, str]] = set()
    for e in emergencies:
        if e.clusters is None or cluster in e.clusters:
            plan = plan_emergency(
                items,
                e.item_id,
                e.title,
                e.duration_ms,
                now=e.issued_at,
                dispatch_lead=e.starts_at - e.issued_at,
                quiet=quiet,
                clusters=only,
            )
            items = list(plan.items)
            dropped |= {(d.item_id, d.reason) for d in plan.dropped}
    return items, dropped


def aired(items: Iterable[TimelineItem], cluster: str) -> list[tuple[str, datetime, int, int]]:
    """Like `on`, with offsets: what one cluster airs, in order (not which other clusters share it)."""
    own = (i for i in items if i.clusters is None or cluster in i.clusters)
    return [
        (i.item_id, i.starts_at, i.duration_ms, i.offset_ms)
        for i in sorted(own, key=lambda i: (i.starts_at, i.item_id))
    ]


def dropped_on(
    result: Preemption, timeline: list[TimelineItem], everyone: frozenset[str], cluster: str
) -> set[tuple[str, str]]:
    """The drops `preempt` reports for one cluster: named there, or (naming none) lost on all its item was for."""
    reach = {i.item_id: everyone if i.clusters is None else i.clusters for i in timeline}
    return {
        (d.item_id, d.reason)
        for d in result.dropped
        if (cluster in d.clusters if d.clusters is not None else cluster in reach[d.item_id.split("~")[0]])
    }


@pytest.mark.parametrize("seed", range(RANDOM_CASES))
def test_per_cluster_preemption_equals_replaying_that_cluster_alone(seed: int) -> None:
    timeline, emergencies, registered, everyone, quiet = random_case(seed)
    result = preempt(timeline, emergencies, commune_clusters=registered, quiet=quiet)
    assert_no_overlap_per_cluster(result.items, everyone)
    nowhere = [i for i in timeline if i.clusters == frozenset()]
    assert [i for i in result.items if i.clusters == frozenset()] == nowhere
    for cluster in sorted(everyone):
        expected, expected_dropped = replay_one_cluster(timeline, emergencies, cluster, quiet)
        assert aired(result.items, cluster) == aired(expected, cluster), cluster
        assert dropped_on(result, timeline, everyone, cluster) == expected_dropped, cluster
