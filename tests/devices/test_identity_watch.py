"""The identity watch on plain data: distinct births within a sliding window, duplicates not counted."""

from __future__ import annotations

from datetime import UTC, datetime

from devices.identity_watch import IdentityWatch

AT = datetime(2026, 12, 3, 5, 0, tzinfo=UTC)


def test_births_within_the_window_reach_the_limit_and_old_ones_fall_out() -> None:
    now = [0.0]
    watch = IdentityWatch(window_s=60, births_max=3, clock=lambda: now[0])
    assert watch.birth(1, 1, AT) is None
    assert watch.birth(1, 1, AT) is None, "a retained birth delivered again counted"
    assert watch.birth(2, 1, AT) is None, "another cluster's birth counted"
    now[0] = 10
    assert watch.birth(1, 2, AT) is None
    now[0] = 20
    assert watch.birth(1, 3, AT) == 3
    now[0] = 75  # the first two are older than the window now
    assert watch.birth(1, 4, AT) is None
    assert watch.birth(1, 5, AT) == 3


def test_an_impostor_repeating_the_same_session_number_still_counts_by_time() -> None:
    now = [0.0]
    watch = IdentityWatch(window_s=60, births_max=2, clock=lambda: now[0])
    assert watch.birth(1, 7, AT) is None
    assert watch.birth(1, 7, AT.replace(second=5)) == 2


def test_a_flood_of_births_keeps_only_what_the_alert_needs() -> None:
    """An impostor flooding births must not slow the ingest thread: each birth costs at most births_max."""
    watch = IdentityWatch(window_s=300, births_max=10, clock=lambda: 0.0)
    counts = {watch.birth(1, seq, AT) for seq in range(30_000)}
    assert counts == {None, 10}
    assert max(len(births) for births in watch._births.values()) == 10
