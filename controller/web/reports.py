"""The console's "Báo cáo" page: choose a period and a scope, see the figures with charts, download the
report as XLSX, CSV or PDF (the same report as `GET /api/v1/.../report`, audited when downloaded)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, col, select

from audio_library.row_id import RowId
from controller.accounts import Role, User, commune_scope
from controller.bulletin_scope import require_province
from controller.deps import ServicesDep, SessionDep, require_commune
from controller.errors import NotFound
from controller.reports import (
    build_period_report,
    commune_report_scope,
    filed_report_scope,
    report_file,
    report_scope,
    report_target,
)
from controller.services import Services
from controller.web.charts import share_bars
from controller.web.session import PageUser
from controller.web.templating import render
from devices.registry import Commune, Province, get_commune, get_province
from reports import InvalidPeriod, PeriodReport, Scope
from reports.filing import KIND_LABELS, FiledReport
from reports.period_report import ContentRow
from schedules.local_time import local

router = APIRouter()

# Filed versions listed for a scope: a few years of months, half-years and years, with their re-filings.
FILED_SHOWN = 60

# A choice of scope naming a whole province: "tinh:<code>"; anything else is a commune code.
PROVINCE_PREFIX = "tinh:"


@dataclass(frozen=True)
class Preset:
    label: str
    first: date
    last: date


def presets(today: date) -> list[Preset]:
    """The periods people file: last month, last quarter, the six-month reviews and the year."""
    month_start = today.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    last_quarter_end = quarter_start - timedelta(days=1)
    last_quarter_start = date(last_quarter_end.year, 3 * ((last_quarter_end.month - 1) // 3) + 1, 1)
    year = today.year
    chosen = [
        Preset("Tháng trước", last_month_end.replace(day=1), last_month_end),
        Preset("Quý trước", last_quarter_start, last_quarter_end),
        Preset(f"6 tháng đầu năm {year}", date(year, 1, 1), min(date(year, 6, 30), today)),
        Preset(f"6 tháng cuối năm {year - 1}", date(year - 1, 7, 1), date(year - 1, 12, 31)),
        Preset(f"Năm {year - 1}", date(year - 1, 1, 1), date(year - 1, 12, 31)),
        Preset(f"Từ đầu năm {year}", date(year, 1, 1), today),
    ]
    if today.month > 6:
        chosen.insert(3, Preset(f"6 tháng cuối năm {year}", date(year, 7, 1), today))
    return chosen


def _choices(session: Session, user: User) -> list[tuple[str, str]]:
    """What the user may report on, as (value, label): each province they answer for as a whole (admins:
    every province), then each of their communes."""
    ids = commune_scope(session, user)
    provinces = (
        list(session.exec(select(Province).order_by(col(Province.name))))
        if user.role == Role.ADMIN
        else [p for p in [session.get(Province, user.province_id or 0)] if p is not None]
    )
    query = select(Commune).order_by(col(Commune.name))
    if ids is not None:
        query = query.where(col(Commune.id).in_(ids))
    return [(f"{PROVINCE_PREFIX}{p.code}", f"Toàn {p.name}") for p in provinces] + [
        (c.code, c.name) for c in session.exec(query)
    ]


def _scope(session: Session, user: User, choice: str) -> Scope:
    """The scope chosen on the page: a province (its staff, admins) or one of the user's communes."""
    if choice.startswith(PROVINCE_PREFIX):
        province = get_province(session, choice.removeprefix(PROVINCE_PREFIX))
        require_province(user, province)
        return report_scope(session, user, province, None)
    commune = get_commune(session, choice)
    require_commune(session, user, commune)
    return commune_report_scope(session, commune)


