"""Scheduling an approved bulletin from the console, and a commune's compiled playlist with start times."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlmodel import col, select

from audio_library.row_id import RowId
from controller.accounts import Role
from controller.bulletin_workflow import load_bulletin, schedule_once
from controller.deps import ServicesDep, SessionDep, require_commune
from controller.errors import InvalidInput
from controller.web.forms import messages_vi
from controller.web.notices import notices
from controller.web.session import PageUser
from controller.web.templating import render
from devices.protocol import Playlist
from devices.registry import Commune, Device, get_commune
from schedules import BroadcastCreate, current_playlist

router = APIRouter()


@router.post("/ban-tin/{bulletin_id}/lich-phat")
def schedule_page(
    bulletin_id: RowId,
    session: SessionDep,
    services: ServicesDep,
    user: PageUser,
    starts_at: Annotated[str, Form()] = "",
    commune_code: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Schedule once in the bulletin's commune (a province's bulletin: in the commune chosen on the form)."""
    bulletin = load_bulletin(session, user, bulletin_id, to_change=False)
    if bulletin.province_id is not None:
        commune = get_commune(session, commune_code.strip())
    else:
        found = session.get(Commune, bulletin.commune_id)
        assert found is not None
        commune = found
    try:
        data = BroadcastCreate.model_validate(
            {"bulletin_id": bulletin_id, "commune_code": commune.code, "starts_at": starts_at.strip() or None}
        )
    except ValidationError as exc:
        raise InvalidInput("bad start time", message_vi=" ".join(messages_vi(exc))) from exc
    schedule_once(session, services, user, data)
    return RedirectResponse(f"/xa/{commune.code}/lich-phat?tb=da-len-lich", status_code=303)


@router.get("/xa/{commune_code}/lich-phat")
def commune_playlist_page(commune_code: str, request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    commune = get_commune(session, commune_code)
    require_commune(session, user, commune)
    stored = current_playlist(session, commune)
    items: list[dict[str, Any]] = []
    version = 0
    generated_at: datetime | None = None
    if stored is not None:
        playlist = Playlist.model_validate(json.loads(stored.content))
        version, generated_at = playlist.version, playlist.generated_at
        items = [{**item.model_dump(), "broadcast_id": _broadcast_id(item.item_id)} for item in playlist.items]
    devices = session.exec(
        select(Device)
        .where(Device.commune_id == commune.id, col(Device.revoked_at).is_(None))
        .order_by(col(Device.code))
    ).all()
    context = {
        "devices": devices,
        "commune": commune,
        "items": items,
        "version": version,
        "generated_at": generated_at,
        "flashes": notices(request),
        "may_cancel": user.role in (Role.OFFICER, Role.ADMIN),
    }
    return render(request, "playlist.html", context, user=user)


def _broadcast_id(item_id: str) -> int | None:
    """The one-off broadcast a playlist item comes from ("b12", or "b12~1" once resumed), if any."""
    group = item_id.split("~", 1)[0]
    return int(group[1:]) if group.startswith("b") and group[1:].isdigit() else None
