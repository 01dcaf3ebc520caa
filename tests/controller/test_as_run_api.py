"""The as-run log over the real API: CSV downloads by commune and province, one day with its check, the
day heads; the scope rules, bad periods, and an audit entry for every download."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from controller.accounts import Role
from controller.audit import AuditEntry
from controller.db import make_engine, session_factory
from controller.settings import Settings
from devices.registry import Device
from tests.harness import Api, ControllerServer, add_user_directly, login, play_record, setup_commune

pytestmark = pytest.mark.one_database(
    "sqlite", why="API and scope rules; the chain's queries run on both in tests/reports"
)


def _plays(settings: Settings, day_start: datetime) -> None:
    """Three plays as the nodes would have reported them: two in XA, one in XB."""
    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        for n, cluster in enumerate(["XA-1", "XA-1", "XB-1"]):
            device = session.exec(select(Device).where(Device.code == cluster)).one()
            start = day_start + timedelta(hours=6, minutes=n)
            session.add(
                play_record(
                    device.id or 0,
                    cluster.split("-")[0],
                    f"r{n}",
                    start,
                    seconds=42,
                    item_id=f"b{n}",
                    sha256="c" * 64,
                    outcome="played",
                )
            )
        session.commit()
        downloads = session.exec(select(AuditEntry).where(AuditEntry.action == "report.as_run")).all()
        assert downloads == []
    engine.dispose()


def test_as_run_downloads_follow_the_scope_and_are_audited(
    settings: Settings, controller: ControllerServer, admin: Api, request: pytest.FixtureRequest
) -> None:
    setup_commune(admin, "P", "XA", ["XA-1"])
    setup_commune(admin, "P", "XB", ["XB-1"])
    zone = ZoneInfo(settings.scheduler.timezone)
    yesterday = (datetime.now(zone) - timedelta(days=1)).date()
    _plays(settings, datetime(yesterday.year, yesterday.month, yesterday.day, tzinfo=zone).astimezone(UTC))
    assert controller.services.sealer is not None and controller.services.sealer.seal_once() == 3
    add_user_directly(settings, "canbo.xa", Role.OFFICER, "pass-xa-1", commune_codes=["XA"])
    add_user_directly(settings, "so.p", Role.OFFICER, "pass-sp-1", province_code="P")
    officer, province = (
        login(controller.base_url, "canbo.xa", "pass-xa-1"),
        login(controller.base_url, "so.p", "pass-sp-1"),
    )
    for api in (officer, province):
        request.addfinalizer(api.client.close)
    period = {"from": str(yesterday), "to": str(yesterday)}

    csv = officer.client.get("/api/v1/communes/XA/as-run.csv", params=period)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv"), csv.text
    assert csv.content.startswith(b"\xef\xbb\xbf") and "attachment" in csv.headers["content-disposition"]
    rows = csv.content.decode("utf-8-sig").splitlines()
    assert len(rows) == 3 and all(",XA," in row for row in rows[1:])
    assert officer.client.get("/api/v1/communes/XB/as-run.csv", params=period).status_code == 403
    assert officer.client.get("/api/v1/provinces/P/as-run.csv", params=period).status_code == 403

    whole = province.client.get("/api/v1/provinces/P/as-run.csv", params=period)
    assert whole.status_code == 200 and len(whole.content.decode("utf-8-sig").splitlines()) == 4

    day = officer.client.get("/api/v1/communes/XA/as-run", params={"day": str(yesterday)}).json()
    assert day["plays"] == 2 and day["intact"] is True and [r["seq"] for r in day["rows"]] == [1, 2]
    assert day["rows"][1]["link_sha256"] == day["head_sha256"] and day["rows"][0]["duration_s"] == 42.0
    heads = officer.client.get("/api/v1/communes/XA/as-run/heads", params=period).json()
    assert heads == [{"commune_code": "XA", "day": str(yesterday), "plays": 2, "head_sha256": day["head_sha256"]}]

    # Bad periods: a clear Vietnamese reason, never a 500.
    tomorrow = yesterday + timedelta(days=2)
    for bad, words in (
        ({"from": str(yesterday), "to": str(yesterday - timedelta(days=1))}, "Ngày kết thúc"),
        ({"from": str(tomorrow), "to": str(tomorrow)}, "tương lai"),
        ({"from": "2020-01-01", "to": str(yesterday)}, "dài nhất"),
        ({"from": "hôm qua", "to": str(yesterday)}, ""),
    ):
        answer = officer.client.get("/api/v1/communes/XA/as-run.csv", params=bad)
        assert answer.status_code == 422 and words in answer.text, (bad, answer.text)

    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        audited = session.exec(select(AuditEntry).where(AuditEntry.action == "report.as_run")).all()
        assert sorted((a.username, a.target) for a in audited) == [("canbo.xa", "commune:XA"), ("so.p", "province:P")]
    engine.dispose()