def page_rows(report: PeriodReport, zone: ZoneInfo) -> dict[str, list[list[object]]]:
    """The report's tables as the page shows them (labels, not codes; the PDF and XLSX carry every column)."""

    def content(rows: list[ContentRow]) -> list[list[object]]:
        return [[r.label, r.written, r.submitted, r.approved, r.rejected] for r in rows]

    return {
        "comparison": [[r.label, r.current, r.previous, r.change] for r in report.comparison],
        "content_by_field": [
            [r.label, r.written, r.submitted, r.approved, r.rejected] for r in report.content_by_field
        ],
        "content_by_language": [
            [r.label, r.written, r.submitted, r.approved, r.rejected] for r in report.content_by_language
        ],
        "content_by_origin": [
            [r.label, r.written, r.submitted, r.approved, r.rejected] for r in report.content_by_origin
        ],
        "airing_by_commune": [
            [r.commune_name, r.planned, r.aired, r.aired_pct, r.plays, r.minutes, r.failed]
            for r in report.airing_by_commune
        ],
        "airing_by_priority": [[r.label, r.plays, r.minutes] for r in report.airing_by_priority],
        "airing_by_field": [[r.label, r.plays, r.minutes] for r in report.airing_by_field],
        "airing_by_language": [[r.label, r.plays, r.minutes] for r in report.airing_by_language],
        "relays": [[r.source, r.slots, r.minutes, r.interruptions] for r in report.relays],
        "missed": [[r.label, r.count] for r in report.missed],
        "emergencies": [
            [
                r.order_id,
                r.commune_code,
                r.title + (" (đã hủy)" if r.cancelled else ""),
                local(r.issued_at, zone).strftime("%H:%M:%S %d/%m/%Y"),
                r.seconds_to_air,
                r.clusters_targeted,
                r.clusters_aired,
            ]
            for r in report.emergencies
        ],
        "reach": [[r.title, r.commune_name, r.clusters, r.clusters_aired, r.share_pct] for r in report.reach],
        "communes": [[r.commune_name, r.clusters, r.working, r.working_pct] for r in report.communes],
        "clusters": [[r.name or r.code, r.commune_code, r.uptime_pct, r.failed_plays] for r in report.clusters],
        "alerts": [[r.label, r.opened, r.acknowledged, r.mean_minutes_to_ack] for r in report.alerts],
    }


def _today(services: Services) -> date:
    return local(datetime.now(UTC), ZoneInfo(services.settings.scheduler.timezone)).date()


@router.get("/bao-cao")
def report_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    services: ServicesDep,
    pham_vi: Annotated[str, Query(alias="pham-vi", max_length=64)] = "",
    tu: Annotated[date | None, Query()] = None,
    den: Annotated[date | None, Query()] = None,
) -> HTMLResponse:
    """Choose a period and scope; the figures, charts and downloads of that report."""
    today = _today(services)
    choices = _choices(session, user)
    options = presets(today)
    first, last = tu or options[0].first, den or options[0].last
    choice = pham_vi or (choices[0][0] if choices else "")
    context: dict[str, object] = {
        "choices": choices,
        "choice": choice,
        "presets": options,
        "first": first,
        "last": last,
        "report": None,
        "problem": "",
        "filed": [],
    }
    status = 200
    if choice:
        scope = _scope(session, user, choice)
        try:
            report = build_period_report(session, services, scope, first, last)
        except InvalidPeriod as exc:
            context["problem"] = exc.message_vi
            status = 422
        else:
            context["report"] = report
            context["rows"] = page_rows(report, ZoneInfo(services.settings.scheduler.timezone))
            context["working_pct"] = services.settings.reports.working_uptime_pct
            context["aired_chart"] = share_bars([(r.commune_name, r.aired_pct) for r in report.airing_by_commune])
            context["working_chart"] = share_bars([(r.commune_name, r.working_pct) for r in report.communes])
        context["filed"] = session.exec(
            select(FiledReport)
            .where(FiledReport.scope_key == report_target(scope))
            .order_by(col(FiledReport.last).desc(), col(FiledReport.kind), col(FiledReport.version).desc())
            .limit(FILED_SHOWN)
        ).all()
        context["kind_labels"] = KIND_LABELS
    return render(request, "reports.html", context, user=user, status_code=status)


@router.get(
    "/bao-cao/tai-ve.{fmt}",
    response_class=Response,
    responses={200: {"description": "The report as XLSX, CSV or PDF."}},
)
def report_download(
    session: SessionDep,
    user: PageUser,
    services: ServicesDep,
    fmt: Literal["xlsx", "csv", "pdf"],
    tu: date,
    den: date,
    pham_vi: Annotated[str, Query(alias="pham-vi", min_length=1, max_length=64)],
    so: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The report to file, as the page shows it (audited)."""
    scope = _scope(session, user, pham_vi)
    report = build_period_report(session, services, scope, tu, den)
    download = report_file(session, services, user, scope, report, fmt, number=so, signer=user.full_name or None)
    return Response(download.body, media_type=download.media_type, headers=download.headers)


@router.get(
    "/bao-cao/da-lap/{report_id}.{fmt}",
    response_class=Response,
    responses={200: {"description": "A filed report as XLSX, CSV or PDF, from its figures as filed."}},
)
def filed_report_download(
    session: SessionDep,
    user: PageUser,
    services: ServicesDep,
    report_id: RowId,
    fmt: Literal["xlsx", "csv", "pdf"],
) -> Response:
    """A filed report to file (audited): the same figures whenever downloaded."""
    filed = session.get(FiledReport, report_id)
    if filed is None:
        raise NotFound(f"filed report {report_id}", message_vi="Không có báo cáo đã lập này.")
    scope = filed_report_scope(session, user, filed)
    signer = user.full_name or None
    download = report_file(session, services, user, scope, filed.report(), fmt, number=None, signer=signer, filed=filed)
    return Response(download.body, media_type=download.media_type, headers=download.headers)
