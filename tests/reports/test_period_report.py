"""A period report's figures against a real database, each expected figure counted here from the seeded
rows by the definitions in docs/reports.md, not by the code under test."""

from __future__ import annotations

import csv
import io
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from audio_library import AudioAsset
from controller.accounts import Role, User
from controller.db import make_engine, session_factory
from controller.settings import DatabaseSettings
from devices.alerts import Alert
from devices.protocol import stream_asset_sha256
from devices.registry import Commune, Device, Province, add_commune, add_device, add_province
from devices.uptime import UptimeDay
from reports import Period, PeriodReport, ReportSettings, Scope, build_report, seal_plays
from reports.csv_export import report_csv
from reports.document import Letterhead, report_pdf
from reports.filing import FiledReport, ReportFiler, closed_periods, file_report
from reports.planned import SETTLE_DAYS, PlannedDay, roll_up_planned
from reports.spreadsheet import report_xlsx
from reports.tables import report_tables
from schedules import Bulletin
from schedules.bulletin import BulletinStatus
from schedules.emergency_order import EmergencyOrder
from schedules.published_item import PublishedItem
from schedules.stream_source import StreamSource
from schedules.translation import BulletinTranslation
from tests.harness import play_record

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
DAY1 = date(2026, 6, 1)
DAY2 = date(2026, 6, 2)
BEFORE = datetime(2026, 5, 27, tzinfo=UTC)
PERIOD = Period(DAY1, DAY2)
NOW = datetime(2026, 6, 10, tzinfo=UTC)
CLUSTERS = {"XA": ["XA-1", "XA-2", "XA-3"], "XB": ["XB-1", "XB-2"]}


def ident(row: Commune | Device | Bulletin | EmergencyOrder) -> int:
    assert row.id is not None
    return row.id


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A Vietnam wall-clock time as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=ZONE).astimezone(UTC)


@dataclass(frozen=True)
class Plan:
    commune: str
    item: str
    start: datetime
    sha: str
    clusters: list[str] | None


@dataclass(frozen=True)
class Play:
    cluster: str
    item: str
    start: datetime
    sha: str
    seconds: int
    outcome: str = "played"
    flag: str | None = None


# Bulletins: (key, commune or None for the province, legal field, language, priority, audio source, status,
# created, reviewed, sha)
BULLETINS = [
    ("b1", "XA", "giao-thong", "vi", "normal", "speech", "approved", at(DAY1, 7), at(DAY1, 8), "a1" * 32),
    ("b2", "XA", "giao-thong", "vi", "normal", "speech", "rejected", at(DAY1, 7), at(DAY2, 8), None),
    ("b3", "XB", "dat-dai", "vi", "normal", "speech", "draft", at(DAY2, 7), None, None),
    ("b4", None, "phong-chong-ma-tuy", "km", "normal", "speech", "approved", at(DAY1, 6), at(DAY1, 6, 30), "a4" * 32),
    (
        "b5",
        "XA",
        "dat-dai",
        "vi",
        "normal",
        "speech",
        "approved",
        at(DAY1 - timedelta(days=5), 7),
        at(DAY1 - timedelta(days=4), 7),
        "a5" * 32,
    ),
    ("b6", "XB", "an-ninh-trat-tu", "vi", "priority", "recording", "approved", at(DAY1, 9), at(DAY1, 10), "a6" * 32),
]
A1, A4, A6 = "a1" * 32, "a4" * 32, "a6" * 32
M4 = "4b" * 32  # the MP3 rendition of A4: nodes may be sent either


@dataclass
class Seeded:
    sessions: object
    plans: list[Plan]
    plays: list[Play]
    uptime: dict[tuple[str, date], int]
    cancelled_item: str
    emergency_item: str


