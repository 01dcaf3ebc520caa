"""Programs overlapping on the same clusters are refused, naming the conflicting items."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from schedules.conflict import Airing, ProgramAirings, airings_of, check_no_conflict, find_conflict, shared_clusters
from schedules.errors import ProgramOverlap
from schedules.local_time import COMMUNE_ZONE
from schedules.program import ProgramItem, ScheduledItem
from schedules.slot import Slot, occurrence_on
from schedules.slot_plan import compile_slot

T0 = datetime(2026, 12, 1, 6, 0, tzinfo=COMMUNE_ZONE)


def airing(item_id: str, start_min: float, length_min: float, **extra: object) -> Airing:
    start = T0 + timedelta(minutes=start_min)
    return Airing(item_id, f"Tin {item_id}", start, start + timedelta(minutes=length_min), **extra)  # type: ignore[arg-type]


def program(program_id: str, clusters: dict[str, set[str]], *airings: Airing) -> ProgramAirings:
    return ProgramAirings(
        program_id, f"Chương trình {program_id}", {c: frozenset(s) for c, s in clusters.items()}, airings
    )


def test_shared_clusters_only_within_the_same_commune() -> None:
    first = {"XA": frozenset({"A1", "A2"}), "XB": frozenset({"B1"})}
    second = {"XA": frozenset({"A2", "A3"}), "XC": frozenset({"B1"})}
    assert shared_clusters(first, second) == frozenset({"A2"})


def test_overlap_on_a_shared_cluster_is_found() -> None:
    first = program("p1", {"XA": {"A1", "A2"}}, airing("a", 0, 5), airing("b", 5, 5))
    second = program("p2", {"XA": {"A2"}}, airing("x", 7, 5))
    conflict = find_conflict(first, second)
    assert conflict is not None
    assert (conflict.first.item_id, conflict.second.item_id, conflict.clusters) == ("b", "x", frozenset({"A2"}))


def test_same_time_on_different_clusters_is_fine() -> None:
    first = program("p1", {"XA": {"A1"}}, airing("a", 0, 10))
    second = program("p2", {"XA": {"A2"}}, airing("x", 0, 10))
    assert find_conflict(first, second) is None


def test_back_to_back_airings_do_not_conflict() -> None:
    first = program("p1", {"XA": {"A1"}}, airing("a", 0, 10))
    second = program("p2", {"XA": {"A1"}}, airing("x", 10, 10))
    assert find_conflict(first, second) is None


def test_emergencies_pre_empt_rather_than_conflict() -> None:
    first = program("p1", {"XA": {"A1"}}, airing("a", 0, 10))
    second = program("p2", {"XA": {"A1"}}, airing("sos", 2, 1, priority="emergency"))
    assert find_conflict(first, second) is None


def test_check_names_both_items_the_other_program_and_the_clusters() -> None:
    candidate = program("p9", {"XA": {"A1", "A2"}}, airing("new", 3, 4))
    others = [program("p1", {"XB": {"B1"}}, airing("far", 3, 4)), program("p2", {"XA": {"A2"}}, airing("old", 0, 5))]
    with pytest.raises(ProgramOverlap) as caught:
        check_no_conflict(candidate, others)
    message = caught.value.message_vi
    assert "Tin new" in message and "Tin old" in message and "Chương trình p2" in message and "A2" in message
    assert "06:03 01/12/2026" in message
    assert caught.value.code == "program_overlap"


def test_a_program_does_not_conflict_with_its_own_stored_version() -> None:
    candidate = program("p1", {"XA": {"A1"}}, airing("a", 0, 10))
    check_no_conflict(candidate, [candidate])


def test_airings_of_a_compiled_slot() -> None:
    occurrence = occurrence_on(Slot(time(6, 0), time(6, 30)), date(2026, 12, 1))
    content = ProgramItem(kind="music", ref_id="m", title="Nhạc", duration_ms=90_000)
    plan = compile_slot(occurrence, [ScheduledItem("m1", content, T0)], gap=timedelta(0))
    assert airings_of(plan) == [Airing("m1", "Nhạc", T0, T0 + timedelta(seconds=90), "normal")]
