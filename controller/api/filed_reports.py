"""Reports of closed periods as they were filed (`reports.filing`): the list, one version's figures and
files drawn from them (the same figures whenever downloaded), and filing one again."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlmodel import Session, col, select

from audio_library.row_id import RowId
from controller import audit
from controller.accounts import Role, User
from controller.bulletin_scope import require_province
from controller.deps import CurrentUser, ServicesDep, SessionDep, require_commune, require_role
from controller.errors import NotFound, error_responses
from controller.reports import MEDIA_TYPES, filed_report_scope, report_file, seal_waiting_plays, send_filed_report
from controller.services import Services
from devices.registry import get_commune, get_province
from reports import Period, PeriodReport, Scope
from reports.filing import KIND_LABELS, FiledReport, file_report, latest_version

router = APIRouter(tags=["reports"])

Kind = Literal["month", "half", "year"]


class FiledReportPublic(BaseModel):
    id: int
    scope_key: str
    kind: str
    kind_label: str
    first: date
    last: date
    version: int
    generated_at: datetime
    generated_by: str
    as_run_seal: str
    changes: list[dict[str, Any]]


class FiledReportFigures(FiledReportPublic):
    report: PeriodReport


def _public(filed: FiledReport) -> FiledReportPublic:
    return FiledReportPublic(
        id=filed.id or 0,
        scope_key=filed.scope_key,
        kind=filed.kind,
        kind_label=KIND_LABELS.get(filed.kind, filed.kind),
        first=filed.first,
        last=filed.last,
        version=filed.version,
        generated_at=filed.generated_at,
        generated_by=filed.generated_by,
        as_run_seal=filed.as_run_seal,
        changes=filed.changes,
    )


def _get(session: Session, user: User, report_id: int) -> tuple[FiledReport, Scope]:
    filed = session.get(FiledReport, report_id)
    if filed is None:
        raise NotFound(f"filed report {report_id}", message_vi="Không có báo cáo đã lập này.")
    return filed, filed_report_scope(session, user, filed)


def _listed(session: Session, key: str, kind: Kind | None) -> list[FiledReportPublic]:
    query = select(FiledReport).where(FiledReport.scope_key == key)
    if kind is not None:
        query = query.where(FiledReport.kind == kind)
    query = query.order_by(col(FiledReport.last).desc(), col(FiledReport.kind), col(FiledReport.version).desc())
    return [_public(f) for f in session.exec(query.limit(500))]


@router.get("/provinces/{province_code}/filed-reports", responses=error_responses(403, 404))
def province_filed_reports(
    province_code: str, session: SessionDep, user: CurrentUser, kind: Kind | None = None
) -> list[FiledReportPublic]:
    """The province's filed reports, newest period first, every version (the province's staff and admins)."""
    province = get_province(session, province_code)
    require_province(user, province)
    return _listed(session, f"province:{province.code}", kind)


@router.get("/communes/{commune_code}/filed-reports", responses=error_responses(403, 404))
def commune_filed_reports(
    commune_code: str, session: SessionDep, user: CurrentUser, kind: Kind | None = None
) -> list[FiledReportPublic]:
    """The commune's filed reports, newest period first, every version."""
    commune = get_commune(session, commune_code)
    require_commune(session, user, commune)
    return _listed(session, f"commune:{commune.code}", kind)


FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The filed report as XLSX, CSV (UTF-8 with BOM) or PDF, from its figures as filed.",
        "content": {
            media.split(";")[0]: {"schema": {"type": "string", "format": "binary"}} for media in MEDIA_TYPES.values()
        },
    },
    **error_responses(403, 404, 422),
}


@router.get("/filed-reports/{report_id}.{fmt}", response_class=Response, responses=FILE_RESPONSES)
def filed_report_file(
    report_id: RowId,
    fmt: Literal["xlsx", "csv", "pdf"],
    session: SessionDep,
    user: CurrentUser,
    services: ServicesDep,
    number: Annotated[str | None, Query(max_length=40)] = None,
    signer: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """A filed report to file (audited): the same figures whenever it is downloaded."""
    filed, scope = _get(session, user, report_id)
    download = report_file(
        session, services, user, scope, filed.report(), fmt, number=number, signer=signer, filed=filed
    )
    return Response(download.body, media_type=download.media_type, headers=download.headers)


# Declared after the file route: "/filed-reports/5.pdf" would otherwise be read as the id "5.pdf".
@router.get("/filed-reports/{report_id}", responses=error_responses(403, 404))
def filed_report(report_id: RowId, session: SessionDep, user: CurrentUser) -> FiledReportFigures:
    """One version with its figures as they were filed."""
    filed, _ = _get(session, user, report_id)
    return FiledReportFigures(**_public(filed).model_dump(), report=filed.report())


def refile(session: Session, services: Services, user: User, filed: FiledReport, scope: Scope) -> FiledReport | None:
    """File the report's period again; the new version, or None when nothing changed (audited either way)."""
    zone = ZoneInfo(services.settings.scheduler.timezone)
    seal_waiting_plays(services)
    made = file_report(
        session,
        scope,
        filed.kind,
        Period(filed.first, filed.last),
        zone=zone,
        now=datetime.now(zone),
        working_uptime_pct=services.settings.reports.working_uptime_pct,
        by=user.username,
    )
    if made is not None:
        session.flush()
        send_filed_report(session, made)
    detail = f"{filed.first}..{filed.last} " + (f"v{made.version}" if made is not None else "unchanged")
    audit.record(session, user, "report.refile", filed.scope_key, detail)
    session.commit()
    return made


@router.post(
    "/filed-reports/{report_id}/refile",
    status_code=201,
    responses={
        200: {"description": "Nothing changed: the latest version, no new one.", "model": FiledReportPublic},
        **error_responses(403, 404),
    },
)
def refile_report(report_id: RowId, session: SessionDep, user: CurrentUser, services: ServicesDep) -> Any:
    """Make the report of this period again: a new version saying what changed, or 200 with the latest
    version when nothing did (provincial staff, monitors and admins for the province; officers for their commune)."""
    require_role(user, Role.ADMIN, Role.MONITOR, Role.OFFICER)
    filed, scope = _get(session, user, report_id)
    made = refile(session, services, user, filed, scope)
    if made is None:
        latest = latest_version(session, filed.scope_key, Period(filed.first, filed.last)) or filed
        return JSONResponse(_public(latest).model_dump(mode="json"), status_code=200)
    return _public(made)
