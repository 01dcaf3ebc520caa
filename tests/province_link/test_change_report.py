"""Stations, clusters and bulletins reported upward: written in the transaction of the change (by the
controller's sessions, whatever code made it), one unsent report per subject holding its newest state,
a new one once a sender took it, periodic snapshots, and acknowledged reports pruned after retention."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlmodel import Session, col, select

from audio_library import AssetStore, EncodedAudio, save_asset
from audio_library.timestamps import utc_now
from controller.accounts import Role, UserCreate, create_user
from controller.db import make_engine, session_factory
from controller.settings import DatabaseSettings
from devices.command_signing import CommandSigner
from devices.health_monitor import HealthMonitor
from devices.protocol import Heartbeat
from devices.registry import Commune, Device, DeviceUpdate, add_commune, add_device, add_province, update_device
from devices.settings import FleetSettings
from province_link import OutboxMessage, OutboxSender, ReportNotDelivered, SourceSystem, prune, snapshots_due
from province_link.settings import SourceLinkSettings
from schedules import Bulletin, BulletinStatus, publish_playlist, schedule_broadcast
from schedules.bulletin import withdraw
from source_sim import SourceSystemSim
from tests.harness import wait_until
from tests.schedules.test_publication import quiet_hours_away_from

Sessions = Callable[[], Session]
HORIZON = timedelta(hours=24)
LOOKBACK = timedelta(hours=1)


@pytest.fixture
def sessions(database_url: str) -> Iterator[Sessions]:
    engine = make_engine(DatabaseSettings(url=database_url))
    yield session_factory(engine)
    engine.dispose()


def _world(make: Sessions, report_url: str = "http://127.0.0.1:9/reports") -> None:
    """Province P with commune XA-A and a source that takes reports; province Q with none."""
    with make() as session:
        province = add_province(session, "P", "Tỉnh P")
        add_commune(session, province, "XA-A", "Xã A")
        add_commune(session, add_province(session, "Q", "Tỉnh Q"), "XA-Q", "Xã Q")
        account = create_user(
            session,
            UserCreate(username="nguon.stp", role=Role.OFFICER, password="password-1"),
            province_id=None,
            communes=[],
        )
        assert province.id is not None and account.id is not None
        session.add(
            SourceSystem(
                code="STP-P",
                name="Sở Tư pháp",
                province_id=province.id,
                public_key_b64="",
                author_id=account.id,
                report_url=report_url,
            )
        )
        session.commit()


def _waiting(make: Sessions, kind: str | None = None) -> list[OutboxMessage]:
    with make() as session:
        query = select(OutboxMessage).where(col(OutboxMessage.sent_at).is_(None)).order_by(col(OutboxMessage.id))
        return [m for m in session.exec(query) if kind is None or m.kind == kind]


def _body(message: OutboxMessage) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(message.body)
    assert body["id"] == message.key and body["kind"] == message.kind and body["subject"] == message.subject
    return body[message.kind]  # type: ignore[no-any-return]


def _commune(session: Session, code: str) -> Commune:
    return session.exec(select(Commune).where(Commune.code == code)).one()


def _device(session: Session, code: str) -> Device:
    return session.exec(select(Device).where(Device.code == code)).one()


def _acking(url: str, body: bytes, headers: dict[str, str]) -> list[str]:
    """A source that acknowledges everything (the HTTP side is covered by test_outbox.py)."""
    return [m["id"] for m in json.loads(body)["messages"]]


def _down(url: str, body: bytes, headers: dict[str, str]) -> list[str]:
    raise ReportNotDelivered("connection refused")


def _sender(
    make: Sessions,
    tmp_path: Path,
    post: Callable[[str, bytes, dict[str, str]], list[str]],
    ahead: timedelta = timedelta(seconds=1),
) -> OutboxSender:
    """A sender whose clock is `ahead` of now, so what was just written is due."""
    signer = CommandSigner.load_or_create(tmp_path / "report-key.pem")
    return OutboxSender(make, SourceLinkSettings(), signer, post=post, clock=lambda: utc_now() + ahead)


def test_a_cluster_and_its_station_are_reported_with_the_change_and_coalesce_while_unsent(
    sessions: Sessions, tmp_path: Path
) -> None:
    _world(sessions)
    with sessions() as session:
        add_device(session, _commune(session, "XA-A"), "A1", name="Cụm A1", hash_iterations=1)
        add_device(session, _commune(session, "XA-Q"), "Q1", hash_iterations=1)  # province Q takes no reports
        session.rollback()
    assert _waiting(sessions) == [], "a change rolled back leaves no report"
    with sessions() as session:
        add_device(session, _commune(session, "XA-A"), "A1", name="Cụm A1", hash_iterations=1)
        add_device(session, _commune(session, "XA-Q"), "Q1", hash_iterations=1)
        session.commit()
    [station] = _waiting(sessions, "station")
    [cluster] = _waiting(sessions, "cluster")
    assert station.subject == "station:XA-A" and _body(station)["clusters"] == 1
    assert _body(station)["province"] == {"code": "P", "name": "Tỉnh P"}
    assert cluster.subject == "cluster:A1" and cluster.key.startswith("cluster:A1:")
    assert _body(cluster)["state"] == "unknown" and _body(cluster)["commune"] == "XA-A"

    for name, lat in (("Cụm loa chợ", 10.5), ("Cụm loa chợ Mới", 10.6)):
        with sessions() as session:
            update_device(session, _device(session, "A1"), DeviceUpdate(name=name, latitude=lat, longitude=106.4))
            session.commit()
    [coalesced] = _waiting(sessions, "cluster")
    assert coalesced.id == cluster.id and coalesced.key != cluster.key, "the unsent report holds the newest state"
    assert (_body(coalesced)["name"], _body(coalesced)["latitude"]) == ("Cụm loa chợ Mới", 10.6)
    with sessions() as session:  # a change nobody is told of (the connection state) adds nothing
        device = _device(session, "A1")
        device.state, device.session_seq = "online", 3
        session.commit()
    assert len(_waiting(sessions)) == 2

    assert _sender(sessions, tmp_path, _acking).send_once() == 2
    with sessions() as session:
        update_device(session, _device(session, "A1"), DeviceUpdate(horn_count=4))
        session.commit()
    [after] = _waiting(sessions)
    assert after.id != cluster.id and after.key != coalesced.key and _body(after)["horn_count"] == 4


def test_a_report_taken_by_a_sender_is_frozen_and_the_next_change_adds_one(sessions: Sessions, tmp_path: Path) -> None:
    sim = SourceSystemSim(tmp_path / "sim", "STP-P")
    sim.start()
    url = sim.url
    sim.stop()  # down: the first attempt fails, after the report was offered
    _world(sessions, f"{url}/reports")
    with sessions() as session:
        add_device(session, _commune(session, "XA-A"), "A1", hash_iterations=1)
        session.commit()
    assert _sender(sessions, tmp_path, _down).send_once() == 0
    [offered] = _waiting(sessions, "cluster")
    assert offered.offered_at is not None and offered.attempts == 1
    with sessions() as session:
        update_device(session, _device(session, "A1"), DeviceUpdate(name="Cụm mới"))
        session.commit()
    first, second = _waiting(sessions, "cluster")
    assert first.body == offered.body and _body(second)["name"] == "Cụm mới"

    host, port = url.removeprefix("http://").split(":")
    with SourceSystemSim(tmp_path / "sim", "STP-P", host=host, port=int(port)) as back:
        signer = CommandSigner.load_or_create(tmp_path / "report-key.pem")
        later = utc_now() + timedelta(minutes=5)
        assert OutboxSender(sessions, SourceLinkSettings(), signer, clock=lambda: later).send_once() == 3
        received = back.reports("cluster")
        assert [r["id"] for r in received] == [first.key, second.key]
        assert back.latest("cluster")["cluster:A1"]["cluster"]["name"] == "Cụm mới"


def test_health_transitions_decided_by_the_monitor_are_reported(sessions: Sessions) -> None:
    _world(sessions)
    with sessions() as session:
        device, _ = add_device(session, _commune(session, "XA-A"), "A1", hash_iterations=1)
        session.commit()
        assert device.id is not None
        device_id = device.id
    monitor = HealthMonitor(sessions, FleetSettings())
    now = datetime.now(UTC)
    monitor.record(
        device_id,
        Heartbeat(session_seq=1, sent_at=now, uptime_s=5, firmware="sim-1", volume=80, storage_free_mb=900),
    )
    monitor.sweep()
    [cluster] = _waiting(sessions, "cluster")
    body = _body(cluster)
    assert body["state"] == "online" and body["state_since"] is not None
    monitor.sweep()  # no transition: nothing new
    assert [m.key for m in _waiting(sessions, "cluster")] == [cluster.key]

    for seq, (amplifier, storage_mb) in enumerate((("fault", 900), ("fault", 10)), start=2):
        beat = Heartbeat(
            session_seq=1, sent_at=now, uptime_s=5 + seq, firmware="sim-1", volume=80, storage_free_mb=storage_mb
        )
        monitor.record(device_id, beat.model_copy(update={"amplifier": amplifier}))
        monitor.sweep()
    [degraded] = _waiting(sessions, "cluster")  # unsent: the newest state replaced the older ones
    assert _body(degraded)["state"] == "degraded"
    assert _body(degraded)["problems"] == ["amplifier_fault", "low_storage"]


def _approved_bulletin(session: Session, commune: Commune, tmp_path: Path) -> Bulletin:
    author = create_user(
        session, UserCreate(username="canbo", role=Role.OFFICER, password="password-1"), province_id=None, communes=[]
    )
    asset = save_asset(
        session, AssetStore(tmp_path), EncodedAudio(data=b"opus", codec="opus", duration_ms=30_000), source="tts"
    )
    assert commune.id is not None and author.id is not None
    bulletin = Bulletin(
        commune_id=commune.id,
        title="Luật Đất đai",
        body="Nội dung",
        author_id=author.id,
        status=BulletinStatus.APPROVED,
        audio_sha256=asset.sha256,
    )
    session.add(bulletin)
    session.flush()
    return bulletin


def test_a_bulletin_is_reported_when_approved_scheduled_and_withdrawn(sessions: Sessions, tmp_path: Path) -> None:
    _world(sessions)
    now = utc_now()
    airs_at = (now + timedelta(hours=2)).replace(microsecond=0)
    with sessions() as session:
        commune = _commune(session, "XA-A")
        bulletin = _approved_bulletin(session, commune, tmp_path)
        session.commit()
        [approved] = _waiting(sessions, "bulletin")
        assert approved.subject == f"bulletin:{bulletin.id}"
        assert _body(approved)["status"] == "approved" and _body(approved)["schedule"] == []
        assert _body(approved)["legal_field"]["code"] == "khac" and _body(approved)["commune"] == "XA-A"
        assert _sender(sessions, tmp_path, _acking).send_once() == 1

        quiet_hours_away_from(session, commune, airs_at)
        schedule_broadcast(
            session, bulletin, commune, airs_at, created_by=bulletin.author_id, now=now, lookback=LOOKBACK
        )
        session.commit()
        publish_playlist(session, commune, now=now, horizon=HORIZON, lookback=LOOKBACK)
        session.commit()
        [scheduled] = _waiting(sessions, "bulletin")
        [airings] = _body(scheduled)["schedule"]
        assert airings["commune"] == "XA-A"
        assert [(a["starts_at"], a["duration_ms"], a["clusters"]) for a in airings["airings"]] == [
            (airs_at.isoformat(), 30_000, None)
        ]
        publish_playlist(session, commune, now=now, horizon=HORIZON, lookback=LOOKBACK)  # unchanged: nothing more
        session.commit()
        assert len(_waiting(sessions, "bulletin")) == 1

        withdraw(bulletin, "Hệ thống thông tin nguồn đã thu hồi bản tin")
        session.add(bulletin)
        session.commit()
    [withdrawn] = _waiting(sessions, "bulletin")
    assert withdrawn.id == scheduled.id, "not yet sent: the newer state replaced it"
    body = _body(withdrawn)
    assert body["status"] == "withdrawn" and body["schedule"] == [] and "thu hồi" in body["reason"]


def test_snapshots_are_written_once_per_interval_and_acknowledged_reports_are_pruned(
    sessions: Sessions, tmp_path: Path
) -> None:
    _world(sessions)
    with sessions() as session:
        for code in ("A1", "A2"):
            add_device(session, _commune(session, "XA-A"), code, hash_iterations=1)
        session.commit()
    assert _sender(sessions, tmp_path, _acking).send_once() == 3  # the change reports, sent
    day = timedelta(days=1)
    now = utc_now()
    with sessions() as session:
        assert snapshots_due(session, now=now, interval=day) == 3  # XA-A's station and its two clusters
        assert snapshots_due(session, now=now + timedelta(hours=1), interval=day) == 0
    assert sorted(m.subject or "" for m in _waiting(sessions)) == ["cluster:A1", "cluster:A2", "station:XA-A"]
    with sessions() as session:
        assert snapshots_due(session, now=now + day, interval=day) == 3
    assert len(_waiting(sessions)) == 3, "a snapshot replaces the unsent one of the same subject"

    assert _sender(sessions, tmp_path, _acking, ahead=day * 2).send_once() == 3
    with sessions() as session:
        old = list(session.exec(select(OutboxMessage.id).order_by(col(OutboxMessage.id))).all())[:3]
        session.execute(
            update(OutboxMessage).where(col(OutboxMessage.id).in_(old)).values(sent_at=now - timedelta(days=40))
        )
        update_device(session, _device(session, "A1"), DeviceUpdate(name="chưa gửi"))
        session.commit()
        assert prune(session, before=now - timedelta(days=30)) == 3
        session.commit()
        left = session.exec(select(OutboxMessage)).all()
    assert len(left) == 4 and sum(1 for m in left if m.sent_at is None) == 1, "waiting reports are never pruned"


def test_a_revoked_cluster_is_reported_revoked_and_its_station_counts_one_less(sessions: Sessions) -> None:
    _world(sessions)
    with sessions() as session:
        for code in ("A1", "A2"):
            add_device(session, _commune(session, "XA-A"), code, hash_iterations=1)
        session.commit()
    with sessions() as session:
        device = _device(session, "A2")
        device.revoked_at = utc_now()
        session.commit()
    [station] = _waiting(sessions, "station")
    revoked = next(m for m in _waiting(sessions, "cluster") if m.subject == "cluster:A2")
    assert _body(station)["clusters"] == 1 and _body(revoked)["state"] == "revoked"


WAITING_ON_LOCKS = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


def _waiting_on_locks(session: Session) -> int:
    """Connections of this database waiting for a lock; a new transaction each time (PostgreSQL keeps one
    snapshot of pg_stat_activity per transaction)."""
    count = int(session.execute(text(WAITING_ON_LOCKS)).scalar_one())
    session.rollback()
    return count


@pytest.mark.one_database("postgresql", why="concurrent row locks: SQLite has one writer at a time, so no race")
def test_a_report_rewritten_while_a_sender_takes_it_becomes_a_new_report(sessions: Sessions, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (LOAXA_TEST_POSTGRES_URL)")
    _world(sessions)
    with sessions() as session:
        add_device(session, _commune(session, "XA-A"), "A1", hash_iterations=1)
        session.commit()
    [pending] = _waiting(sessions, "cluster")
    with sessions() as sender:
        # A sender has locked the row to lease it, and not committed yet...
        taken = sender.exec(
            select(OutboxMessage).where(OutboxMessage.id == pending.id).with_for_update(skip_locked=True)
        ).one()
        taken.offered_at = utc_now()
        sender.add(taken)
        sender.flush()
        done: list[BaseException | None] = []

        def edit() -> None:
            try:
                with sessions() as session:
                    update_device(session, _device(session, "A1"), DeviceUpdate(name="Cụm mới"))
                    session.commit()
                done.append(None)
            except BaseException as exc:  # handed to the test's thread
                done.append(exc)

        editor = threading.Thread(target=edit)
        editor.start()
        with sessions() as watcher:  # ...while the edit's report waits for that row
            assert wait_until(lambda: _waiting_on_locks(watcher) > 0, 10)
        sender.commit()
    editor.join(10)
    assert done == [None]
    first, second = _waiting(sessions, "cluster")
    assert first.id == pending.id and first.body == pending.body, "what the sender took was not changed"
    assert _body(second)["name"] == "Cụm mới"
