"""Period reports of a commune or a province: the figures as JSON, and as XLSX, CSV or PDF to file."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlmodel import Session

from controller.accounts import User
from controller.bulletin_scope import require_province
from controller.deps import CurrentUser, ServicesDep, SessionDep, require_commune
from controller.errors import error_responses
from controller.reports import (
    MEDIA_TYPES,
    build_period_report,
    commune_report_scope,
    report_file,
    report_scope,
)
from controller.services import Services
from devices.registry import get_commune, get_province
from reports import PeriodReport, Scope

router = APIRouter(tags=["reports"])

First = Annotated[date, Query(alias="from", description="First day (Vietnam time), included.")]
Last = Annotated[date, Query(alias="to", description="Last day (Vietnam time), included.")]
Format = Literal["xlsx", "csv", "pdf"]
Number = Annotated[
    str | None, Query(max_length=40, description="PDF: the report's number, e.g. 12/BC-UBND (dotted if absent).")
]
Signer = Annotated[str | None, Query(max_length=100, description="PDF: the name under the signature block.")]
Communes = Annotated[
    list[str] | None,
    Query(alias="commune", max_length=500, description="Only these communes of the province (repeat the parameter)."),
]

FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report as a file: XLSX (a sheet per table), CSV (UTF-8 with BOM) or PDF.",
        "content": {
            media.split(";")[0]: {"schema": {"type": "string", "format": "binary"}} for media in MEDIA_TYPES.values()
        },
    },
    **error_responses(403, 404, 422),
}


def _file(
    session: Session,
    services: Services,
    user: User,
    scope: Scope,
    report: PeriodReport,
    fmt: Format,
    *,
    number: str | None,
    signer: str | None,
) -> Response:
    download = report_file(session, services, user, scope, report, fmt, number=number, signer=signer)
    return Response(download.body, media_type=download.media_type, headers=download.headers)


@router.get("/communes/{commune_code}/report", responses=error_responses(403, 404, 422))
def commune_report(
    commune_code: str, first: First, last: Last, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> PeriodReport:
    """The commune's figures for the period, beside the previous period of the same length."""
    commune = get_commune(session, commune_code)
    require_commune(session, user, commune)
    return build_period_report(session, services, commune_report_scope(session, commune), first, last)


@router.get("/communes/{commune_code}/report.{fmt}", response_class=Response, responses=FILE_RESPONSES)
def commune_report_file(
    commune_code: str,
    fmt: Format,
    first: First,
    last: Last,
    session: SessionDep,
    user: CurrentUser,
    services: ServicesDep,
    number: Number = None,
    signer: Signer = None,
) -> Response:
    """The commune's report to file (audited)."""
    commune = get_commune(session, commune_code)
    require_commune(session, user, commune)
    scope = commune_report_scope(session, commune)
    report = build_period_report(session, services, scope, first, last)
    return _file(session, services, user, scope, report, fmt, number=number, signer=signer)


@router.get("/provinces/{province_code}/report", responses=error_responses(403, 404, 422))
def province_report(
    province_code: str,
    first: First,
    last: Last,
    session: SessionDep,
    user: CurrentUser,
    services: ServicesDep,
    communes: Communes = None,
) -> PeriodReport:
    """The province's figures (its staff, monitors and admins), or those of some of its communes."""
    province = get_province(session, province_code)
    require_province(user, province)
    return build_period_report(session, services, report_scope(session, user, province, communes), first, last)


@router.get("/provinces/{province_code}/report.{fmt}", response_class=Response, responses=FILE_RESPONSES)
def province_report_file(
    province_code: str,
    fmt: Format,
    first: First,
    last: Last,
    session: SessionDep,
    user: CurrentUser,
    services: ServicesDep,
    communes: Communes = None,
    number: Number = None,
    signer: Signer = None,
) -> Response:
    """The province's report to file (audited)."""
    province = get_province(session, province_code)
    require_province(user, province)
    scope = report_scope(session, user, province, communes)
    report = build_period_report(session, services, scope, first, last)
    return _file(session, services, user, scope, report, fmt, number=number, signer=signer)