@pytest.fixture(params=["published", "half-rolled"])
def seeded(database_url: str, request: pytest.FixtureRequest) -> Iterator[Seeded]:
    """The seeded province; planned items counted from `published_item`, or with DAY1 and the days before it
    rolled up (`reports.planned`) and DAY2 counted from `published_item`: the figures must be the same."""
    engine = make_engine(DatabaseSettings(url=database_url))
    make = session_factory(engine)
    with make() as session:
        province = add_province(session, "P", "Tỉnh P")
        communes = {code: add_commune(session, province, code, f"Xã {code}") for code in CLUSTERS}
        devices: dict[str, Device] = {}
        for code, clusters in CLUSTERS.items():
            for cluster in clusters:
                devices[cluster] = add_device(session, communes[code], cluster, hash_iterations=101)[0]
                devices[cluster].created_at = at(DAY1 - timedelta(days=30), 0)
                session.add(devices[cluster])
        user = User(username="u", full_name="U", role=Role.OFFICER, password_hash="x")
        session.add(user)
        for _, *_rest, sha in BULLETINS:
            if sha is not None:
                session.add(
                    AudioAsset(
                        sha256=sha,
                        codec="opus",
                        duration_ms=60_000,
                        size_bytes=1,
                        source="tts",
                        mp3_sha256=M4 if sha == A4 else None,
                    )
                )
        session.flush()
        assert user.id is not None
        for _, commune, field, language, priority, source, status, created, reviewed, sha in BULLETINS:
            session.add(
                Bulletin(
                    title=f"Bản tin {field}",
                    body="Nội dung.",
                    legal_field=field,
                    language=language,
                    priority=priority,
                    audio_source=source,
                    status=BulletinStatus(status),
                    created_at=created,
                    reviewed_at=reviewed,
                    commune_id=communes[commune].id if commune else None,
                    province_id=None if commune else province.id,
                    author_id=user.id,
                    audio_sha256=sha,
                )
            )
        session.flush()
        bulletin_ids: dict[str, int] = {}
        for (key, *_rest), row in zip(
            BULLETINS, session.exec(select(Bulletin).order_by(col(Bulletin.id))).all(), strict=True
        ):
            bulletin_ids[key] = ident(row)
        emergency = EmergencyOrder(
            bulletin_id=bulletin_ids["b6"],
            commune_id=ident(communes["XB"]),
            issued_by=user.id,
            issued_at=at(DAY1, 12),
            starts_at=at(DAY1, 12, 0, 5),
        )
        cancelled = EmergencyOrder(
            bulletin_id=bulletin_ids["b6"],
            commune_id=ident(communes["XA"]),
            clusters=["XA-1"],
            issued_by=user.id,
            issued_at=at(DAY2, 15),
            starts_at=at(DAY2, 15, 0, 5),
            cancelled_at=at(DAY2, 15, 0, 2),
        )
        session.add(emergency)
        session.add(cancelled)
        session.flush()
        emergency_item, cancelled_item = f"e{emergency.id}", f"e{cancelled.id}"
        plans = [
            Plan("XA", "b1", at(DAY1, 9), A1, None),
            Plan("XA", "b1", at(DAY2, 9), A1, ["XA-1", "XA-2"]),
            Plan("XB", "p4", at(DAY1, 10), A4, None),
            Plan("XB", emergency_item, at(DAY1, 12, 0, 5), A6, None),
            Plan("XA", cancelled_item, at(DAY2, 15, 0, 5), A6, ["XA-1"]),
            # Outside the period: planned the day after.
            Plan("XA", "b1", at(DAY2 + timedelta(days=1), 9), A1, None),
        ]
        for plan in plans:
            session.add(
                PublishedItem(
                    commune_id=ident(communes[plan.commune]),
                    item_id=plan.item,
                    starts_at=plan.start,
                    asset_sha256=plan.sha,
                    clusters=plan.clusters,
                    first_version=1,
                )
            )
        plays = [
            Play("XA-1", "b1", at(DAY1, 9), A1, 60),
            Play("XA-2", "b1", at(DAY1, 9), A1, 5, outcome="failed"),
            Play("XA-2", "b1", at(DAY1, 9), A1, 60, flag="not_sent"),  # flagged: never proof of play
            Play("XA-1", "b1", at(DAY2, 9), A1, 30),
            Play("XB-1", "p4", at(DAY1, 10), M4, 45),
            Play("XB-2", "p4", at(DAY1, 10), A4, 12, outcome="interrupted"),
            Play("XB-1", emergency_item, at(DAY1, 12, 0, 5), A6, 20),
            Play("XB-1", "cmd-abc", at(DAY2, 11), A6, 20),  # a played command: airtime, not planned
            Play("XB-1", "p4", at(DAY2 + timedelta(days=1), 10), A4, 45),  # after the period
        ]
        for n, play in enumerate(plays):
            device = devices[play.cluster]
            start = play.start + timedelta(seconds=2 if play.item == emergency_item else 0)
            session.add(
                play_record(
                    ident(device),
                    play.cluster.split("-")[0],
                    f"r{n}",
                    play.start,
                    seconds=play.seconds,
                    item_id=play.item,
                    sha256=play.sha,
                    outcome=play.outcome,
                    started_at=start,
                    flag_reason=play.flag,
                )
            )
        uptime = {
            ("XA-1", DAY1): 86400,
            ("XA-1", DAY2): 86400,
            ("XA-2", DAY1): 43200,
            ("XA-2", DAY2): 86400,
            ("XB-1", DAY1): 86400,
            ("XB-1", DAY2): 86400,
            ("XB-2", DAY1): 0,
            ("XB-2", DAY2): 21600,
        }
        for (cluster, day), up_s in uptime.items():
            session.add(UptimeDay(device_id=ident(devices[cluster]), day=day, up_s=up_s))
        for kind, cluster, opened, acked in [
            ("offline", "XA-3", at(DAY1, 1), at(DAY1, 1, 30)),
            ("offline", "XB-2", at(DAY1, 2), at(DAY1, 3)),
            ("failed_to_play", "XA-2", at(DAY1, 9, 5), None),
            ("offline", "XA-3", at(DAY1 - timedelta(days=1), 1), None),  # before the period
        ]:
            device = devices[cluster]
            session.add(
                Alert(
                    kind=kind,
                    severity="critical",
                    device_id=ident(device),
                    commune_id=device.commune_id,
                    message="m",
                    opened_at=opened,
                    acknowledged_at=acked,
                    key=f"{kind}:{cluster}:{opened.isoformat()}",
                )
            )
        session.commit()
        # The sealer rolls plays up as it chains them (reports.rollup); reports read the roll-ups.
        seal_plays(session, ZONE, limit=10_000)
        session.commit()
        if request.param == "half-rolled":
            roll_up_planned(session, ZONE, today=DAY1 + timedelta(days=SETTLE_DAYS))
            session.commit()
    yield Seeded(make, plans, plays, uptime, cancelled_item, emergency_item)
    engine.dispose()


