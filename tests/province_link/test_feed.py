"""Pull mode: loaxa reads a source system's feed (the simulated source over real HTTP, a real database)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from controller.accounts import Role, UserCreate, create_user
from controller.db import make_engine, session_factory
from controller.settings import DatabaseSettings, Settings
from devices.registry import add_commune, add_province
from province_link import FeedHooks, IntakeResult, SourceDelivery, SourceSystem, pull_feed
from province_link.feed import FeedPoller, http_fetch
from province_link.settings import SourceLinkSettings
from schedules import Bulletin
from source_sim import SourceSystemSim
from tests.harness import Api, ControllerServer, setup_commune, wait_until
from tests.source_system import item

Sessions = Callable[[], Session]


@pytest.fixture
def sessions(database_url: str) -> Iterator[Sessions]:
    engine = make_engine(DatabaseSettings(url=database_url))
    yield session_factory(engine)
    engine.dispose()


def _register(make: Sessions, sim: SourceSystemSim) -> int:
    with make() as session:
        province = add_province(session, "P", "Tỉnh P")
        for code in ("XA-A", "XA-B"):
            add_commune(session, province, code, f"Xã {code}")
        account = create_user(
            session,
            UserCreate(username="nguon.stp-p", role=Role.OFFICER, password="password-1"),
            province_id=province.id,
            communes=[],
        )
        assert province.id is not None and account.id is not None
        source = SourceSystem(
            code="STP-P",
            name="Sở Tư pháp",
            province_id=province.id,
            public_key_b64=sim.key.public_key_b64,
            author_id=account.id,
            feed_url=f"{sim.url}/feed",
        )
        session.add(source)
        session.commit()
        assert source.id is not None
        return source.id


class Hooks:
    def __init__(self) -> None:
        self.audited: list[str] = []
        self.published: list[int] = []

    def feed_hooks(self) -> FeedHooks:
        return FeedHooks(
            before_commit=lambda session, source, result: self.audited.append(self._item(result)),
            after_commit=lambda session, source, result: self.published.append(len(result.off_air)),
        )

    @staticmethod
    def _item(result: IntakeResult) -> str:
        return f"{result.receipt.item_id}@{result.receipt.version}" if result.receipt else "refused"


def test_new_feed_messages_are_taken_once_and_a_bad_one_is_passed_over(
    sessions: Sessions,
    tmp_path: Path,
) -> None:
    state = tmp_path / "source"
    state.mkdir()
    # A message in the feed whose signature is not the source's: kept as refused, never stops the feed.
    forged = {"seq": 1, "body": json.dumps({"link_version": 1, "item": {"id": "X"}}), "signature": "AAAA"}
    (state / "feed.jsonl").write_text(json.dumps(forged) + "\n")
    hooks = Hooks()
    fetch = http_fetch(SourceLinkSettings(fetch_timeout_s=5))
    with SourceSystemSim(state, "STP-P") as sim:
        source_id = _register(sessions, sim)
        sim.publish(item("STP-1"))
        sim.publish(item("STP-2", target={"province": "P"}))
        now = lambda: datetime.now(UTC)  # noqa: E731
        assert pull_feed(sessions, source_id, fetch, hooks.feed_hooks(), now=now) == 3
        assert pull_feed(sessions, source_id, fetch, hooks.feed_hooks(), now=now) == 0
        sim.publish({"id": "STP-1", "version": 2, "action": "withdraw"})
        sim.publish(item("STP-1"))  # the old version again, as a careless source might: refused, not taken twice
        assert pull_feed(sessions, source_id, fetch, hooks.feed_hooks(), now=now) == 2
    assert hooks.audited == ["STP-1@1", "STP-2@1", "STP-1@2", "refused"]
    with sessions() as session:
        source = session.get(SourceSystem, source_id)
        assert source is not None and source.feed_cursor == 5 and source.feed_error == ""
        outcomes = [d.outcome for d in session.exec(select(SourceDelivery).order_by(col(SourceDelivery.id)))]
        assert outcomes == ["refused", "accepted", "accepted", "accepted", "refused"]
        assert len(session.exec(select(Bulletin)).all()) == 3  # two communes for STP-1, one province bulletin

    # The source is gone: the reason is kept for staff, and the next read starts where this one stopped.
    assert pull_feed(sessions, source_id, fetch, hooks.feed_hooks(), now=now) == 0
    with sessions() as session:
        source = session.get(SourceSystem, source_id)
        assert source is not None and source.feed_cursor == 5 and "Không đọc được" in source.feed_error


def test_a_feed_that_is_not_a_feed_is_an_error_not_a_crash(sessions: Sessions, tmp_path: Path) -> None:
    with SourceSystemSim(tmp_path, "STP-P") as sim:
        source_id = _register(sessions, sim)
    pages = [b"<html>502</html>", json.dumps({"messages": [{"seq": -1}], "cursor": 0}).encode()]
    for page in pages:

        def fetch(url: str, after: int, page: bytes = page) -> bytes:
            return page

        poller = FeedPoller(sessions, SourceLinkSettings(), Hooks().feed_hooks(), fetch=fetch)
        assert poller.poll_once() == 0
        with sessions() as session:
            source = session.get(SourceSystem, source_id)
            assert source is not None and source.feed_error and source.feed_cursor == 0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"source_link": settings.source_link.model_copy(update={"poll_interval_s": 0.3})})


def test_the_controller_reads_a_registered_feed_on_its_own(
    controller: ControllerServer, admin: Api, tmp_path: Path
) -> None:
    setup_commune(admin, "P", "XA-A", ["A1"])
    with SourceSystemSim(tmp_path, "STP-P") as sim:
        body = {
            "code": "STP-P",
            "name": "Sở Tư pháp",
            "province_code": "P",
            "public_key": sim.key.public_key_b64,
            "feed_url": f"{sim.url}/feed",
        }
        assert admin.post("/api/v1/source-systems", body).status_code == 201
        sim.publish(item(target={"communes": ["XA-A"]}))

        def arrived() -> bool:
            return any(b["title"] == item()["title"] for b in admin.get("/api/v1/bulletins?status=pending").json())

        assert wait_until(arrived, 10, interval_s=0.1)
        [source] = admin.get("/api/v1/source-systems").json()
        assert source["feed_error"] == "" and source["feed_checked_at"] is not None
