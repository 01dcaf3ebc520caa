"""The timetable compiled from stored slots, programs, rules and emergencies (real database, no clock)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from audio_library import AssetStore, EncodedAudio, save_asset
from controller.accounts import Role, UserCreate, create_user
from controller.db import make_engine, session_factory
from controller.settings import DatabaseSettings
from devices.registry import Commune, add_commune, add_device, add_province
from schedules import Bulletin, BulletinStatus, EmergencyOrder, day_timetable
from schedules.commune_hours import BroadcastSlot
from schedules.emergency_dispatch import issue_emergency
from schedules.errors import SlotOverfull
from schedules.hamlet import HamletGroup, load_registry
from schedules.local_time import COMMUNE_ZONE, at_wall_clock
from schedules.planning import Planning
from schedules.playlist import compile_playlist
from schedules.program_record import ProgramItemRecord, ProgramRecord, ScheduleRule
from schedules.target import HamletGroupTarget, resolve_target
from schedules.timetable import commune_timetable
from schedules.translation import BulletinTranslation, approve_translation

DAY = date(2026, 12, 1)


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = make_engine(DatabaseSettings(url=database_url))
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


def _bulletin(
    session: Session,
    commune: Commune,
    tmp: Path,
    title: str,
    duration_ms: int,
    *,
    priority: str = "normal",
    valid_until: datetime | None = None,
) -> int:
    author = create_user(
        session,
        UserCreate(username=f"author{duration_ms}", role=Role.OFFICER, password="password-1"),
        province_id=None,
        communes=[],
    )
    asset = save_asset(
        session,
        AssetStore(tmp),
        EncodedAudio(data=title.encode(), codec="opus", duration_ms=duration_ms),
        source="tts",
    )
    assert commune.id is not None and author.id is not None
    bulletin = Bulletin(
        commune_id=commune.id,
        title=title,
        body="…",
        author_id=author.id,
        status=BulletinStatus.APPROVED,
        audio_sha256=asset.sha256,
        priority=priority,
        valid_until=valid_until,
    )
    session.add(bulletin)
    session.flush()
    assert bulletin.id is not None
    return bulletin.id


def _morning_program(session: Session, commune: Commune, bulletin_id: int) -> None:
    assert commune.id is not None
    slot = BroadcastSlot(commune_id=commune.id, name="Sáng", start_time=time(6), end_time=time(6, 30))
    author = session.get(Bulletin, bulletin_id)
    assert author is not None
    program = ProgramRecord(
        commune_id=commune.id,
        title="Bản tin sáng",
        created_by=author.author_id,
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    session.add_all([slot, program])
    session.flush()
    assert program.id is not None and slot.id is not None
    session.add(ProgramItemRecord(program_id=program.id, seq=0, kind="bulletin", bulletin_id=bulletin_id))
    session.add(ScheduleRule(program_id=program.id, pattern="daily", slot_id=slot.id))
    session.flush()


def test_expiry_removes_content_from_later_days(session: Session, tmp_path: Path) -> None:
    commune = add_commune(session, add_province(session, "P", "Tỉnh"), "XA", "Xã")
    expires = at_wall_clock(DAY + timedelta(days=1), time(0), COMMUNE_ZONE)
    bulletin = _bulletin(session, commune, tmp_path, "Tin có hạn", 60_000, valid_until=expires)
    _morning_program(session, commune, bulletin)

    today = day_timetable(session, commune, DAY)
    assert [(i.title, i.starts_at) for i in today.items] == [("Tin có hạn", at_wall_clock(DAY, time(6)))]
    tomorrow = day_timetable(session, commune, DAY + timedelta(days=1))
    assert tomorrow.items == ()
    assert [d.reason for d in tomorrow.dropped] == ["expired"]
    assert "hết hiệu lực" in tomorrow.dropped[0].message_vi


def test_a_stored_emergency_is_replayed_the_same_way_every_time(session: Session, tmp_path: Path) -> None:
    commune = add_commune(session, add_province(session, "P", "Tỉnh"), "XA", "Xã")
    normal = _bulletin(session, commune, tmp_path, "Tin thường", 60_000)
    _morning_program(session, commune, normal)
    alert = _bulletin(session, commune, tmp_path, "Bão", 20_000, priority="emergency")
    issued = at_wall_clock(DAY, time(6, 0, 10))
    assert commune.id is not None
    author = session.get(Bulletin, alert)
    assert author is not None
    session.add(
        EmergencyOrder(
            bulletin_id=alert,
            commune_id=commune.id,
            issued_by=author.author_id,
            issued_at=issued,
            starts_at=issued + timedelta(seconds=1),
        )
    )
    session.flush()

    first = day_timetable(session, commune, DAY)
    assert first == day_timetable(session, commune, DAY)
    rows = [
        (i.item_id.split("-")[-1], i.title, i.starts_at.astimezone(COMMUNE_ZONE).time(), i.duration_ms)
        for i in first.items
    ]
    cut, emergency, again = rows
    assert cut[1:] == ("Tin thường", time(6, 0), 11_000)  # stopped when the emergency began
    assert emergency[1:] == ("Bão", time(6, 0, 11), 20_000)
    assert again[0].endswith("~again") and again[1:] == ("Tin thường", time(6, 0, 31), 60_000)  # a bulletin restarts


@pytest.mark.parametrize(
    ("cancel_after_s", "expected"),
    [
        (
            6,
            [
                ("Tin thường", time(6, 0), 11_000),
                ("Bão", time(6, 0, 11), 6_000),
                ("Tin thường", time(6, 0, 17), 60_000),
            ],
        ),
        (-1, [("Tin thường", time(6, 0), 60_000)]),  # cancelled before it began: as if never issued
    ],
)
def test_a_cancelled_emergency_airs_only_until_its_cancellation(
    session: Session, tmp_path: Path, cancel_after_s: int, expected: list[tuple[str, time, int]]
) -> None:
    commune = add_commune(session, add_province(session, "P", "Tỉnh"), "XA", "Xã")
    _morning_program(session, commune, _bulletin(session, commune, tmp_path, "Tin thường", 60_000))
    alert = _bulletin(session, commune, tmp_path, "Bão", 20_000, priority="emergency")
    author = session.get(Bulletin, alert)
    assert commune.id is not None and author is not None
    issued = at_wall_clock(DAY, time(6, 0, 10))
    starts = issued + timedelta(seconds=1)
    session.add(
        EmergencyOrder(
            bulletin_id=alert,
            commune_id=commune.id,
            issued_by=author.author_id,
            issued_at=issued,
            starts_at=starts,
            cancelled_at=starts + timedelta(seconds=cancel_after_s),
            cancelled_by=author.author_id,
        )
    )
    session.flush()

    items = day_timetable(session, commune, DAY).items
    assert [(i.title, i.starts_at.astimezone(COMMUNE_ZONE).time(), i.duration_ms) for i in items] == expected


def _two_hamlets(session: Session, tmp_path: Path) -> tuple[Commune, Bulletin]:
    """Commune XA: clusters XA-01 and XA-02 in the group "Xóm Bãi", XA-03 outside it; the morning program for
    all of them; and an approved emergency bulletin."""
    commune = add_commune(session, add_province(session, "P", "Tỉnh"), "XA", "Xã")
    for code in ("XA-01", "XA-02", "XA-03"):
        add_device(session, commune, code, hash_iterations=101)
    assert commune.id is not None
    session.add(HamletGroup(commune_id=commune.id, name="Xóm Bãi", clusters=["XA-01", "XA-02"]))
    _morning_program(session, commune, _bulletin(session, commune, tmp_path, "Tin thường", 60_000))
    bulletin = session.get(Bulletin, _bulletin(session, commune, tmp_path, "Lũ quét", 20_000, priority="emergency"))
    assert bulletin is not None
    return commune, bulletin


def _issue(
    session: Session, commune: Commune, bulletin: Bulletin, clusters: frozenset[str] | None, now: datetime
) -> datetime:
    order = issue_emergency(
        session,
        bulletin,
        commune,
        clusters,
        issued_by=bulletin.author_id,
        now=now,
        dispatch_lead=timedelta(seconds=1),
        lookback=timedelta(minutes=30),
        planning=Planning(),
    )
    return order.starts_at.astimezone(COMMUNE_ZONE)


def test_a_hamlet_group_emergency_preempts_only_the_groups_clusters(session: Session, tmp_path: Path) -> None:
    commune, bulletin = _two_hamlets(session, tmp_path)
    group = resolve_target(HamletGroupTarget("XA", "Xóm Bãi"), load_registry(session))["XA"]
    issued = at_wall_clock(DAY, time(6, 0, 10))
    _issue(session, commune, bulletin, group, issued)

    timetable = day_timetable(session, commune, DAY)
    rows = [
        (i.title, i.starts_at.astimezone(COMMUNE_ZONE).time(), i.duration_ms, timetable.clusters_of(i))
        for i in timetable.items
    ]
    the_group = frozenset({"XA-01", "XA-02"})
    assert rows == [
        ("Tin thường", time(6, 0), 11_000, the_group),  # cut on the group's clusters
        ("Tin thường", time(6, 0), 60_000, frozenset({"XA-03"})),  # whole on the other one
        ("Lũ quét", time(6, 0, 11), 20_000, the_group),
        ("Tin thường", time(6, 0, 31), 60_000, the_group),  # restarted, on the group only
    ]
    assert timetable.dropped == ()
    # One id, twice, for disjoint clusters: a valid playlist, and each node finds one version of it.
    playlist = compile_playlist("XA", timetable.entries(), version=1, now=issued, horizon=timedelta(hours=1))
    for code, ends in (("XA-01", time(6, 0, 11)), ("XA-03", time(6, 1))):
        [normal] = [i for i in playlist.items if i.is_for(code) and i.item_id == timetable.items[0].item_id]
        assert (normal.starts_at + timedelta(milliseconds=normal.duration_ms)).astimezone(COMMUNE_ZONE).time() == ends
    assert not any(i.is_for("XA-03") for i in playlist.items if i.priority == "emergency")


def test_an_emergency_waits_only_for_one_on_air_on_a_shared_cluster(session: Session, tmp_path: Path) -> None:
    commune, bulletin = _two_hamlets(session, tmp_path)
    issued = at_wall_clock(DAY, time(6, 0, 10))
    assert _issue(session, commune, bulletin, frozenset({"XA-01", "XA-02"}), issued).time() == time(6, 0, 11)
    later = issued + timedelta(seconds=5)
    assert _issue(session, commune, bulletin, frozenset({"XA-03"}), later).time() == time(6, 0, 16)
    # XA-02 is still busy with the first one until 06:00:31, and XA-03 with the second until 06:00:36.
    assert _issue(session, commune, bulletin, frozenset({"XA-02"}), later).time() == time(6, 0, 31)
    assert _issue(session, commune, bulletin, None, later).time() == time(6, 0, 51)


def test_a_slot_that_no_longer_holds_its_items_drops_the_last_ones_unless_a_change_is_being_checked(
    session: Session, tmp_path: Path
) -> None:
    """A recording replaced by a longer one can overfill a slot that was checked when it was placed."""
    commune = add_commune(session, add_province(session, "P", "Tỉnh"), "XA", "Xã")
    _morning_program(session, commune, _bulletin(session, commune, tmp_path, "Dài", 20 * 60_000))
    program = session.exec(select(ProgramRecord)).one()
    assert program.id is not None
    second = _bulletin(session, commune, tmp_path, "Thêm", 15 * 60_000)  # 20 + 15 min in a 30 min slot
    session.add(ProgramItemRecord(program_id=program.id, seq=1, kind="bulletin", bulletin_id=second))
    session.flush()

    aired = day_timetable(session, commune, DAY)
    assert [i.title for i in aired.items] == ["Dài"]
    assert [(d.title, d.reason) for d in aired.dropped] == [("Thêm", "slot_overfull")]
    assert "khung giờ Sáng không còn đủ chỗ" in aired.dropped[0].message_vi
    start = at_wall_clock(DAY, time(0), COMMUNE_ZONE)
    with pytest.raises(SlotOverfull):
        commune_timetable(session, commune, start=start, end=start + timedelta(days=1), check_conflicts=True)


def _khmer_version(session: Session, tmp: Path, bulletin_id: int, duration_ms: int, *, approved: bool = True) -> str:
    """An approved bulletin's Khmer version, approved with it (or added after, not approved)."""
    asset = save_asset(
        session, AssetStore(tmp), EncodedAudio(data=b"khmer", codec="opus", duration_ms=duration_ms), source="upload"
    )
    bulletin = session.get(Bulletin, bulletin_id)
    assert bulletin is not None
    bulletin.reviewed_at = datetime(2026, 11, 2, tzinfo=UTC)
    version = BulletinTranslation(
        bulletin_id=bulletin_id, language="km", title="ព័ត៌មាន", audio_source="recording", audio_sha256=asset.sha256
    )
    if approved:
        approve_translation(bulletin, version, asset.sha256, spoken_text="", note="")
    session.add_all([bulletin, version])
    session.flush()
    return asset.sha256


