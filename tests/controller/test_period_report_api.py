"""Period reports over the real API: the figures as JSON for a commune and a province, each file format,
the scope rules (an officer sees only their communes, a province report only the province's staff), bad
periods and communes, and an audit entry for every download."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from controller.accounts import Role, User
from controller.audit import AuditEntry
from controller.db import make_engine, session_factory
from controller.reports import send_filed_report
from controller.settings import Settings
from devices.registry import Device, Province
from province_link import OutboxMessage, SourceSystem
from reports.filing import ReportFiler
from tests.harness import Api, ControllerServer, add_user_directly, login, play_record, setup_commune

pytestmark = pytest.mark.one_database("sqlite", why="API and scope rules; the figures run on both in tests/reports")


def _plays(settings: Settings, day_start: datetime) -> None:
    """Plays as the nodes would have reported them: two in XA (one failed), one in XB."""
    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        for n, (cluster, outcome) in enumerate([("XA-1", "played"), ("XA-1", "failed"), ("XB-1", "played")]):
            device = session.exec(select(Device).where(Device.code == cluster)).one()
            device.created_at = day_start - timedelta(days=1)  # installed before the period
            session.add(device)
            start = day_start + timedelta(hours=6, minutes=n)
            session.add(
                play_record(
                    device.id or 0,
                    cluster.split("-")[0],
                    f"r{n}",
                    start,
                    seconds=90,
                    item_id=f"cmd-{n}",
                    sha256="c" * 64,
                    outcome=outcome,
                )
            )
        session.commit()
    engine.dispose()


def test_period_reports_follow_the_scope_and_are_audited(
    settings: Settings, controller: ControllerServer, admin: Api, request: pytest.FixtureRequest
) -> None:
    setup_commune(admin, "P", "XA", ["XA-1"])
    setup_commune(admin, "P", "XB", ["XB-1"])
    zone = ZoneInfo(settings.scheduler.timezone)
    yesterday = (datetime.now(zone) - timedelta(days=1)).date()
    _plays(settings, datetime(yesterday.year, yesterday.month, yesterday.day, tzinfo=zone).astimezone(UTC))
    add_user_directly(settings, "canbo.xa", Role.OFFICER, "pass-xa-1", commune_codes=["XA"])
    add_user_directly(settings, "giamsat.p", Role.MONITOR, "pass-gs-1", province_code="P")
    officer, monitor = (
        login(controller.base_url, "canbo.xa", "pass-xa-1"),
        login(controller.base_url, "giamsat.p", "pass-gs-1"),
    )
    for api in (officer, monitor):
        request.addfinalizer(api.client.close)
    period = {"from": str(yesterday), "to": str(yesterday)}

    mine = officer.client.get("/api/v1/communes/XA/report", params=period)
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body["commune_codes"] == ["XA"] and body["totals"]["plays"] == 1 and body["totals"]["failed_plays"] == 1
    assert body["totals"]["airtime_minutes"] == 1.5 and body["totals"]["clusters"] == 1
    assert officer.client.get("/api/v1/communes/XB/report", params=period).status_code == 403
    assert officer.client.get("/api/v1/provinces/P/report", params=period).status_code == 403

    whole = monitor.client.get("/api/v1/provinces/P/report", params=period).json()
    assert whole["commune_codes"] == ["XA", "XB"] and whole["totals"]["plays"] == 2
    some = monitor.client.get("/api/v1/provinces/P/report", params={**period, "commune": ["XB"]}).json()
    assert some["commune_codes"] == ["XB"] and some["totals"]["plays"] == 1
    unknown = monitor.client.get("/api/v1/provinces/P/report", params={**period, "commune": ["XZ"]})
    assert unknown.status_code == 403 and "XZ" in unknown.json()["message"]

    for fmt, magic, media in (
        ("xlsx", b"PK", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("csv", b"\xef\xbb\xbf", "text/csv"),
        ("pdf", b"%PDF", "application/pdf"),
    ):
        answer = officer.client.get(f"/api/v1/communes/XA/report.{fmt}", params={**period, "number": "7/BC-UBND"})
        assert answer.status_code == 200, answer.text
        assert answer.content.startswith(magic) and answer.headers["content-type"].startswith(media)
        assert f'.{fmt}"' in answer.headers["content-disposition"]
    assert monitor.client.get("/api/v1/provinces/P/report.xlsx", params=period).status_code == 200
    assert officer.client.get("/api/v1/communes/XA/report.doc", params=period).status_code == 422

    tomorrow = yesterday + timedelta(days=2)
    for bad, words in (
        ({"from": str(yesterday), "to": str(yesterday - timedelta(days=1))}, "Ngày kết thúc"),
        ({"from": str(tomorrow), "to": str(tomorrow)}, "tương lai"),
        ({"from": "2020-01-01", "to": str(yesterday)}, "dài nhất"),
    ):
        answer = officer.client.get("/api/v1/communes/XA/report", params=bad)
        assert answer.status_code == 422 and words in answer.text, (bad, answer.text)
    assert officer.client.get("/api/v1/communes/NOPE/report", params=period).status_code == 404

    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        audited = session.exec(select(AuditEntry).where(AuditEntry.action == "report.download")).all()
        assert sorted((a.username, a.target, a.detail.split()[-1]) for a in audited) == [
            ("canbo.xa", "commune:XA", "csv"),
            ("canbo.xa", "commune:XA", "pdf"),
            ("canbo.xa", "commune:XA", "xlsx"),
            ("giamsat.p", "province:P", "xlsx"),
        ]
    engine.dispose()


def test_filed_reports_are_listed_downloaded_and_filed_again(
    settings: Settings, controller: ControllerServer, admin: Api, request: pytest.FixtureRequest
) -> None:
    setup_commune(admin, "P", "XA", ["XA-1"])
    setup_commune(admin, "P", "XB", ["XB-1"])
    zone = ZoneInfo(settings.scheduler.timezone)
    today = datetime.now(zone).date()
    month_start = today.replace(day=1)
    # A play in the last closed month (the filer files periods three days after their end).
    closed_last = (month_start - timedelta(days=1)) if today.day > 3 else (month_start - timedelta(days=32))
    _plays(settings, datetime(closed_last.year, closed_last.month, 10, tzinfo=zone).astimezone(UTC))
    # The province's source system takes reports: each filed version goes up to it (kind period_report).
    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        author = session.exec(select(User)).first()
        province_id = session.exec(select(Province.id).where(Province.code == "P")).one()
        assert author is not None and author.id is not None and province_id is not None
        session.add(
            SourceSystem(
                code="STP-P",
                name="Sở Tư pháp",
                province_id=province_id,
                public_key_b64="A" * 43 + "=",
                author_id=author.id,
                report_url="http://127.0.0.1:9/reports",
            )
        )
        session.commit()
    engine.dispose()
    services = controller.services
    filer = ReportFiler(services.sessions, settings.reports, zone, sealer=services.sealer, on_filed=send_filed_report)
    assert filer.file_due(datetime.now(zone)) == 9  # month, half-year, year × (province, XA, XB)
    add_user_directly(settings, "canbo.xa", Role.OFFICER, "pass-xa-1", commune_codes=["XA"])
    add_user_directly(settings, "giamsat.p", Role.MONITOR, "pass-gs-1", province_code="P")
    officer = login(controller.base_url, "canbo.xa", "pass-xa-1")
    monitor = login(controller.base_url, "giamsat.p", "pass-gs-1")
    for api in (officer, monitor):
        request.addfinalizer(api.client.close)

    listed = officer.client.get("/api/v1/communes/XA/filed-reports", params={"kind": "month"}).json()
    assert [(r["kind"], r["version"], r["first"]) for r in listed] == [
        ("month", 1, closed_last.replace(day=1).isoformat())
    ]
    month = listed[0]
    figures = officer.client.get(f"/api/v1/filed-reports/{month['id']}").json()
    assert figures["report"]["totals"]["plays"] == 1 and figures["report"]["commune_codes"] == ["XA"]
    assert officer.client.get("/api/v1/communes/XB/filed-reports").status_code == 403
    assert officer.client.get("/api/v1/provinces/P/filed-reports").status_code == 403
    province = monitor.client.get("/api/v1/provinces/P/filed-reports").json()
    assert sorted(r["kind"] for r in province) == ["half", "month", "year"]
    assert officer.client.get(f"/api/v1/filed-reports/{province[0]['id']}").status_code == 403
    assert officer.client.get("/api/v1/filed-reports/99999").status_code == 404

    pdf = officer.client.get(f"/api/v1/filed-reports/{month['id']}.pdf")
    assert (
        pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and "_v1.pdf" in pdf.headers["content-disposition"]
    )

    # Nothing changed: the same version answers 200; a late play makes version 2, saying what changed.
    same = officer.client.post(f"/api/v1/filed-reports/{month['id']}/refile")
    assert same.status_code == 200 and same.json()["version"] == 1
    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        device = session.exec(select(Device).where(Device.code == "XA-1")).one()
        late = datetime(closed_last.year, closed_last.month, 11, 9, tzinfo=zone).astimezone(UTC)
        session.add(
            play_record(
                device.id or 0, "XA", "late", late, seconds=30, item_id="cmd-late", sha256="c" * 64, outcome="played"
            )
        )
        session.commit()
    engine.dispose()
    again = officer.client.post(f"/api/v1/filed-reports/{month['id']}/refile")
    assert again.status_code == 201, again.text
    assert again.json()["version"] == 2 and again.json()["generated_by"] == "canbo.xa"
    assert {"what": "Lượt phát", "before": "1", "after": "2"} in again.json()["changes"]
    # Version 1 still gives the figures it was filed with.
    assert officer.client.get(f"/api/v1/filed-reports/{month['id']}").json()["report"]["totals"]["plays"] == 1
    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        sent = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "period_report")).all()
        assert len(sent) == 10
        latest = json.loads(next(m.body for m in sent if m.key.endswith(":v2")))
        assert latest["period_report"]["scope"] == "commune:XA" and latest["period_report"]["totals"]["plays"] == 2
    engine.dispose()