def report(seeded: Seeded, communes: list[str] | None = None, period: Period = PERIOD) -> PeriodReport:
    with seeded.sessions() as session:  # type: ignore[operator]
        assert isinstance(session, Session)
        province = session.exec(select(Province)).one()
        rows = session.exec(select(Commune).order_by(Commune.code)).all()
        chosen = tuple(c for c in rows if communes is None or c.code in communes)
        scope = Scope(province, chosen, whole_province=communes is None)
        return build_report(session, scope, period, zone=ZONE, now=NOW, working_uptime_pct=80.0)


def in_period(moment: datetime, period: Period = PERIOD) -> bool:
    return period.first <= moment.astimezone(ZONE).date() <= period.last


def planned_pairs(seeded: Seeded, communes: set[str]) -> set[tuple[str, str, datetime]]:
    return {
        (cluster, plan.item, plan.start)
        for plan in seeded.plans
        if plan.commune in communes and in_period(plan.start)
        for cluster in (plan.clusters if plan.clusters is not None else CLUSTERS[plan.commune])
    }


def test_airing_counts_only_what_clusters_reported_played(seeded: Seeded) -> None:
    result = report(seeded)
    planned = planned_pairs(seeded, set(CLUSTERS))
    good = [p for p in seeded.plays if p.flag is None]
    played = {(p.cluster, p.item, p.start) for p in good if p.outcome == "played"}
    aired = planned & played
    assert result.totals.planned == len(planned) == 10
    assert result.totals.aired == len(aired) == 4
    for row in result.airing_by_commune:
        mine = {pair for pair in planned if pair[0].startswith(row.commune_code)}
        assert row.planned == len(mine)
        assert row.aired == len(mine & played)
        in_time = [p for p in good if p.cluster.startswith(row.commune_code) and in_period(p.start)]
        assert row.plays == sum(1 for p in in_time if p.outcome == "played")
        assert row.minutes == round(sum(p.seconds for p in in_time if p.outcome == "played") / 60, 1)
        assert row.failed == sum(1 for p in in_time if p.outcome == "failed")

    # Why the rest never aired, each pair by the first reason that fits.
    reasons: Counter[str] = Counter()
    for cluster, item, start in planned - played:
        outcomes = {p.outcome for p in good if (p.cluster, p.item, p.start) == (cluster, item, start)}
        if "failed" in outcomes:
            reasons["failed"] += 1
        elif "interrupted" in outcomes:
            reasons["interrupted"] += 1
        elif item == seeded.cancelled_item:
            reasons["cancelled"] += 1
        elif seeded.uptime.get((cluster, start.astimezone(ZONE).date()), 0) == 0:
            reasons["offline"] += 1
        else:
            reasons["no_report"] += 1
    assert {m.reason: m.count for m in result.missed} == {
        "failed": reasons["failed"],
        "interrupted": reasons["interrupted"],
        "cancelled": reasons["cancelled"],
        "offline": reasons["offline"],
        "no_report": reasons["no_report"],
    }
    assert reasons == Counter(failed=1, interrupted=1, cancelled=1, offline=2, no_report=1)


