"""Results out through the outbox: written with the play, sent signed, marked only when acknowledged,
retried with backoff while the source is down, never lost or doubled (the simulated source over real HTTP)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from controller.accounts import Role, UserCreate, create_user
from controller.db import make_engine, session_factory
from controller.settings import DatabaseSettings
from devices.command_signing import CommandSigner
from devices.proof_of_play import PlayRecord
from devices.registry import Device, add_commune, add_device, add_province
from province_link import OutboxMessage, OutboxSender, ReportNotDelivered, SourceSystem, enqueue_play
from province_link.outbox import http_post
from province_link.settings import SourceLinkSettings
from source_sim import SourceSystemSim

Sessions = Callable[[], Session]
T0 = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # when the play aired


@pytest.fixture
def sessions(database_url: str) -> Iterator[Sessions]:
    engine = make_engine(DatabaseSettings(url=database_url))
    yield session_factory(engine)
    engine.dispose()


class Clock:
    """The sender's clock, from just after the reports were written (they are due at once), moved by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC) + timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.now


def _world(make: Sessions, report_url: str) -> None:
    with make() as session:
        province = add_province(session, "P", "Tỉnh P")
        other = add_province(session, "Q", "Tỉnh Q")
        commune = add_commune(session, province, "XA-A", "Xã A")
        add_commune(session, other, "XA-Q", "Xã Q")
        add_device(session, commune, "A1", name="Cụm A1", hash_iterations=1)
        account = create_user(
            session,
            UserCreate(username="nguon.stp", role=Role.OFFICER, password="password-1"),
            province_id=None,
            communes=[],
        )
        assert province.id is not None and other.id is not None and account.id is not None
        for code, province_id, url in (
            ("STP-P", province.id, report_url),
            ("STP-P2", province.id, None),
            ("STP-Q", other.id, report_url),
        ):
            session.add(
                SourceSystem(
                    code=code,
                    name=code,
                    province_id=province_id,
                    public_key_b64="",
                    author_id=account.id,
                    report_url=url,
                )
            )
        session.commit()


def _play(make: Sessions, report_id: str) -> None:
    """A proof of play stored as the uplink stores it: the record and its reports in one transaction."""
    with make() as session:
        device = session.exec(select(Device).where(Device.code == "A1")).one()
        assert device.id is not None
        record = PlayRecord(
            report_id=report_id,
            device_id=device.id,
            commune_code="XA-A",
            playlist_version=3,
            item_id="b7",
            asset_sha256="a" * 64,
            scheduled_start=T0,
            started_at=T0 + timedelta(milliseconds=40),
            ended_at=T0 + timedelta(seconds=30, milliseconds=40),
            start_error_ms=40,
            outcome="played",
        )
        session.add(record)
        session.flush()
        enqueue_play(session, device, record)
        session.commit()


def _waiting(make: Sessions) -> list[OutboxMessage]:
    with make() as session:
        return list(session.exec(select(OutboxMessage).where(col(OutboxMessage.sent_at).is_(None))))


def test_a_play_is_reported_once_to_each_source_of_its_province_that_takes_reports(
    sessions: Sessions, tmp_path: Path
) -> None:
    signer = CommandSigner.load_or_create(tmp_path / "report-key.pem")
    with SourceSystemSim(tmp_path / "sim", "STP-P", loaxa_public_key=signer.public_key_b64) as sim:
        _world(sessions, f"{sim.url}/reports")
        _play(sessions, "r-1")
        _play(sessions, "r-2")
        clock = Clock()
        assert len(_waiting(sessions)) == 2  # only STP-P: STP-P2 takes no reports, STP-Q is another province
        sender = OutboxSender(sessions, SourceLinkSettings(), signer, clock=clock)
        assert sender.send_once() == 2
        assert sender.send_once() == 0 and _waiting(sessions) == []
    [first, second] = sim.reports()
    assert first["id"] == "play:r-1" and second["id"] == "play:r-2"
    play = first["play"]
    assert (play["commune"], play["cluster"], play["item_id"], play["duration_ms"]) == ("XA-A", "A1", "b7", 30_000)
    assert play["outcome"] == "played" and play["source_item"] is None


def test_reports_wait_with_backoff_while_the_source_is_down_and_arrive_once_after(
    sessions: Sessions, tmp_path: Path
) -> None:
    signer = CommandSigner.load_or_create(tmp_path / "report-key.pem")
    settings = SourceLinkSettings(retry_min_s=5, retry_max_s=40, report_timeout_s=2)
    sim = SourceSystemSim(tmp_path / "sim", "STP-P", port=0)
    sim.start()
    url = sim.url
    sim.stop()  # the upstream is down for the whole airing
    _world(sessions, f"{url}/reports")
    for n in range(3):
        _play(sessions, f"r-{n}")
    clock = Clock()
    sender = OutboxSender(sessions, settings, signer, clock=clock)
    waits = []
    for _ in range(5):
        assert sender.send_once() == 0
        [row, *_] = _waiting(sessions)
        waits.append((row.next_attempt_at - clock.now).total_seconds())
        assert row.last_error
        assert sender.send_once() == 0, "tried again before its time"
        clock.now = row.next_attempt_at
    assert waits == [5, 10, 20, 40, 40]
    assert len(_waiting(sessions)) == 3

    host, port = url.removeprefix("http://").split(":")
    with SourceSystemSim(tmp_path / "sim", "STP-P", host=host, port=int(port)) as back:
        assert sender.send_once() == 3
        assert [r["id"] for r in back.reports()] == ["play:r-0", "play:r-1", "play:r-2"]


def test_a_crash_between_sending_and_marking_sends_again_and_the_source_keeps_one(
    sessions: Sessions, tmp_path: Path
) -> None:
    signer = CommandSigner.load_or_create(tmp_path / "report-key.pem")
    settings = SourceLinkSettings(retry_min_s=5, report_timeout_s=2)
    with SourceSystemSim(tmp_path / "sim", "STP-P") as sim:
        _world(sessions, f"{sim.url}/reports")
        _play(sessions, "r-1")
        clock = Clock()
        deliver = http_post(5)

        def delivered_then_lost(url: str, body: bytes, headers: dict[str, str]) -> list[str]:
            deliver(url, body, headers)  # the source stored it; its answer never came back
            raise ReportNotDelivered("connection reset")

        assert OutboxSender(sessions, settings, signer, post=delivered_then_lost, clock=clock).send_once() == 0
        clock.now += timedelta(seconds=60)
        assert OutboxSender(sessions, settings, signer, clock=clock).send_once() == 1
        assert [r["id"] for r in sim.reports()] == ["play:r-1"]


def test_a_source_refuses_reports_not_signed_with_loaxas_key(sessions: Sessions, tmp_path: Path) -> None:
    signer = CommandSigner.load_or_create(tmp_path / "report-key.pem")
    impostor = CommandSigner.load_or_create(tmp_path / "other-key.pem")
    with SourceSystemSim(tmp_path / "sim", "STP-P", loaxa_public_key=signer.public_key_b64) as sim:
        _world(sessions, f"{sim.url}/reports")
        _play(sessions, "r-1")
        assert OutboxSender(sessions, SourceLinkSettings(), impostor, clock=Clock()).send_once() == 0
        assert sim.reports() == [] and "401" in _waiting(sessions)[0].last_error
