"""The province's source information system as its staff see it: the sources, every delivery and every
CAP alert, refused ones with the reason (`province_link`; the same data as
`GET /api/v1/provinces/{code}/source-deliveries` and `GET /api/v1/cap-alerts`), and the one action that
airs a pending CAP alert (`POST /api/v1/cap-alerts/{id}/confirm`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import col, select

from audio_library.row_id import RowId
from controller.accounts import Role
from controller.api.cap_alerts import STATE_VI
from controller.api.source_link import list_source_systems
from controller.deps import ServicesDep, SessionDep, require_role
from controller.errors import OutOfScope
from controller.source_link.cap_alerts import air_alert, province_alerts
from controller.web.province import page_province
from controller.web.session import PageUser
from controller.web.templating import render
from devices.registry import Province
from province_link import CapAlert, CapAlertNotFound, SourceDelivery, SourceSystem
from province_link.cap import PRIORITY_VI, SEVERITY_VI

router = APIRouter()

DELIVERIES_SHOWN = 200
ALERTS_SHOWN = 100


@router.get("/nguon-tinh")
def source_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    tinh: Annotated[str, Query(max_length=64)] = "",
    tu_choi: Annotated[bool, Query(alias="tu-choi")] = False,
) -> HTMLResponse:
    """Sources of the province, and what they delivered (`?tu-choi=1`: only what was refused)."""
    province = page_province(session, user, tinh)
    sources = [s for s in list_source_systems(session) if s.province_code == province.code]
    query = (
        select(SourceDelivery, SourceSystem)
        .where(SourceDelivery.source_id == SourceSystem.id, SourceSystem.province_id == province.id)
        .order_by(col(SourceDelivery.received_at).desc(), col(SourceDelivery.id).desc())
        .limit(DELIVERIES_SHOWN)
    )
    if tu_choi:
        query = query.where(SourceDelivery.outcome == "refused")
    provinces = (
        list(session.exec(select(Province).order_by(col(Province.name)))) if user.role == Role.ADMIN else [province]
    )
    context = {
        "province": province,
        "provinces": provinces,
        "sources": sources,
        "deliveries": session.exec(query).all(),
        "only_refused": tu_choi,
        "shown": DELIVERIES_SHOWN,
        "alerts": province_alerts(session, province.id, state="refused" if tu_choi else None, limit=ALERTS_SHOWN),
        "alerts_shown": ALERTS_SHOWN,
        "alert_states": STATE_VI,
        "severities": SEVERITY_VI,
        "priorities": PRIORITY_VI,
        "may_confirm": user.role in (Role.OFFICER, Role.APPROVER, Role.ADMIN),
    }
    return render(request, "source_link.html", context, user=user)


@router.post("/nguon-tinh/canh-bao/{alert_id}/xac-nhan")
def confirm_alert_action(
    alert_id: RowId, session: SessionDep, services: ServicesDep, user: PageUser
) -> RedirectResponse:
    """Air a pending CAP alert (one action of a provincial officer): the same as the API's confirm."""
    require_role(user, Role.OFFICER, Role.APPROVER, Role.ADMIN)
    alert = session.get(CapAlert, alert_id)
    source = session.get(SourceSystem, alert.source_id) if alert is not None else None
    province = session.get(Province, source.province_id) if source is not None else None
    if alert is None or province is None:
        raise CapAlertNotFound(f"no CAP alert {alert_id}")
    if user.role != Role.ADMIN and user.province_id != province.id:
        raise OutOfScope(f"user {user.username} does not answer for {province.code}")
    air_alert(services, session, alert_id, user, auto=False)
    return RedirectResponse(f"/nguon-tinh?tinh={province.code}&tb=da-xac-nhan-canh-bao", status_code=303)