def test_airtime_by_priority_and_field(seeded: Seeded) -> None:
    result = report(seeded)
    played = [p for p in seeded.plays if p.flag is None and p.outcome == "played" and in_period(p.start)]
    emergency = [p for p in played if p.item == seeded.emergency_item]
    by_priority = {r.key: (r.plays, r.minutes) for r in result.airing_by_priority}
    # A6 is bulletin b6 (priority "priority"); aired as an emergency order it counts as khẩn cấp.
    assert by_priority["emergency"] == (len(emergency), round(sum(p.seconds for p in emergency) / 60, 1))
    others = [p for p in played if p.item != seeded.emergency_item]
    assert by_priority["priority"] == (1, round(20 / 60, 1))  # the played command with b6's sound
    assert by_priority["normal"][0] == len(others) - 1
    fields = {r.key: r.plays for r in result.airing_by_field}
    assert fields == {"giao-thong": 2, "phong-chong-ma-tuy": 1, "an-ninh-trat-tu": 2}


def test_content_by_field_language_and_origin(seeded: Seeded) -> None:
    result = report(seeded)
    start, end = PERIOD.first, PERIOD.last

    def day(moment: datetime | None) -> date | None:
        return moment.astimezone(ZONE).date() if moment is not None else None

    written = [b for b in BULLETINS if start <= day(b[7]) <= end]  # type: ignore[operator]
    reviewed = [b for b in BULLETINS if b[8] is not None and start <= day(b[8]) <= end]  # type: ignore[operator]
    fields = {r.key: (r.written, r.submitted, r.approved, r.rejected) for r in result.content_by_field}
    for field in {b[2] for b in written + reviewed}:
        assert fields[field] == (
            sum(1 for b in written if b[2] == field),
            sum(1 for b in written if b[2] == field and b[6] != "draft"),
            sum(1 for b in reviewed if b[2] == field and b[6] == "approved"),
            sum(1 for b in reviewed if b[2] == field and b[6] == "rejected"),
        )
    assert "dat-dai" in fields and fields["dat-dai"][0] == 1  # b3; b5 was written and approved before
    languages = {r.key: r.written for r in result.content_by_language}
    assert languages == {"vi": 4, "km": 1}
    origins = {r.key: r.written for r in result.content_by_origin}
    assert origins == {"commune": 3, "province": 1, "recording": 1}
    assert result.totals.bulletins_written == len(written)
    assert result.totals.bulletins_approved == sum(1 for b in reviewed if b[6] == "approved")


def test_a_commune_report_sees_only_its_commune(seeded: Seeded) -> None:
    result = report(seeded, ["XA"])
    assert [r.commune_code for r in result.airing_by_commune] == ["XA"]
    assert result.totals.planned == len(planned_pairs(seeded, {"XA"}))
    assert {c.code for c in result.clusters} == set(CLUSTERS["XA"])
    # Province bulletins are the province's, not the commune's.
    assert {r.key: r.written for r in result.content_by_origin}["province"] == 0
    assert [e.commune_code for e in result.emergencies] == ["XA"]


def test_emergencies_reach_and_system(seeded: Seeded) -> None:
    result = report(seeded)
    first = next(e for e in result.emergencies if e.commune_code == "XB")
    assert first.seconds_to_air == 7.0  # issued 12:00:00, on air 12:00:07
    assert (first.clusters_targeted, first.clusters_aired, first.cancelled) == (2, 1, False)
    cancelled = next(e for e in result.emergencies if e.commune_code == "XA")
    assert (cancelled.cancelled, cancelled.first_on_air, cancelled.clusters_targeted) == (True, None, 1)

    reach = {(r.title, r.commune_code): (r.clusters_aired, r.clusters, r.share_pct) for r in result.reach}
    assert reach == {
        ("Bản tin phong-chong-ma-tuy", "XA"): (0, 3, 0.0),
        ("Bản tin phong-chong-ma-tuy", "XB"): (1, 2, 50.0),
    }

    seconds = 2 * 86400
    for row in result.clusters:
        up = sum(v for (cluster, _), v in seeded.uptime.items() if cluster == row.code)
        assert row.uptime_pct == round(100 * up / seconds, 1)
        assert row.failed_plays == sum(
            1 for p in seeded.plays if p.cluster == row.code and p.outcome == "failed" and p.flag is None
        )
    working = {r.commune_code: (r.clusters, r.working) for r in result.communes}
    # At least 80 % up: XA-1 (100 %), XA-2 (75 %: not), XA-3 (0), XB-1 (100 %), XB-2 (12.5 %).
    assert working == {"XA": (3, 1), "XB": (2, 1)}
    alerts = {r.kind: (r.opened, r.acknowledged, r.mean_minutes_to_ack) for r in result.alerts}
    assert alerts == {"offline": (2, 2, 45.0), "failed_to_play": (1, 0, None)}


