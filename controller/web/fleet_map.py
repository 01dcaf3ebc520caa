"""The map of clusters (`/ban-do`, one commune: `/ban-do?xa=CODE`): each cluster placed by its GPS on an
inline SVG, coloured by state and marked with a letter; no tile server, nothing fetched from elsewhere.
The map part refreshes itself (htmx). Clusters without GPS are listed below it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session, col, select

from controller.accounts import User, commune_scope
from controller.deps import SessionDep, require_commune
from controller.web.charts import MapPoint, cluster_map, km_label
from controller.web.session import PageUser
from controller.web.templating import render
from devices.health import DeviceHealth
from devices.registry import Commune, Device, Hamlet, get_commune

router = APIRouter()


def _context(session: Session, user: User, commune_code: str) -> dict[str, Any]:
    commune = None
    query = (
        select(Device, Commune, DeviceHealth.state, Hamlet.name)
        .join(Commune, col(Commune.id) == col(Device.commune_id))
        .join(DeviceHealth, col(DeviceHealth.device_id) == col(Device.id), isouter=True)
        .join(Hamlet, col(Hamlet.id) == col(Device.hamlet_id), isouter=True)
        .where(col(Device.revoked_at).is_(None))
        .order_by(col(Commune.name), col(Device.code))
    )
    if commune_code:
        commune = get_commune(session, commune_code)
        require_commune(session, user, commune)
        query = query.where(Device.commune_id == commune.id)
    else:
        scope = commune_scope(session, user)
        if scope is not None:
            query = query.where(col(Device.commune_id).in_(scope))
    placed, unplaced = [], []
    for device, device_commune, state, hamlet in session.exec(query).all():
        state = state if state in ("online", "degraded", "offline") else "unknown"
        if device.latitude is None or device.longitude is None:
            unplaced.append((device, device_commune, state))
            continue
        placed.append(
            MapPoint(
                code=device.code,
                name=device.name,
                state=state,
                latitude=device.latitude,
                longitude=device.longitude,
                commune=device_commune.name,
                hamlet=hamlet,
            )
        )
    the_map = cluster_map(placed)
    return {
        "commune": commune,
        "map": the_map,
        "scale_label": km_label(the_map.scale_km) if the_map.points else "",
        "unplaced": unplaced,
        "map_query": f"?xa={commune.code}" if commune else "",
    }


@router.get("/ban-do")
def map_page(request: Request, session: SessionDep, user: PageUser, xa: str = "") -> HTMLResponse:
    return render(request, "map.html", _context(session, user, xa), user=user)


@router.get("/ban-do/truc-tiep")
def map_live(request: Request, session: SessionDep, user: PageUser, xa: str = "") -> HTMLResponse:
    """The fragment htmx polls."""
    return render(request, "_map_live.html", _context(session, user, xa), user=user)
