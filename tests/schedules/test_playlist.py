"""The playlist compiler, on plain data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from schedules.errors import PlaylistConflict
from schedules.playlist import PlaylistEntry, compile_playlist, content_digest, etag

NOW = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # 06:00 in Asia/Ho_Chi_Minh
HOUR = timedelta(hours=1)


def entry(item_id: str, start_s: float, duration_ms: int = 10_000, *, approved: bool = True) -> PlaylistEntry:
    return PlaylistEntry(
        item_id=item_id,
        title=f"Tin {item_id}",
        priority="normal",
        approved=approved,
        asset_sha256=item_id[0] * 64 if item_id[0] in "abcdef" else "f" * 64,
        codec="opus",
        duration_ms=duration_ms,
        starts_at=NOW + timedelta(seconds=start_s),
    )


def test_items_sorted_with_absolute_starts_and_urls() -> None:
    playlist = compile_playlist("XA", [entry("b2", 60), entry("a1", 10)], version=4, now=NOW, horizon=HOUR)
    assert [i.item_id for i in playlist.items] == ["a1", "b2"]
    assert playlist.items[0].starts_at == NOW + timedelta(seconds=10)
    assert playlist.items[0].asset_url == f"/api/v1/node/audio/{'a' * 64}.opus"
    assert playlist.version == 4 and playlist.commune == "XA"


def test_unapproved_entries_never_appear() -> None:
    playlist = compile_playlist(
        "XA", [entry("a1", 10, approved=False), entry("b1", 30)], version=1, now=NOW, horizon=HOUR
    )
    assert [i.item_id for i in playlist.items] == ["b1"]


def test_finished_and_beyond_horizon_items_are_left_out_but_playing_ones_stay() -> None:
    entries = [entry("a1", -30, 10_000), entry("b1", -5, 10_000), entry("c1", 3600 + 1)]
    playlist = compile_playlist("XA", entries, version=1, now=NOW, horizon=HOUR)
    assert [i.item_id for i in playlist.items] == ["b1"]


def test_overlap_is_an_error_naming_both_items() -> None:
    with pytest.raises(PlaylistConflict) as caught:
        compile_playlist("XA", [entry("a1", 0, 20_000), entry("b1", 10)], version=1, now=NOW, horizon=HOUR)
    assert "a1" in str(caught.value) and "b1" in str(caught.value)


def test_back_to_back_items_do_not_overlap() -> None:
    playlist = compile_playlist("XA", [entry("a1", 0, 10_000), entry("b1", 10)], version=1, now=NOW, horizon=HOUR)
    assert len(playlist.items) == 2


def test_digest_ignores_version_and_time_but_not_content() -> None:
    one = compile_playlist("XA", [entry("a1", 10)], version=1, now=NOW, horizon=HOUR)
    two = compile_playlist("XA", [entry("a1", 10)], version=2, now=NOW + timedelta(seconds=1), horizon=HOUR)
    moved = compile_playlist("XA", [entry("a1", 11)], version=2, now=NOW, horizon=HOUR)
    assert content_digest(one) == content_digest(two) != content_digest(moved)
    assert etag(two, content_digest(two)).startswith('"2-')