def test_compared_with_the_previous_period(seeded: Seeded) -> None:
    result = report(seeded)
    assert (result.previous_first, result.previous_last) == (DAY1 - timedelta(days=2), DAY1 - timedelta(days=1))
    rows = {r.key: r for r in result.comparison}
    assert rows["planned"].current == 10 and rows["planned"].previous == 0 and rows["planned"].change == 10
    # b5 was written and approved before the period: in the previous period only if within its two days.
    assert rows["bulletins_written"].previous == 0


def test_a_period_ends_at_midnight_vietnam_time(seeded: Seeded) -> None:
    # Plays at 23:59 and 00:00 Vietnam time fall on either side of the period's boundary.
    with seeded.sessions() as session:  # type: ignore[operator]
        device = session.exec(select(Device).where(Device.code == "XB-1")).one()
        for n, moment in enumerate([at(DAY2, 23, 59, 30), at(DAY2 + timedelta(days=1), 0, 0, 0)]):
            session.add(
                play_record(
                    ident(device), "XB", f"edge{n}", moment, seconds=6, item_id="cmd-edge", sha256=A6, outcome="played"
                )
            )
        session.commit()
        seal_plays(session, ZONE, limit=100)
        session.commit()
    before = report(seeded).totals.plays
    one_day_later = report(seeded, period=Period(DAY1, DAY2 + timedelta(days=1))).totals.plays
    # The 23:59:30 play is in the period; the 00:00:00 one (and the next day's p4) only in the longer one.
    assert before == sum(1 for p in seeded.plays if p.flag is None and p.outcome == "played" and in_period(p.start)) + 1
    assert one_day_later == before + 2


def test_the_xlsx_holds_every_table_with_real_numbers(seeded: Seeded) -> None:
    result = report(seeded)
    book = load_workbook(io.BytesIO(report_xlsx(result, ZONE)), read_only=True)
    assert "Phát sóng theo xã" in book.sheetnames and "Nhật ký phát theo ngày" in book.sheetnames
    rows = list(book["Phát sóng theo xã"].iter_rows(values_only=True))
    assert rows[1][:4] == ("Mã xã", "Xã", "Kế hoạch", "Đã phát")
    by_code = {row[0]: row for row in rows[2:]}
    xa = next(r for r in result.airing_by_commune if r.commune_code == "XA")
    assert by_code["XA"][2:4] == (xa.planned, xa.aired)
    assert isinstance(by_code["XA"][2], int) and isinstance(by_code["XA"][6], float)
    cover = {row[0]: row[1] for row in book["Báo cáo"].iter_rows(values_only=True)}
    assert cover["Từ ngày"] == "01/06/2026" and cover["Phạm vi"] == "Tỉnh Tỉnh P"


def test_the_csv_has_a_bom_and_every_table(seeded: Seeded) -> None:
    data = report_csv(report(seeded), ZONE)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    titles = [row[0] for row in rows if len(row) == 1]
    assert "Nội dung theo lĩnh vực pháp luật" in titles and "Cảnh báo theo loại" in titles
    assert ["Lỗi khi phát", "1"] in rows


def test_the_pdf_reads_back_as_a_vietnamese_report(seeded: Seeded, tmp_path: Path) -> None:
    result = report(seeded)
    letterhead = Letterhead(issuer_lines=("ỦY BAN NHÂN DÂN", "TỈNH P"), place="P", number="12/BC-UBND")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(report_pdf(result, letterhead, ZONE))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    for expected in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 12/BC-UBND",
        "BÁO CÁO",
        "Nội dung theo lĩnh vực pháp luật",
        "Cụm loa mất kết nối cả ngày",
        "NGƯỜI LẬP BÁO CÁO",
        "Nơi nhận:",
    ]:
        assert expected in text, expected
    assert result.as_run_seal[:16] in text.replace("\n", "").replace(" ", "")
    # The airing figures of XA as printed: planned and aired.
    xa = next(r for r in result.airing_by_commune if r.commune_code == "XA")
    assert f"XA Xã XA {xa.planned} {xa.aired}" in " ".join(text.split())


