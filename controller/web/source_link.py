"""The province's source information system as its staff see it: the sources, and every delivery, refused
ones with the reason (`province_link`; the same data as `GET /api/v1/provinces/{code}/source-deliveries`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import col, select

from controller.accounts import Role
from controller.api.source_link import list_source_systems
from controller.deps import SessionDep
from controller.web.province import page_province
from controller.web.session import PageUser
from controller.web.templating import render
from devices.registry import Province
from province_link import SourceDelivery, SourceSystem

router = APIRouter()

DELIVERIES_SHOWN = 200


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
    }
    return render(request, "source_link.html", context, user=user)
