"""Emergency planning: start at now + lead, resume/restart/drop the interrupted item, push the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from devices.protocol import Priority
from schedules.emergency import EmergencyPlan, TimelineItem, plan_emergency
from schedules.local_time import COMMUNE_ZONE
from schedules.program import InterruptPolicy
from schedules.quiet_hours import QuietHours

T0 = datetime(2026, 12, 1, 6, 0, tzinfo=COMMUNE_ZONE)
SLOT_END = T0 + timedelta(minutes=30)
LEAD = timedelta(seconds=5)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def item(
    item_id: str,
    start_min: float,
    duration_s: float,
    policy: InterruptPolicy = "restart",
    *,
    priority: Priority = "normal",
    slot_end: datetime | None = SLOT_END,
) -> TimelineItem:
    return TimelineItem(item_id, f"Tin {item_id}", priority, int(duration_s * 1000), at(start_min), policy, slot_end)


def emergency(timeline: list[TimelineItem], now: datetime, duration_s: float = 60, **extra: object) -> EmergencyPlan:
    return plan_emergency(timeline, "sos", "Bão số 9", int(duration_s * 1000), now=now, dispatch_lead=LEAD, **extra)  # type: ignore[arg-type]


def summary(plan: EmergencyPlan) -> list[tuple[str, datetime, int]]:
    return [(i.item_id, i.starts_at, i.duration_ms) for i in plan.items]


def assert_no_overlap(plan: EmergencyPlan) -> None:
    for before, after in pairwise(plan.items):
        assert before.ends_at <= after.starts_at, (before, after)


def test_emergency_starts_after_the_dispatch_lead() -> None:
    plan = emergency([], at(3))
    assert plan.emergency.starts_at == at(3) + LEAD and plan.emergency.priority == "emergency"
    assert plan.interrupted is None and summary(plan) == [("sos", at(3) + LEAD, 60_000)]


def test_restart_plays_the_whole_item_after_the_emergency() -> None:
    timeline = [item("a", 0, 300, "restart"), item("b", 5, 300), item("c", 10, 120), item("d", 20, 300)]
    plan = emergency(timeline, at(2))
    cut = at(2) + LEAD
    assert summary(plan) == [
        ("a", at(0), 125_000),
        ("sos", cut, 60_000),
        ("a~again", cut + timedelta(seconds=60), 300_000),
        ("b", cut + timedelta(seconds=360), 300_000),
        ("c", cut + timedelta(seconds=660), 120_000),
        ("d", at(20), 300_000),
    ]
    assert plan.interrupted is not None and plan.interrupted.item_id == "a"
    assert plan.dropped == ()
    assert_no_overlap(plan)


def test_resume_plays_the_remaining_part_from_where_it_stopped() -> None:
    plan = emergency([item("a", 0, 300, "resume"), item("b", 5, 60)], at(2))
    rest = next(i for i in plan.items if i.item_id == "a~rest")
    assert rest.starts_at == at(3) + LEAD
    assert (rest.duration_ms, rest.offset_ms) == (175_000, 125_000)
    b = next(i for i in plan.items if i.item_id == "b")
    # Resuming costs exactly the emergency's length: a would have ended at 06:05, now at 06:06.
    assert b.starts_at == rest.ends_at == at(6)
    assert_no_overlap(plan)


def test_drop_gives_up_the_interrupted_item_and_later_items_keep_their_time() -> None:
    plan = emergency([item("a", 0, 300, "drop"), item("b", 5, 60)], at(2))
    assert summary(plan) == [("a", at(0), 125_000), ("sos", at(2) + LEAD, 60_000), ("b", at(5), 60_000)]
    [dropped] = plan.dropped
    assert (dropped.item_id, dropped.reason) == ("a", "interrupted") and "Tin a" in dropped.message_vi


def test_restarting_a_resumed_remainder_plays_the_whole_audio() -> None:
    remainder = TimelineItem("a~rest", "Tin a", "normal", 100_000, at(0), "restart", SLOT_END, offset_ms=200_000)
    plan = emergency([remainder], at(1))
    again = next(i for i in plan.items if i.item_id == "a~rest~again")
    assert (again.duration_ms, again.offset_ms) == (300_000, 0)


def test_resuming_a_resumed_remainder_adds_the_offsets() -> None:
    remainder = TimelineItem("a~rest", "Tin a", "normal", 100_000, at(0), "resume", SLOT_END, offset_ms=200_000)
    plan = emergency([remainder], at(0.5))
    rest = next(i for i in plan.items if i.item_id == "a~rest~rest")
    assert (rest.duration_ms, rest.offset_ms) == (65_000, 235_000)


def test_items_pushed_past_their_slot_are_dropped_and_the_rest_close_up() -> None:
    timeline = [item("long", 20, 7 * 60), item("short", 28, 30), item("tail", 29, 30)]
    plan = emergency(timeline, at(19), duration_s=120)
    # sos 06:19:05-06:21:05; long pushed to 06:21:05-06:28:05; short 06:28:05-06:28:35; tail 06:29:00-06:29:30.
    assert [i.item_id for i in plan.items] == ["sos", "long", "short", "tail"]
    plan = emergency(timeline, at(19), duration_s=180)
    # long would end 06:29:05; short 06:29:05-06:29:35; tail would end 06:30:05, past 06:30: dropped.
    assert [i.item_id for i in plan.items] == ["sos", "long", "short"]
    assert [(d.item_id, d.reason) for d in plan.dropped] == [("tail", "no_room_after_emergency")]
    plan = emergency(timeline, at(19), duration_s=300)
    # long would end 06:31:05 and is dropped; short then follows the emergency directly and still fits.
    assert [(i.item_id, i.starts_at) for i in plan.items] == [
        ("sos", at(19) + LEAD),
        ("short", at(28)),
        ("tail", at(29)),
    ]
    assert [d.item_id for d in plan.dropped] == ["long"]


def test_continuation_that_no_longer_fits_its_slot_is_dropped() -> None:
    plan = emergency([item("a", 25, 240, "restart")], at(27), duration_s=60)
    assert [i.item_id for i in plan.items] == ["a", "sos"]
    assert [(d.item_id, d.reason) for d in plan.dropped] == [("a~again", "no_room_after_emergency")]


def test_an_item_starting_exactly_at_the_cut_is_pushed_not_interrupted() -> None:
    plan = emergency([item("a", 2, 60)], at(2) - LEAD)
    assert plan.interrupted is None
    assert summary(plan) == [("sos", at(2), 60_000), ("a", at(3), 60_000)]


def test_finished_items_are_left_alone() -> None:
    plan = emergency([item("past", 0, 60), item("next", 10, 60)], at(5))
    assert summary(plan)[0] == ("past", at(0), 60_000)
    assert plan.interrupted is None
    assert ("next", at(10), 60_000) in summary(plan)


def test_an_emergency_on_air_is_never_interrupted() -> None:
    first = item("sos1", 0, 120, "drop", priority="emergency")
    plan = emergency([first, item("b", 2, 60)], at(1))
    assert plan.interrupted is None
    assert summary(plan) == [("sos1", at(0), 120_000), ("sos", at(2), 60_000), ("b", at(3), 60_000)]


def test_emergency_ignores_quiet_hours() -> None:
    night = datetime(2026, 12, 1, 23, 0, tzinfo=COMMUNE_ZONE)
    plan = plan_emergency([], "sos", "Lũ quét", 60_000, now=night, dispatch_lead=LEAD, quiet=QuietHours())
    assert plan.emergency.starts_at == night + LEAD


def test_items_pushed_into_quiet_hours_are_dropped() -> None:
    evening = datetime(2026, 12, 1, 20, 50, tzinfo=COMMUNE_ZONE)
    late = TimelineItem("late", "Tin muộn", "normal", 300_000, evening + timedelta(minutes=4), "restart", None)
    # sos 20:50:05-20:55:05 pushes late from 20:54 to 20:55:05-21:00:05, into quiet hours.
    plan = plan_emergency([late], "sos", "Lũ", 300_000, now=evening, dispatch_lead=LEAD, quiet=QuietHours())
    assert [(d.item_id, d.reason) for d in plan.dropped] == [("late", "quiet_hours")]
    without_quiet = plan_emergency([late], "sos", "Lũ", 300_000, now=evening, dispatch_lead=LEAD)
    assert [i.item_id for i in without_quiet.items] == ["sos", "late"]


def test_unbounded_items_are_pushed_without_limit() -> None:
    plan = emergency([item("a", 0, 600, "resume", slot_end=None)], at(1), duration_s=3600)
    assert [i.item_id for i in plan.items] == ["a", "sos", "a~rest"]


def test_now_in_utc_gives_the_same_plan() -> None:
    timeline = [item("a", 0, 300, "resume"), item("b", 5, 300)]
    local_plan = emergency(timeline, at(2))
    utc_plan = emergency(timeline, at(2).astimezone(UTC))
    assert summary(local_plan) == summary(utc_plan)


def test_naive_now_and_empty_emergency_are_refused() -> None:
    with pytest.raises(ValueError):
        plan_emergency([], "sos", "Bão", 60_000, now=datetime(2026, 12, 1, 6, 0), dispatch_lead=LEAD)
    with pytest.raises(ValueError):
        plan_emergency([], "sos", "Bão", 0, now=at(0), dispatch_lead=LEAD)


def test_a_relay_rejoins_the_live_stream_until_its_own_end() -> None:
    """A relay fills its whole slot: after the emergency it goes back on air until its end, never past it."""
    relay = TimelineItem("r", "VOV1", "normal", 30 * 60_000, at(0), "resume", SLOT_END, live=True)
    plan = emergency([relay], at(10))
    cut = at(10) + LEAD
    assert summary(plan) == [
        ("r", at(0), 605_000),
        ("sos", cut, 60_000),
        ("r~rest", cut + timedelta(seconds=60), 30 * 60_000 - 665_000),
    ]
    assert plan.items[-1].ends_at == SLOT_END and plan.dropped == ()
    # An emergency that outlasts the relay leaves nothing of it.
    late = emergency([relay], at(29), duration_s=120)
    assert [i.item_id for i in late.items] == ["r", "sos"]
