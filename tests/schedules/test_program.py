"""Programs and their placement into slot occurrences."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from schedules.errors import InvalidRecurrence, InvalidValidityWindow
from schedules.local_time import COMMUNE_ZONE
from schedules.program import Program, ProgramItem, place_program
from schedules.recurrence import Occurrence, Once, Repeat, Rule, expand_rule
from schedules.slot import Slot

MORNING = Slot(time(6, 0), time(6, 30), name="sáng")
CREATED = datetime(2026, 11, 20, 9, 0, tzinfo=COMMUNE_ZONE)


def item(ref: str, kind: str = "bulletin", **extra: object) -> ProgramItem:
    return ProgramItem(kind=kind, ref_id=ref, title=f"Mục {ref}", duration_ms=60_000, **extra)  # type: ignore[arg-type]


def test_default_interrupt_policy_follows_the_kind() -> None:
    assert item("a", "bulletin").interrupt_policy == "restart"
    assert item("b", "recording").interrupt_policy == "resume"
    assert item("c", "jingle").interrupt_policy == "drop"
    assert item("d", "music").interrupt_policy == "drop"
    assert item("e", "music", on_interrupt="resume").interrupt_policy == "resume"


def test_validity_window_is_half_open() -> None:
    entry = item(
        "a",
        valid_from=datetime(2026, 12, 1, tzinfo=COMMUNE_ZONE),
        valid_until=datetime(2026, 12, 2, tzinfo=COMMUNE_ZONE),
    )
    assert entry.valid_at(datetime(2026, 12, 1, tzinfo=COMMUNE_ZONE))
    assert not entry.valid_at(datetime(2026, 12, 2, tzinfo=COMMUNE_ZONE))
    assert not entry.valid_at(datetime(2026, 11, 30, 23, 59, tzinfo=COMMUNE_ZONE))


def test_backwards_validity_window_is_refused() -> None:
    day = datetime(2026, 12, 1, tzinfo=COMMUNE_ZONE)
    with pytest.raises(InvalidValidityWindow):
        item("a", valid_from=day, valid_until=day)


def test_naive_validity_bound_is_refused() -> None:
    with pytest.raises(ValueError):
        item("a", valid_until=datetime(2026, 12, 1))


def test_non_positive_duration_is_refused() -> None:
    with pytest.raises(ValueError):
        ProgramItem(kind="music", ref_id="m", title="Nhạc", duration_ms=0)


def test_program_needs_items() -> None:
    with pytest.raises(ValueError):
        Program("p1", "Trống", (), CREATED)


def test_placement_keeps_program_order_and_makes_unique_airing_ids() -> None:
    program = Program("p7", "Bản tin sáng", (item("j", "jingle"), item("b1"), item("b2")), CREATED, position=2)
    rule = Rule(Once(date(2026, 12, 1)), slot_key="sáng", repeat=Repeat(2, 15))
    first, second = expand_rule(
        rule, datetime(2026, 12, 1, tzinfo=COMMUNE_ZONE), datetime(2026, 12, 2, tzinfo=COMMUNE_ZONE), slots=[MORNING]
    )
    placed = place_program(program, first) + place_program(program, second)
    assert [p.item_id for p in placed] == [
        "p7-0-2612010600",
        "p7-1-2612010600",
        "p7-2-2612010600",
        "p7-0-2612010615r1",
        "p7-1-2612010615r1",
        "p7-2-2612010615r1",
    ]
    assert [p.sequence for p in placed[:3]] == [0, 1, 2]
    assert {p.position for p in placed} == {2}
    assert placed[3].not_before == datetime(2026, 12, 1, 6, 15, tzinfo=COMMUNE_ZONE)
    assert placed[0].group != placed[3].group


def test_placement_needs_a_slot_occurrence() -> None:
    program = Program("p1", "Tin", (item("a"),), CREATED)
    with pytest.raises(InvalidRecurrence):
        place_program(program, Occurrence(datetime(2026, 12, 1, 9, 0, tzinfo=COMMUNE_ZONE)))
