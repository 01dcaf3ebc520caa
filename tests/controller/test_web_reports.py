"""The console's "Báo cáo" page over real HTTP: the choices each role gets, the figures and charts for a
period, the downloads (audited), a bad period explained in Vietnamese, and another commune refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from controller.accounts import Role, User
from controller.audit import AuditEntry
from controller.db import make_engine, session_factory
from controller.settings import Settings
from devices.protocol import stream_asset_sha256
from devices.registry import Device
from reports.filing import FiledReport, ReportFiler
from schedules.stream_source import StreamSource
from tests.console import ConsoleClient
from tests.harness import Api, ControllerServer, add_user_directly, play_record, setup_commune

VOV1 = "http://vov.example/vov1.mp3"

pytestmark = pytest.mark.one_database("sqlite", why="pages over the same figures; tests/reports covers both databases")


@pytest.fixture
def world(settings: Settings, controller: ControllerServer, admin: Api) -> Iterator[dict[str, Any]]:
    setup_commune(admin, "P", "XA", ["XA-1"])
    setup_commune(admin, "P", "XB", ["XB-1"])
    zone = ZoneInfo(settings.scheduler.timezone)
    yesterday = (datetime.now(zone) - timedelta(days=1)).date()
    start = datetime(yesterday.year, yesterday.month, yesterday.day, 8, tzinfo=zone).astimezone(UTC)
    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        for n, cluster in enumerate(["XA-1", "XB-1", "XB-1"]):
            device = session.exec(select(Device).where(Device.code == cluster)).one()
            device.created_at = start - timedelta(days=3)
            session.add(device)
            session.add(
                play_record(
                    device.id or 0,
                    cluster.split("-")[0],
                    f"r{n}",
                    start,
                    seconds=60,
                    item_id=f"cmd-{n}",
                    sha256="d" * 64,
                    outcome="played",
                )
            )
        # A relay of VOV1 in XB: 25 minutes on air, one drop.
        admin_id = session.exec(select(User.id).where(User.username == "admin")).one()
        assert admin_id is not None
        session.add(StreamSource(name="VOV1", url=VOV1, codec="mp3", created_by=admin_id))
        xb = session.exec(select(Device).where(Device.code == "XB-1")).one()
        relay = play_record(
            xb.id or 0, "XB", "relay", start + timedelta(hours=2), seconds=1800, item_id="p1-relay",
            sha256=stream_asset_sha256(VOV1), outcome="played",
        )  # fmt: skip
        relay.relayed_ms = 25 * 60_000
        relay.interruptions = [
            {"at": start.isoformat(), "duration_ms": 5000, "reason": "mất luồng", "filled": "silence"}
        ]
        session.add(relay)
        session.commit()
    engine.dispose()
    add_user_directly(settings, "canbo.xa", Role.OFFICER, "canbo.xa-pass", commune_codes=["XA"])
    add_user_directly(settings, "giamsat.p", Role.MONITOR, "giamsat.p-pass", province_code="P")
    consoles = {}
    for username in ("canbo.xa", "giamsat.p"):
        consoles[username] = ConsoleClient(controller.base_url)
        consoles[username].login(username, f"{username}-pass")
    yield {"consoles": consoles, "day": yesterday, "settings": settings, "controller": controller}
    for console in consoles.values():
        console.close()


def test_the_report_page_shows_the_figures_and_files_them(world: dict[str, Any]) -> None:
    officer, monitor = world["consoles"]["canbo.xa"], world["consoles"]["giamsat.p"]
    day = world["day"].isoformat()

    page = officer.get("/bao-cao", params={"pham-vi": "XA", "tu": day, "den": day})
    assert page.status_code == 200, page.text
    assert 'href="/bao-cao"' in page.text and "Báo cáo" in page.text
    assert 'value="XA"' in page.text and 'value="XB"' not in page.text and "tinh:P" not in page.text
    assert 'id="phat-song-xa"' in page.text and "Tải PDF" in page.text and "Quý trước" in page.text
    assert ">1</td>" in page.text  # XA's one play
    assert officer.get("/bao-cao", params={"pham-vi": "XB", "tu": day, "den": day}).status_code == 403

    whole = monitor.get("/bao-cao", params={"pham-vi": "tinh:P", "tu": day, "den": day})
    assert (whole.status_code == 200 and "Toàn Tỉnh P" in whole.text) or "Toàn" in whole.text
    assert 'id="bieu-do-da-phat"' not in whole.text or "<svg" in whole.text
    assert "Tỷ lệ cụm loa hoạt động tốt" in whole.text
    relays = whole.text.split('id="tiep-song"', 1)[1].split("</table>", 1)[0]
    assert "<td>VOV1</td><td>1</td><td>25" in relays and "<td>Tổng cộng</td>" in relays
    assert 'id="tiep-song"' not in page.text  # no relay in XA

    bad = officer.get("/bao-cao", params={"pham-vi": "XA", "tu": day, "den": "2020-01-01"})
    assert bad.status_code == 422 and "Ngày kết thúc phải sau" in bad.text

    pdf = officer.get("/bao-cao/tai-ve.pdf", params={"pham-vi": "XA", "tu": day, "den": day, "so": "3/BC-UBND"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = monitor.get("/bao-cao/tai-ve.xlsx", params={"pham-vi": "tinh:P", "tu": day, "den": day})
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    assert officer.get("/bao-cao/tai-ve.csv", params={"pham-vi": "XB", "tu": day, "den": day}).status_code == 403

    # Reports of closed periods, as the filer keeps them, listed for the scope and downloaded from the page.
    settings = world["settings"]
    zone = ZoneInfo(settings.scheduler.timezone)
    services = world["controller"].services
    filer = ReportFiler(services.sessions, settings.reports, zone, sealer=services.sealer)
    assert filer.file_due(datetime.now(zone)) == 9
    page = officer.get("/bao-cao", params={"pham-vi": "XA", "tu": day, "den": day})
    assert 'id="bao-cao-da-lap"' in page.text and "6 tháng" in page.text
    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        xa = session.exec(select(FiledReport).where(FiledReport.scope_key == "commune:XA")).first()
        xb = session.exec(select(FiledReport).where(FiledReport.scope_key == "commune:XB")).first()
        assert xa is not None and xb is not None
    assert f'href="/bao-cao/da-lap/{xa.id}.pdf"' in page.text
    filed = officer.get(f"/bao-cao/da-lap/{xa.id}.csv")
    assert filed.status_code == 200 and filed.content.startswith(b"\xef\xbb\xbf")
    assert officer.get(f"/bao-cao/da-lap/{xb.id}.csv").status_code == 403

    with session_factory(engine)() as session:
        audited = session.exec(select(AuditEntry).where(AuditEntry.action == "report.download")).all()
        assert sorted((a.username, a.target) for a in audited) == [
            ("canbo.xa", "commune:XA"),
            ("canbo.xa", "commune:XA"),
            ("giamsat.p", "province:P"),
        ]
    engine.dispose()
