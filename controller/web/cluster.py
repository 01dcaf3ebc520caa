"""A cluster's page: its connection state and its proof-of-play log (heartbeat history comes later)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import col, select

from controller.deps import SessionDep, require_commune
from controller.web.session import PageUser
from controller.web.templating import render
from devices.proof_of_play import PlayRecord
from devices.registry import Commune, get_device

router = APIRouter()

PLAY_LOG_SIZE = 100


@router.get("/cum-loa/{device_code}")
def cluster_page(device_code: str, request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    device = get_device(session, device_code)
    commune = session.get(Commune, device.commune_id)
    assert commune is not None
    require_commune(session, user, commune)
    plays = session.exec(
        select(PlayRecord)
        .where(PlayRecord.device_id == device.id)
        .order_by(col(PlayRecord.started_at).desc())
        .limit(PLAY_LOG_SIZE)
    ).all()
    return render(request, "cluster.html", {"device": device, "commune": commune, "plays": plays}, user=user)
