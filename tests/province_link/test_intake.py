"""Taking in the source system's items (`province_link.intake`) on a real database, rule by rule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from controller.accounts import Role, UserCreate, create_user
from controller.db import make_engine, session_factory
from controller.settings import DatabaseSettings
from devices.registry import add_commune, add_province
from province_link import (
    ItemRefused,
    SourceDelivery,
    SourceItemRecord,
    SourceSystem,
    StaleDelivery,
    VersionConflict,
    authenticate_source,
    receive,
)
from province_link.errors import SourceNotAuthenticated
from schedules import Bulletin, BulletinStatus
from tests.source_system import SourceSigner, item

NOW = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
MAX_AGE = timedelta(minutes=5)


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = make_engine(DatabaseSettings(url=database_url))
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


class Link:
    def __init__(self, session: Session) -> None:
        self.session = session
        province = add_province(session, "LA", "Tỉnh Long An")
        for code in ("XA-A", "XA-B", "XA-C"):
            add_commune(session, province, code, f"Xã {code}")
        add_commune(session, add_province(session, "Q", "Tỉnh Q"), "XA-Q", "Xã Q")
        account = create_user(
            session,
            UserCreate(username="nguon.stp-la", role=Role.OFFICER, password="password-1"),
            province_id=province.id,
            communes=[],
        )
        self.signer = SourceSigner("STP-LA")
        assert province.id is not None and account.id is not None
        self.source = SourceSystem(
            code="STP-LA",
            name="Sở Tư pháp",
            province_id=province.id,
            public_key_b64=self.signer.public_key,
            author_id=account.id,
        )
        session.add(self.source)
        session.flush()

    def send(self, fields: dict[str, Any], *, at: datetime = NOW, nonce: str | None = None) -> Any:
        body = self.signer.message(fields, sent_at=at, nonce=nonce)
        return receive(self.session, self.source, body, now=NOW, max_age=MAX_AGE)

    def bulletins(self) -> list[Bulletin]:
        return list(self.session.exec(select(Bulletin).order_by(col(Bulletin.id))))

    def deliveries(self) -> list[tuple[str, str]]:
        rows = self.session.exec(select(SourceDelivery).order_by(col(SourceDelivery.id)))
        return [(row.outcome, row.reason) for row in rows]


def test_an_item_becomes_one_pending_bulletin_per_commune_once(session: Session) -> None:
    link = Link(session)
    first = link.send(item(priority="khan_cap", language="km"))
    assert first.refusal is None and first.receipt.status == "pending" and not first.receipt.duplicate
    bulletins = link.bulletins()
    assert [b.status for b in bulletins] == [BulletinStatus.PENDING] * 2
    assert {b.commune_id for b in bulletins} == {first.created[0].commune_id, first.created[1].commune_id}
    assert {(b.priority, b.language, b.topic) for b in bulletins} == {("emergency", "km", "phòng chống ma túy")}
    assert {b.legal_field for b in bulletins} == {"phong-chong-ma-tuy"}  # the source's wording, filed
    assert all(b.author_id == link.source.author_id for b in bulletins)
    assert first.receipt.bulletin_ids == [b.id for b in bulletins]

    again = link.send(item(priority="khan_cap", language="km"))  # delivered twice, new nonce
    assert again.receipt.duplicate and again.receipt.bulletin_ids == first.receipt.bulletin_ids
    assert len(link.bulletins()) == 2 and len(session.exec(select(SourceItemRecord)).all()) == 1
    assert [outcome for outcome, _ in link.deliveries()] == ["accepted", "duplicate"]


def test_a_province_item_is_one_province_bulletin_and_other_provinces_are_refused(session: Session) -> None:
    link = Link(session)
    result = link.send(item(target={"province": "LA"}))
    [bulletin] = link.bulletins()
    assert result.refusal is None and bulletin.province_id == link.source.province_id and bulletin.commune_id is None
    for target, where in (
        ({"province": "Q"}, "Tỉnh Long An"),
        ({"communes": ["XA-A", "XA-Q"]}, "XA-Q"),
        ({"communes": ["XA-9"]}, "XA-9"),
    ):
        refused = link.send(item("STP-2", target=target))
        assert isinstance(refused.refusal, ItemRefused) and where in refused.refusal.message_vi
    assert len(link.bulletins()) == 1 and len(session.exec(select(SourceItemRecord)).all()) == 1
    assert [outcome for outcome, _ in link.deliveries()] == ["accepted", "refused", "refused", "refused"]


def test_a_newer_version_sends_approved_bulletins_back_for_approval_and_narrows_targets(session: Session) -> None:
    link = Link(session)
    link.send(item())
    a, b = link.bulletins()
    a.status, b.status = BulletinStatus.APPROVED, BulletinStatus.APPROVED
    session.flush()
    result = link.send(item(version=2, text="Nội dung đã sửa.", target={"communes": ["XA-A", "XA-C"]}))
    assert result.refusal is None and result.receipt.version == 2
    a2, b2, c2 = link.bulletins()
    assert (a2.status, a2.body) == (BulletinStatus.PENDING, "Nội dung đã sửa.")
    assert b2.status == BulletinStatus.REJECTED and "thu hồi" in b2.rejection_reason
    assert c2.status == BulletinStatus.PENDING
    assert {x.id for x in result.off_air} == {a2.id, b2.id}

    stale = link.send(item(version=1))
    assert isinstance(stale.refusal, VersionConflict) and "phiên bản 2" in stale.refusal.message_vi
    changed = link.send(item(version=2, text="Khác hẳn."))
    assert isinstance(changed.refusal, VersionConflict)
    assert link.bulletins()[0].body == "Nội dung đã sửa."


def test_withdrawal_takes_every_bulletin_off_and_a_later_version_brings_them_back(session: Session) -> None:
    link = Link(session)
    link.send(item())
    for bulletin in link.bulletins():
        bulletin.status = BulletinStatus.APPROVED
    session.flush()
    gone = link.send({"id": "STP-2026-0001", "version": 2, "action": "withdraw"})
    assert gone.receipt.status == "withdrawn" and len(gone.off_air) == 2
    assert {b.status for b in link.bulletins()} == {BulletinStatus.REJECTED}
    back = link.send(item(version=3))
    assert back.receipt.status == "pending" and {b.status for b in link.bulletins()} == {BulletinStatus.PENDING}
    unknown = link.send({"id": "NEVER-SENT", "version": 1, "action": "withdraw"})
    assert isinstance(unknown.refusal, ItemRefused)


def test_stale_replayed_or_malformed_messages_are_refused_and_recorded(session: Session) -> None:
    link = Link(session)
    late = link.send(item(), at=NOW - timedelta(minutes=6))
    assert isinstance(late.refusal, StaleDelivery)
    early = link.send(item(), at=NOW + timedelta(minutes=6))
    assert isinstance(early.refusal, StaleDelivery)
    assert link.send(item(), nonce="n" * 20).refusal is None
    replay = link.send(item("STP-OTHER"), nonce="n" * 20)
    assert isinstance(replay.refusal, StaleDelivery) and "gửi lặp" in replay.refusal.message_vi
    for bad in (b"{not json", b'{"link_version": 1}', link.signer.message({"id": "X", "version": 1, "title": "Thiếu"})):
        refused = receive(session, link.source, bad, now=NOW, max_age=MAX_AGE)
        assert isinstance(refused.refusal, ItemRefused) and "định dạng" in refused.refusal.message_vi
    naive = link.signer.message(item("STP-N", valid_from="2026-12-03T08:00:00")).replace(b"+00:00", b"")
    assert receive(session, link.source, naive, now=NOW, max_age=MAX_AGE).refusal is not None
    assert len(link.bulletins()) == 2  # only the one accepted item
    assert [o for o, _ in link.deliveries()].count("refused") == 7
    assert all(reason for outcome, reason in link.deliveries() if outcome == "refused")


def test_only_the_registered_key_over_the_exact_bytes_authenticates(session: Session) -> None:
    link = Link(session)
    body = link.signer.message(item())
    headers = link.signer.headers(body)
    source = authenticate_source(session, "STP-LA", headers["X-Loaxa-Signature"], body)
    assert source.id == link.source.id
    impostor = SourceSigner("STP-LA")
    for code, signature, payload in (
        ("STP-LA", impostor.headers(body)["X-Loaxa-Signature"], body),
        ("STP-LA", headers["X-Loaxa-Signature"], body + b" "),
        ("STP-XX", headers["X-Loaxa-Signature"], body),
        ("STP-LA", "not base64!", body),
        ("STP-LA", None, body),
        (None, headers["X-Loaxa-Signature"], body),
    ):
        with pytest.raises(SourceNotAuthenticated):
            authenticate_source(session, code, signature, payload)
    link.source.active = False
    with pytest.raises(SourceNotAuthenticated):
        authenticate_source(session, "STP-LA", headers["X-Loaxa-Signature"], body)


def test_a_version_that_only_changes_where_it_airs_keeps_the_approvals_it_can(session: Session) -> None:
    link = Link(session)
    link.send(item())
    for bulletin in link.bulletins():
        bulletin.status = BulletinStatus.APPROVED
    session.flush()
    narrowed = link.send(item(version=2, target={"communes": ["XA-A"]}))
    a, b = link.bulletins()
    assert (a.status, b.status) == (BulletinStatus.APPROVED, BulletinStatus.REJECTED)
    assert [x.id for x in narrowed.off_air] == [b.id]