def test_a_bulletins_versions_air_together_vietnamese_first_and_are_preempted_as_one(
    session: Session, tmp_path: Path
) -> None:
    commune = add_commune(session, add_province(session, "P", "Tỉnh"), "XA", "Xã")
    bulletin = _bulletin(session, commune, tmp_path, "Tin thường", 60_000)
    khmer = _khmer_version(session, tmp_path, bulletin, 40_000)
    _morning_program(session, commune, bulletin)

    plain = day_timetable(session, commune, DAY)
    rows = [(i.title, i.starts_at.astimezone(COMMUNE_ZONE).time(), i.unit) for i in plain.items]
    assert rows == [("Tin thường", time(6), "bulletin:1"), ("ព័ត៌មាន", time(6, 1), "bulletin:1")]
    assert plain.content_of(plain.items[1].item_id).sha256 == khmer

    # An emergency during the Vietnamese version, whose policy is to drop: the Khmer one goes with it.
    record = session.exec(select(ProgramItemRecord)).one()
    record.on_interrupt = "drop"
    alert = _bulletin(session, commune, tmp_path, "Bão", 20_000, priority="emergency")
    issued = at_wall_clock(DAY, time(6, 0, 10))
    author = session.get(Bulletin, alert)
    assert author is not None and commune.id is not None
    session.add(
        EmergencyOrder(
            bulletin_id=alert,
            commune_id=commune.id,
            issued_by=author.author_id,
            issued_at=issued,
            starts_at=issued + timedelta(seconds=1),
        )
    )
    session.add(record)
    session.flush()
    cut = day_timetable(session, commune, DAY)
    assert [(i.title, i.duration_ms) for i in cut.items] == [("Tin thường", 11_000), ("Bão", 20_000)]
    assert sorted(d.title for d in cut.dropped) == ["Tin thường", "ព័ត៌មាន"]

    # With "resume", the rest of the Vietnamese version, then the Khmer one, after the emergency.
    record.on_interrupt = "resume"
    session.add(record)
    session.flush()
    resumed = day_timetable(session, commune, DAY)
    assert [(i.title, i.starts_at.astimezone(COMMUNE_ZONE).time(), i.duration_ms) for i in resumed.items] == [
        ("Tin thường", time(6), 11_000),
        ("Bão", time(6, 0, 11), 20_000),
        ("Tin thường", time(6, 0, 31), 49_000),
        ("ព័ត៌មាន", time(6, 1, 20), 40_000),
    ]


