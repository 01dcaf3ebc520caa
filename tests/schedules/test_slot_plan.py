"""The slot compiler: collision rule, validity windows, repeats, gaps, overfull slots, playlist adapter."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from devices.protocol import Priority
from schedules.errors import AudioMissing, SlotOverfull
from schedules.local_time import COMMUNE_ZONE
from schedules.playlist import compile_playlist
from schedules.program import Program, ProgramItem, ScheduledItem, place_program
from schedules.recurrence import Once, Repeat, Rule, expand_rule
from schedules.slot import Slot, occurrence_on
from schedules.slot_plan import ItemAsset, compile_airing, compile_slot, to_playlist_entries

MORNING = Slot(time(6, 0), time(6, 30), name="sáng")
SLOT = occurrence_on(MORNING, date(2026, 12, 1))
T0 = SLOT.starts_at
CREATED = datetime(2026, 11, 20, 9, 0, tzinfo=COMMUNE_ZONE)
NO_GAP = timedelta(0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def entry(
    item_id: str,
    duration_s: float = 60,
    *,
    priority: Priority = "normal",
    position: int | None = None,
    created_min: float = 0,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    not_before: datetime | None = None,
) -> ScheduledItem:
    content = ProgramItem(
        kind="bulletin",
        ref_id=f"ref-{item_id}",
        title=f"Tin {item_id}",
        duration_ms=int(duration_s * 1000),
        priority=priority,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    return ScheduledItem(item_id, content, CREATED + timedelta(minutes=created_min), position, not_before=not_before)


def order(entries: list[ScheduledItem], gap: timedelta = NO_GAP) -> list[str]:
    return [p.item_id for p in compile_slot(SLOT, entries, gap=gap).items]


def test_items_play_back_to_back_from_the_slot_start() -> None:
    plan = compile_slot(SLOT, [entry("a", 90), entry("b", 30, created_min=1)], gap=NO_GAP)
    assert [(p.item_id, p.starts_at) for p in plan.items] == [("a", T0), ("b", T0 + timedelta(seconds=90))]
    assert plan.items[-1].ends_at == T0 + timedelta(seconds=120)


def test_gap_goes_between_items_not_after_the_last() -> None:
    plan = compile_slot(SLOT, [entry("a", 60), entry("b", 60, created_min=1)], gap=timedelta(seconds=5))
    assert plan.items[1].starts_at == T0 + timedelta(seconds=65)
    # Two 895 s items and a 10 s gap fill the 30 minutes exactly: no trailing gap is counted against the slot.
    exact = [entry("x", 895), entry("y", 895, created_min=1)]
    assert compile_slot(SLOT, exact, gap=timedelta(seconds=10)).items[-1].ends_at == SLOT.ends_at


def test_priority_before_normal_whatever_the_officer_order() -> None:
    entries = [
        entry("normal", position=0),
        entry("urgent", priority="priority", position=9),
        entry("sos", priority="emergency"),
    ]
    assert order(entries) == ["sos", "urgent", "normal"]


def test_officer_position_decides_among_equal_priority() -> None:
    entries = [entry("early", created_min=0, position=2), entry("late", created_min=5, position=1)]
    assert order(entries) == ["late", "early"]


def test_positioned_items_go_before_unpositioned_ones() -> None:
    entries = [entry("free", created_min=0), entry("placed", created_min=9, position=5)]
    assert order(entries) == ["placed", "free"]


def test_two_priority_items_collide_earliest_approval_first() -> None:
    entries = [entry("second", priority="priority", created_min=3), entry("first", priority="priority", created_min=1)]
    assert order(entries) == ["first", "second"]


def test_full_tie_falls_back_to_item_id_so_input_order_never_matters() -> None:
    assert order([entry("b"), entry("a")]) == order([entry("a"), entry("b")]) == ["a", "b"]


def test_a_programs_items_stay_in_program_order() -> None:
    items = tuple(ProgramItem(kind="bulletin", ref_id=r, title=r, duration_ms=30_000) for r in ("z", "y", "x"))
    program = Program("p1", "Bản tin", items, CREATED)
    [occurrence] = expand_rule(Rule(Once(date(2026, 12, 1)), slot_key="sáng"), at(0), at(1), slots=[MORNING])
    plan = compile_slot(SLOT, place_program(program, occurrence), gap=NO_GAP)
    assert [p.scheduled.item.ref_id for p in plan.items] == ["z", "y", "x"]


def test_expired_item_is_dropped_with_a_reason() -> None:
    plan = compile_slot(SLOT, [entry("old", valid_until=at(0)), entry("ok")], gap=NO_GAP)
    assert [p.item_id for p in plan.items] == ["ok"]
    [dropped] = plan.dropped
    assert (dropped.item_id, dropped.reason) == ("old", "expired")
    assert "Tin old" in dropped.message_vi and "06:00 01/12/2026" in dropped.message_vi


def test_not_yet_valid_item_is_dropped() -> None:
    plan = compile_slot(SLOT, [entry("future", valid_from=at(30))], gap=NO_GAP)
    assert plan.items == () and plan.dropped[0].reason == "not_yet_valid"


def test_item_expiring_mid_slot_before_its_turn_is_dropped_and_the_next_moves_up() -> None:
    entries = [entry("long", 600), entry("brief", valid_until=at(5), created_min=1), entry("last", created_min=2)]
    plan = compile_slot(SLOT, entries, gap=NO_GAP)
    assert [(p.item_id, p.starts_at) for p in plan.items] == [("long", at(0)), ("last", at(10))]
    assert [(d.item_id, d.reason) for d in plan.dropped] == [("brief", "expired_before_turn")]


def test_item_valid_from_mid_slot_waits_and_others_fill_the_time() -> None:
    entries = [entry("later", 60, priority="priority", valid_from=at(5)), entry("filler", 120)]
    plan = compile_slot(SLOT, entries, gap=NO_GAP)
    assert [(p.item_id, p.starts_at) for p in plan.items] == [("filler", at(0)), ("later", at(5))]


def test_slot_stays_silent_until_the_first_item_may_start() -> None:
    plan = compile_slot(SLOT, [entry("r", not_before=at(10))], gap=NO_GAP)
    assert plan.items[0].starts_at == at(10)


def test_repeats_start_no_earlier_than_their_times_and_other_items_fill_between() -> None:
    entries = [
        entry("r0", 60, not_before=at(0)),
        entry("r1", 60, not_before=at(10)),
        entry("other", 120, created_min=5),
    ]
    plan = compile_slot(SLOT, entries, gap=NO_GAP)
    assert [(p.item_id, p.starts_at) for p in plan.items] == [("r0", at(0)), ("other", at(1)), ("r1", at(10))]


def test_overfull_slot_names_every_item_that_does_not_fit_and_by_how_much() -> None:
    entries = [entry("a", 20 * 60), entry("b", 8 * 60, created_min=1), entry("c", 3 * 60, created_min=2)]
    with pytest.raises(SlotOverfull) as caught:
        compile_slot(SLOT, entries, gap=NO_GAP)
    error = caught.value
    assert error.overflowing == (("c", 60.0),)
    assert "Tin c" in error.message_vi and "60 giây" in error.message_vi and "06:00–06:30" in error.message_vi
    assert "Tin a" not in error.message_vi and "Tin b" not in error.message_vi
    assert "item c" in str(error) and "60 s" in str(error)


def test_overfull_by_several_items_counts_the_total_shortfall() -> None:
    entries = [entry("a", 29 * 60), entry("b", 90, created_min=1), entry("c", 30, created_min=2)]
    with pytest.raises(SlotOverfull) as caught:
        compile_slot(SLOT, entries, gap=NO_GAP)
    assert caught.value.overflowing == (("b", 30.0), ("c", 60.0))
    assert "thiếu 60 giây" in caught.value.message_vi


def test_gaps_can_make_a_slot_overfull() -> None:
    entries = [entry("a", 15 * 60), entry("b", 15 * 60, created_min=1)]
    assert len(compile_slot(SLOT, entries, gap=NO_GAP).items) == 2
    with pytest.raises(SlotOverfull) as caught:
        compile_slot(SLOT, entries, gap=timedelta(seconds=3))
    assert caught.value.overflowing == (("b", 3.0),)


def test_repeat_pushed_past_the_slot_end_is_overfull() -> None:
    with pytest.raises(SlotOverfull):
        compile_slot(SLOT, [entry("r", 120, not_before=at(29))], gap=NO_GAP)


def test_duplicate_item_ids_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        compile_slot(SLOT, [entry("a"), entry("a")], gap=NO_GAP)


def test_exact_time_airing_has_no_end_bound() -> None:
    plan = compile_airing(at(0), [entry("a", 3600), entry("b", 60, created_min=1)], gap=NO_GAP)
    assert plan.ends_at is None and plan.items[1].starts_at == at(60)


def test_adapter_feeds_the_existing_playlist_compiler() -> None:
    plan = compile_slot(SLOT, [entry("a", 90, priority="priority"), entry("b", 30, created_min=1)], gap=NO_GAP)
    assets = {"ref-a": ItemAsset("a" * 64, "opus"), "ref-b": ItemAsset("b" * 64, "mp3")}
    entries = to_playlist_entries(plan, assets)
    assert [(e.item_id, e.priority, e.starts_at, e.duration_ms) for e in entries] == [
        ("a", "priority", T0, 90_000),
        ("b", "normal", T0 + timedelta(seconds=90), 30_000),
    ]
    playlist = compile_playlist("XA", entries, version=1, now=T0.astimezone(UTC), horizon=timedelta(hours=1))
    assert [i.item_id for i in playlist.items] == ["a", "b"]
    assert playlist.items[1].asset_url.endswith(f"{'b' * 64}.mp3")


def test_adapter_keeps_approval_so_unapproved_content_still_never_airs() -> None:
    plan = compile_slot(SLOT, [entry("a")], gap=NO_GAP)
    entries = to_playlist_entries(plan, {"ref-a": ItemAsset("a" * 64, "opus", approved=False)})
    assert compile_playlist("XA", entries, version=1, now=T0, horizon=timedelta(hours=1)).items == ()


def test_adapter_names_an_item_without_audio() -> None:
    plan = compile_slot(SLOT, [entry("a")], gap=NO_GAP)
    with pytest.raises(AudioMissing) as caught:
        to_playlist_entries(plan, {})
    assert "Tin a" in caught.value.message_vi


def test_slot_repeat_program_compiles_end_to_end() -> None:
    jingle = ProgramItem(kind="jingle", ref_id="j", title="Nhạc hiệu", duration_ms=10_000)
    news = ProgramItem(kind="bulletin", ref_id="n", title="Tin bão", duration_ms=120_000, priority="priority")
    program = Program("p3", "Tin bão", (jingle, news), CREATED)
    rule = Rule(Once(date(2026, 12, 1)), slot_key="sáng", repeat=Repeat(3, 10))
    scheduled = [s for o in expand_rule(rule, at(0), at(30), slots=[MORNING]) for s in place_program(program, o)]
    plan = compile_slot(SLOT, scheduled, gap=NO_GAP)
    # The priority bulletin leads each repeat; the jingles (normal) fill in after it.
    assert [(p.scheduled.item.ref_id, p.starts_at) for p in plan.items] == [
        ("n", at(0)),
        ("j", at(2)),
        ("n", at(10)),
        ("j", at(12)),
        ("n", at(20)),
        ("j", at(22)),
    ]