@pytest.mark.parametrize(
    ("today", "month", "half", "year"),
    [
        (date(2026, 12, 7), (date(2026, 11, 1), date(2026, 11, 30)), (date(2026, 1, 1), date(2026, 6, 30)), 2025),
        (date(2026, 7, 3), (date(2026, 6, 1), date(2026, 6, 30)), (date(2026, 1, 1), date(2026, 6, 30)), 2025),
        (date(2026, 7, 2), (date(2026, 5, 1), date(2026, 5, 31)), (date(2025, 7, 1), date(2025, 12, 31)), 2025),
        (date(2027, 1, 3), (date(2026, 12, 1), date(2026, 12, 31)), (date(2026, 7, 1), date(2026, 12, 31)), 2026),
        (date(2026, 3, 3), (date(2026, 2, 1), date(2026, 2, 28)), (date(2025, 7, 1), date(2025, 12, 31)), 2025),
    ],
)
@pytest.mark.one_database("sqlite", why="dates only")
def test_closed_periods_wait_three_days(
    today: date, month: tuple[date, date], half: tuple[date, date], year: int
) -> None:
    closed = {c.kind: (c.period.first, c.period.last) for c in closed_periods(today, 3)}
    assert closed == {"month": month, "half": half, "year": (date(year, 1, 1), date(year, 12, 31))}


def test_a_filed_report_keeps_its_figures_and_a_new_version_says_what_changed(seeded: Seeded) -> None:
    make = seeded.sessions
    with make() as session:  # type: ignore[operator]
        province = session.exec(select(Province)).one()
        xb = session.exec(select(Commune).where(Commune.code == "XB")).one()
        scope = Scope(province, (xb,), whole_province=False)
        first = file_report(session, scope, "month", PERIOD, zone=ZONE, now=NOW, working_uptime_pct=80.0)
        session.commit()
        assert first is not None and first.version == 1 and first.changes == []
        plays_then = first.report().totals.plays
        assert file_report(session, scope, "month", PERIOD, zone=ZONE, now=NOW, working_uptime_pct=80.0) is None
        # A node that was offline sends a late report of a play in the period.
        device = session.exec(select(Device).where(Device.code == "XB-2")).one()
        late = at(DAY2, 10)
        session.add(
            play_record(ident(device), "XB", "late", late, seconds=30, item_id="cmd-late", sha256=A6, outcome="played")
        )
        session.commit()
        seal_plays(session, ZONE, limit=100)
        session.commit()
        second = file_report(
            session, scope, "month", PERIOD, zone=ZONE, now=NOW, working_uptime_pct=80.0, by="so.tuphap"
        )
        session.commit()
        assert second is not None and second.version == 2 and second.generated_by == "so.tuphap"
        changed = {c["what"]: (c["before"], c["after"]) for c in second.changes}
        assert changed["Lượt phát"] == (str(plays_then), str(plays_then + 1))
        assert any(what.startswith("Bảng «Phát sóng theo xã") for what in changed)
        # The first version still holds the figures it was filed with.
        again = session.get(FiledReport, first.id)
        assert again is not None and again.report().totals.plays == plays_then


def test_the_filer_files_each_closed_period_once_per_scope(seeded: Seeded) -> None:
    filer = ReportFiler(seeded.sessions, ReportSettings(), ZONE)  # type: ignore[arg-type]
    # 10 July 2026: June, the first half of 2026 and the year 2025 are closed; the province and its two communes.
    assert filer.file_due(datetime(2026, 7, 10, 3, tzinfo=UTC)) == 9
    assert filer.file_due(datetime(2026, 7, 10, 4, tzinfo=UTC)) == 0
    with seeded.sessions() as session:  # type: ignore[operator]
        june = session.exec(
            select(FiledReport).where(FiledReport.scope_key == "province:P", FiledReport.kind == "month")
        ).one()
        assert (june.first, june.last, june.version) == (date(2026, 6, 1), date(2026, 6, 30), 1)
        # The whole of June: the two days' 10 planned cluster-items, and XA's item of 3 June on its 3 clusters.
        assert june.report().totals.planned == 10 + 3


