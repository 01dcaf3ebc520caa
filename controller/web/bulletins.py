"""Officer pages: the bulletins of the communes the user answers for."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import col, select

from controller.accounts import commune_scope
from controller.deps import SessionDep
from controller.web.session import PageUser
from controller.web.templating import render
from devices.registry import Commune
from schedules import Bulletin

router = APIRouter()


@router.get("/ban-tin")
def bulletin_list(request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    query = (
        select(Bulletin, Commune)
        .join(Commune, col(Commune.id) == col(Bulletin.commune_id))
        .order_by(col(Bulletin.id).desc())
        .limit(200)
    )
    scope = commune_scope(session, user)
    if scope is not None:
        query = query.where(col(Bulletin.commune_id).in_(scope))
    rows = session.exec(query).all()
    return render(request, "bulletins.html", {"rows": rows}, user=user)
