"""The live page (`/phat-truc-tiep`): an officer with the live permission picks the targets and the priority,
presses to talk, and speaks into the phone's or PC's microphone.

The page's script (`/tinh/phat-truc-tiep.js`) asks for the microphone first, then POSTs the form here
(answered in JSON: the session and its socket, or a Vietnamese refusal), then records with MediaRecorder
(Opus, 100 ms chunks) into the session's WebSocket (`controller.api.live`), authenticated by the console's
login cookie.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import ValidationError
from sqlmodel import col, select

from audio_library.errors import LoaxaError
from controller.api.live import hub_of
from controller.deps import ServicesDep, SessionDep
from controller.live.session import LiveSession, LiveStart
from controller.live.workflow import grant_for, live_communes, public, start
from controller.web.forms import messages_vi
from controller.web.session import PageUser
from controller.web.templating import render
from devices.registry import Province
from schedules.hamlet import load_registry

router = APIRouter(prefix="/phat-truc-tiep")


@router.get("")
def live_page(request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    communes = live_communes(session, user)
    registry = load_registry(session)
    provinces = {p.id: p for p in session.exec(select(Province))}
    # A province as a whole: for provincial staff whose grant covers it.
    province_choices = sorted(
        {
            provinces[c.province_id].code: provinces[c.province_id].name
            for c in communes
            if user.province_id == c.province_id
        }.items()
    )
    may_pre_empt = any((grant := grant_for(session, user, c)) is not None and grant.pre_empt for c in communes)
    recent = session.exec(
        select(LiveSession).where(LiveSession.user_id == user.id).order_by(col(LiveSession.id).desc()).limit(5)
    ).all()
    context = {
        "communes": [
            {
                "code": c.code,
                "name": c.name,
                "clusters": sorted(registry.communes.get(c.code, ())),
                "groups": sorted(registry.hamlet_groups.get(c.code, {})),
            }
            for c in communes
        ],
        "province_choices": province_choices,
        "may_pre_empt": may_pre_empt,
        "recent": [public(session, live) for live in recent],
    }
    return render(request, "live.html", context, user=user)


def _refusal(message: str, status: int, code: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)


@router.post("/bat-dau")
def start_live(
    session: SessionDep,
    services: ServicesDep,
    user: PageUser,
    target: Annotated[str, Form(max_length=16)] = "commune",
    commune_code: Annotated[str, Form(max_length=64)] = "",
    hamlet_group: Annotated[str, Form(max_length=100)] = "",
    clusters: Annotated[list[str] | None, Form(max_length=500)] = None,
    province_code: Annotated[str, Form(max_length=64)] = "",
    title: Annotated[str, Form(max_length=300)] = "",
    priority: Annotated[str, Form(max_length=16)] = "normal",
    pre_empt: Annotated[str, Form(max_length=8)] = "",
) -> JSONResponse:
    """Go live (JSON for the page's script): the session and its socket, or a refusal in Vietnamese."""
    try:
        data = LiveStart(
            commune_code=commune_code or None if target != "province" else None,
            hamlet_group=hamlet_group or None if target == "group" else None,
            clusters=clusters or None if target == "clusters" else None,
            province_code=province_code or None if target == "province" else None,
            title=title.strip(),
            priority="emergency" if priority == "emergency" else "normal",
            pre_empt=pre_empt == "1",
        )
    except ValidationError as exc:
        return _refusal(" ".join(messages_vi(exc)), 422, "invalid_request")
    if target == "clusters" and not clusters:
        return _refusal("Hãy chọn ít nhất một cụm loa.", 422, "live_target_missing")
    try:
        hub = hub_of(services)
        live = start(session, user, data)
    except LoaxaError as exc:
        session.rollback()
        return _refusal(exc.message_vi, exc.http_status, exc.code)
    hub.opened(live.key)
    return JSONResponse(public(session, live).model_dump(mode="json"), status_code=201)