def test_planned_items_rolled_up_outlive_the_published_items(seeded: Seeded) -> None:
    """Once every day is rolled up, the report is the same, also after `published_item` is pruned (90 days)."""
    live = report(seeded)
    with seeded.sessions() as session:  # type: ignore[operator]
        assert roll_up_planned(session, ZONE, today=NOW.astimezone(ZONE).date()) > 0
        session.commit()
        # Rolled up once: a second round writes nothing.
        assert roll_up_planned(session, ZONE, today=NOW.astimezone(ZONE).date()) == 0
        rows: Counter[tuple[date, str]] = Counter()
        for row in session.exec(select(PlannedDay)):
            rows[(row.day, row.cluster_code)] += row.items
        for item in session.exec(select(PublishedItem).where(~col(PublishedItem.item_id).startswith("e"))):
            session.delete(item)
        session.commit()
    # Per commune and day: b1 to every cluster of XA on DAY1, to XA-1 and XA-2 on DAY2; p4 and the emergency
    # to every cluster of XB on DAY1; the cancelled emergency to XA-1 on DAY2; b1 again the day after.
    assert rows[(DAY1, "")] == 1 + 2
    assert rows[(DAY2, "XA-1")] == 2 and rows[(DAY2, "XA-2")] == 1
    assert rows[(DAY2 + timedelta(days=1), "")] == 1
    rolled = report(seeded)
    assert rolled.totals == live.totals
    assert rolled.airing_by_commune == live.airing_by_commune
    assert rolled.missed == live.missed


def test_an_item_published_with_two_sounds_is_planned_once_per_cluster(seeded: Seeded) -> None:
    with seeded.sessions() as session:  # type: ignore[operator]
        xa = session.exec(select(Commune).where(Commune.code == "XA")).one()
        # b1 on DAY2 again, with its MP3 rendition, to XA-2 and XA-3: XA-2 is already planned.
        session.add(
            PublishedItem(
                commune_id=ident(xa),
                item_id="b1",
                starts_at=at(DAY2, 9),
                asset_sha256="1b" * 32,
                clusters=["XA-2", "XA-3"],
                first_version=2,
            )
        )
        session.commit()
    planned = {r.commune_code: r.planned for r in report(seeded).airing_by_commune}
    expected = planned_pairs(seeded, {"XA"}) | {("XA-3", "b1", at(DAY2, 9))}
    assert planned["XA"] == len(expected)


def test_airtime_by_language_counts_each_version_by_what_clusters_reported_played(seeded: Seeded) -> None:
    """b1 (Vietnamese) gains a Khmer version whose audio a cluster reports played; b4 is itself in Khmer."""
    khmer = "c7" * 32
    with seeded.sessions() as session:  # type: ignore[operator]
        assert isinstance(session, Session)
        b1 = session.exec(select(Bulletin).where(Bulletin.audio_sha256 == A1)).one()
        session.add(AudioAsset(sha256=khmer, codec="opus", duration_ms=40_000, size_bytes=1, source="upload"))
        session.flush()
        session.add(
            BulletinTranslation(
                bulletin_id=ident(b1),
                language="km",
                title="ព័ត៌មាន",
                audio_source="recording",
                audio_sha256=khmer,
                approved_sha256=khmer,
                approved_with=b1.reviewed_at,
            )
        )
        device = session.exec(select(Device).where(Device.code == "XA-1")).one()
        for n, (outcome, seconds) in enumerate([("played", 40), ("failed", 3)]):
            session.add(
                play_record(
                    ident(device), "XA", f"k{n}", at(DAY1, 9, 1), seconds=seconds, item_id="b1-km",
                    sha256=khmer, outcome=outcome, started_at=at(DAY1, 9, 1 + n),
                )
            )  # fmt: skip
        session.commit()
        seal_plays(session, ZONE, limit=10_000)
        session.commit()
    result = report(seeded)
    played = [p for p in seeded.plays if p.flag is None and p.outcome == "played" and in_period(p.start)]
    language_of = {A1: "vi", A6: "vi", A4: "km", M4: "km"}
    expected: dict[str, list[float]] = {"vi": [0, 0.0], "km": [1, 40.0]}
    for play in played:
        expected[language_of[play.sha]][0] += 1
        expected[language_of[play.sha]][1] += play.seconds
    by_language = {r.key: (r.plays, r.minutes) for r in result.airing_by_language}
    assert by_language == {key: (int(n), round(s / 60, 1)) for key, (n, s) in expected.items()}
    assert [r.label for r in result.airing_by_language] == ["Tiếng Việt", "Tiếng Khmer"]
    assert sum(r.plays for r in result.airing_by_language) == result.totals.plays


