"""Checking a play report against what was sent, on the real database: every published version's items
(widened per cluster), the MP3 rendition, and play_now commands sent to that very device."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from audio_library.asset import AudioAsset
from controller.db import make_engine, session_factory
from controller.settings import DatabaseSettings
from devices.commands import DeviceCommand
from devices.protocol import Playlist, PlaylistItem, PlayReport
from devices.registry import Device, add_commune, add_device, add_province
from schedules.play_verification import PlayVerifier
from schedules.published_item import prune_published_items, record_published_items

NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
OPUS, MP3, OTHER = "a" * 64, "b" * 64, "c" * 64
# The controller's clock two hours after NOW: every report below is of something that has aired.
VERIFIER = PlayVerifier(
    clock_slack=timedelta(seconds=60), command_timeout=timedelta(seconds=30), clock=lambda: NOW + timedelta(hours=2)
)


@pytest.fixture
def world(database_url: str) -> Iterator[tuple[Session, dict[str, Device]]]:
    engine = make_engine(DatabaseSettings(url=database_url))
    with session_factory(engine)() as session:
        province = add_province(session, "P", "P")
        commune = add_commune(session, province, "XA", "Xã")
        other = add_commune(session, province, "XB", "Xã B")
        devices = {code: add_device(session, commune, code, hash_iterations=101)[0] for code in ("D1", "D2", "D3")}
        devices["E1"] = add_device(session, other, "E1", hash_iterations=101)[0]
        session.add(
            AudioAsset(sha256=OPUS, codec="opus", duration_ms=1000, size_bytes=1, source="speech", mp3_sha256=MP3)
        )
        session.commit()
        yield session, devices
    engine.dispose()


def item(item_id: str, clusters: tuple[str, ...] | None) -> PlaylistItem:
    return PlaylistItem(
        item_id=item_id,
        title="t",
        asset_sha256=OPUS,
        asset_url="/a",
        duration_ms=1000,
        starts_at=NOW,
        clusters=clusters,
    )


def report(item_id: str, sha: str = OPUS, start: datetime = NOW, commune: str = "XA") -> PlayReport:
    return PlayReport(
        report_id=uuid.uuid4().hex,
        commune=commune,
        playlist_version=1,
        item_id=item_id,
        asset_sha256=sha,
        played_sha256=sha,
        scheduled_start=start,
        started_at=start,
        ended_at=start + timedelta(seconds=1),
    )


def test_reports_match_any_published_version_for_the_cluster(world: tuple[Session, dict[str, Device]]) -> None:
    session, devices = world
    commune_id = devices["D1"].commune_id
    # Version 1 sends b1 to D1 only; version 2 sends it to D2 as well (and drops nothing D1 had played).
    assert (
        record_published_items(
            session, commune_id, Playlist(commune="XA", version=1, generated_at=NOW, items=(item("b1", ("D1",)),))
        )
        == 1
    )
    v2 = Playlist(commune="XA", version=2, generated_at=NOW, items=(item("b1", ("D2",)),))
    assert record_published_items(session, commune_id, v2) == 1
    assert record_published_items(session, commune_id, v2) == 0, "the same version written twice"
    session.commit()
    flag = VERIFIER.flag
    assert flag(session, devices["D1"], report("b1")) is None
    assert flag(session, devices["D2"], report("b1", MP3)) is None, "the MP3 rendition of a legacy node"
    assert flag(session, devices["D3"], report("b1")) == "other_cluster"
    assert flag(session, devices["D1"], report("b1", OTHER)) == "wrong_audio"
    assert flag(session, devices["D1"], report("b1", start=NOW + timedelta(seconds=1))) == "not_sent"
    assert flag(session, devices["D1"], report("b2")) == "not_sent"
    assert flag(session, devices["E1"], report("b1", commune="XB")) == "not_sent", "another commune's item"


def test_play_now_counts_only_for_the_device_it_was_sent_to_near_its_issue_time(
    world: tuple[Session, dict[str, Device]],
) -> None:
    session, devices = world
    d1 = devices["D1"]
    assert d1.id is not None
    session.add(
        DeviceCommand(
            command_id="c" * 32,
            device_id=d1.id,
            commune_code="XA",
            scope="device",
            name="play_now",
            parameters={"item": {"item_id": "cmd-1"}},
            asset_sha256=OTHER,
            issued_at=NOW,
        )
    )
    session.commit()
    flag = VERIFIER.flag
    assert flag(session, d1, report("cmd-1", OTHER, start=NOW + timedelta(seconds=2))) is None
    assert flag(session, devices["D2"], report("cmd-1", OTHER, start=NOW + timedelta(seconds=2))) == "not_sent"
    assert flag(session, d1, report("cmd-1", OTHER, start=NOW + timedelta(hours=1))) == "not_sent"
    assert flag(session, d1, report("cmd-2", OTHER, start=NOW)) == "not_sent"


def test_reports_of_airings_in_the_future_or_far_from_their_start_or_of_other_audio_do_not_count(
    world: tuple[Session, dict[str, Device]],
) -> None:
    session, devices = world
    commune_id = devices["D1"].commune_id
    record_published_items(
        session, commune_id, Playlist(commune="XA", version=1, generated_at=NOW, items=(item("b1", None),))
    )
    session.commit()
    d1 = devices["D1"]
    genuine = report("b1")
    assert VERIFIER.flag(session, d1, genuine) is None
    before_it_aired = PlayVerifier(
        clock_slack=timedelta(seconds=60), command_timeout=timedelta(seconds=30), clock=lambda: NOW - timedelta(hours=1)
    )
    assert before_it_aired.flag(session, d1, genuine) == "implausible_time", "reported as played before it aired"
    weeks_late = genuine.model_copy(update={"started_at": NOW + timedelta(minutes=5)})
    assert VERIFIER.flag(session, d1, weeks_late) == "implausible_time"
    slightly_late = genuine.model_copy(update={"started_at": NOW + timedelta(seconds=3)})
    assert VERIFIER.flag(session, d1, slightly_late) is None
    for played in (None, "0" * 64, OTHER):
        assert VERIFIER.flag(session, d1, genuine.model_copy(update={"played_sha256": played})) == "wrong_audio"
    failed = genuine.model_copy(update={"played_sha256": None, "outcome": "failed"})
    assert VERIFIER.flag(session, d1, failed) is None, "a failure to play is reported without audio"


def test_published_items_are_forgotten_after_their_retention(world: tuple[Session, dict[str, Device]]) -> None:
    session, devices = world
    commune_id = devices["D1"].commune_id
    old = item("b0", None).model_copy(update={"starts_at": NOW - timedelta(days=100)})
    playlist = Playlist(commune="XA", version=1, generated_at=NOW, items=(old, item("b1", None)))
    record_published_items(session, commune_id, playlist)
    session.commit()
    assert prune_published_items(session, before=NOW - timedelta(days=90)) == 1
    session.commit()
    assert VERIFIER.flag(session, devices["D1"], report("b1")) is None
    assert VERIFIER.flag(session, devices["D1"], report("b0", start=NOW - timedelta(days=100))) == "not_sent"