def test_only_approved_versions_air_and_a_commune_can_give_one_language_its_own_slot(
    session: Session, tmp_path: Path
) -> None:
    commune = add_commune(session, add_province(session, "P", "Tỉnh"), "XA", "Xã")
    bulletin = _bulletin(session, commune, tmp_path, "Tin thường", 60_000)
    _khmer_version(session, tmp_path, bulletin, 40_000, approved=False)
    _morning_program(session, commune, bulletin)
    assert [i.title for i in day_timetable(session, commune, DAY).items] == ["Tin thường"]

    version = session.exec(select(BulletinTranslation)).one()
    row = session.get(Bulletin, bulletin)
    assert row is not None
    approve_translation(row, version, version.audio_sha256, spoken_text="", note="")
    record = session.exec(select(ProgramItemRecord)).one()
    record.language = "km"  # this slot airs the Khmer version alone
    session.add_all([version, record])
    session.flush()
    alone = day_timetable(session, commune, DAY)
    assert [(i.title, i.starts_at.astimezone(COMMUNE_ZONE).time(), i.unit) for i in alone.items] == [
        ("ព័ត៌មាន", time(6), "")
    ]
    record.language = "vi"
    session.add(record)
    session.flush()
    assert [i.title for i in day_timetable(session, commune, DAY).items] == ["Tin thường"]