def test_live_broadcasts_count_as_live_airtime_never_as_planned(seeded: Seeded) -> None:
    before = report(seeded)
    with seeded.sessions() as session:  # type: ignore[operator]
        device = session.exec(select(Device).where(Device.code == "XA-1")).one()
        live_sha = "f" * 64  # a live broadcast's sound: the sha256 of its mount's URL, no bulletin's
        session.add(
            play_record(
                ident(device), "XA", "live0", at(DAY2, 15), seconds=90, item_id="live-9f2c4e1a", sha256=live_sha,
                outcome="played",
            )
        )  # fmt: skip
        session.commit()
        seal_plays(session, ZONE, limit=100)
        session.commit()
    after = report(seeded)
    by_priority = {r.key: (r.label, r.plays, r.minutes) for r in after.airing_by_priority}
    assert by_priority["live"] == ("Phát trực tiếp", 1, 1.5)
    assert after.totals.airtime_minutes == round(before.totals.airtime_minutes + 1.5, 1)
    assert (after.totals.plays, after.totals.planned, after.totals.aired) == (
        before.totals.plays + 1,
        before.totals.planned,
        before.totals.aired,
    )


def test_relays_count_as_relay_airtime_per_source_and_never_as_normal_airtime_too(seeded: Seeded) -> None:
    before = report(seeded)
    assert before.relays == []
    vov, province = "http://vov.example/vov1.mp3", "http://dai-tinh.example/fm.aac"
    with seeded.sessions() as session:  # type: ignore[operator]
        user = session.exec(select(User)).first()
        assert user is not None and user.id is not None
        session.add(StreamSource(name="VOV1", url=vov, codec="mp3", created_by=user.id))
        session.add(StreamSource(name="Đài tỉnh", url=province, codec="aac", created_by=user.id))
        xa1, xa2, xb1 = (
            session.exec(select(Device).where(Device.code == code)).one() for code in ("XA-1", "XA-2", "XB-1")
        )
        drop = {"at": at(DAY1, 18, 10).isoformat(), "duration_ms": 30_000, "reason": "mất luồng", "filled": "silence"}
        # (cluster, commune, report, start, seconds on air in the slot, relayed_ms, interruptions, url, outcome)
        relays = [
            (xa1, "XA", "relay0", at(DAY1, 18), 600, 570_000, [drop], vov, "played"),
            (xa2, "XA", "relay1", at(DAY1, 18), 600, 600_000, [], vov, "played"),
            (xb1, "XB", "relay2", at(DAY2, 6), 300, 240_000, [drop, drop], province, "interrupted"),
            (xb1, "XB", "relay3", at(DAY2, 7), 5, 0, [], province, "failed"),  # never on air: no slot aired
            (xa1, "XA", "relay4", at(DAY2 + timedelta(days=1), 18), 600, 600_000, [], vov, "played"),  # later
        ]
        for device, commune, report_id, start, seconds, relayed_ms, interruptions, url, outcome in relays:
            play = play_record(
                ident(device), commune, report_id, start, seconds=seconds, item_id=f"p1-{report_id}",
                sha256=stream_asset_sha256(url), outcome=outcome,
            )  # fmt: skip
            play.relayed_ms, play.interruptions = relayed_ms, interruptions
            session.add(play)
        session.commit()
        seal_plays(session, ZONE, limit=100)
        session.commit()
    after = report(seeded)
    rows = {r.source: (r.slots, r.minutes, r.interruptions) for r in after.relays}
    assert rows == {"VOV1": (2, 19.5, 1), "Đài tỉnh": (1, 4.0, 2), "Tổng cộng": (3, 23.5, 3)}
    assert after.relays[-1].source == "Tổng cộng"
    # Airtime: the relays' own row, counted once; "Thông thường" is what it was without them.
    by_priority = {r.key: (r.label, r.plays, r.minutes) for r in after.airing_by_priority}
    # (Only plays played whole count as airtime, as for any item: not the interrupted nor the failed one.)
    assert by_priority["relay"] == ("Tiếp sóng", 2, round((600 + 600) / 60, 1))
    assert by_priority["normal"] == next(
        (r.label, r.plays, r.minutes) for r in before.airing_by_priority if r.key == "normal"
    )
    assert after.totals.plays == before.totals.plays + 2
    assert after.totals.airtime_minutes == round(before.totals.airtime_minutes + 20.0, 1)
    assert sum(r.plays for r in after.airing_by_priority) == after.totals.plays
    # By field of law and by language as well: a row of their own, not "Âm thanh khác".
    for table in (after.airing_by_field, after.airing_by_language):
        rows_of = {r.key: (r.label, r.plays, r.minutes) for r in table}
        assert rows_of["relay"] == ("Tiếp sóng", 2, 20.0)
        assert sum(r.plays for r in table) == after.totals.plays
    assert {r.key: r.plays for r in after.airing_by_field}.get("", 0) == {
        r.key: r.plays for r in before.airing_by_field
    }.get("", 0)
    tables = {t.key: t for t in report_tables(after, ZONE)}
    assert tables["relays"].rows[-1] == ["Tổng cộng", 3, 23.5, 3]
