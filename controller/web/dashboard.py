"""The monitor's dashboard: clusters online and bulletins by state, each commune's health, recent plays.

The live part is a fragment that htmx fetches again every `web.live_refresh_s` seconds (no reload).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func
from sqlmodel import Session, col, select

from controller.accounts import User, commune_scope
from controller.deps import SessionDep
from controller.web.session import PageUser
from controller.web.templating import render
from devices.fleet import fleet_summary
from devices.proof_of_play import PlayRecord
from devices.registry import Commune, Device
from schedules import Bulletin

router = APIRouter()

RECENT_PLAYS = 20


@dataclass(frozen=True)
class CommuneHealth:
    commune: Commune
    total: int
    online: int
    last_play_at: datetime | None

    @property
    def status(self) -> str:
        """A CSS class: all clusters online, some, none, or no clusters at all."""
        if self.total == 0:
            return "trang-thai-khong"
        if self.online == self.total:
            return "trang-thai-tot"
        return "trang-thai-mot-phan" if self.online else "trang-thai-xau"

    @property
    def online_pct(self) -> int:
        return round(100 * self.online / self.total) if self.total else 0


def _communes(session: Session, scope: set[int] | None) -> list[Commune]:
    query = select(Commune).order_by(col(Commune.name))
    if scope is not None:
        query = query.where(col(Commune.id).in_(scope))
    return list(session.exec(query))


def live_context(session: Session, user: User) -> dict[str, Any]:
    scope = commune_scope(session, user)
    communes = _communes(session, scope)
    by_commune: dict[int, dict[str, int]] = {}
    device_rows = session.exec(
        select(Device.commune_id, Device.state, func.count())
        .where(col(Device.revoked_at).is_(None))
        .group_by(col(Device.commune_id), col(Device.state))
    ).all()
    for commune_id, state, count in device_rows:
        by_commune.setdefault(commune_id, {})[state] = count
    codes = [c.code for c in communes]
    last_plays = dict(
        session.exec(
            select(PlayRecord.commune_code, func.max(PlayRecord.started_at))
            .where(col(PlayRecord.commune_code).in_(codes))
            .group_by(col(PlayRecord.commune_code))
        ).all()
    )
    health = [
        CommuneHealth(
            commune=c,
            total=sum(by_commune.get(c.id or 0, {}).values()),
            online=by_commune.get(c.id or 0, {}).get("online", 0),
            last_play_at=last_plays.get(c.code),
        )
        for c in communes
    ]
    bulletin_query = select(Bulletin.status, func.count()).group_by(col(Bulletin.status))
    if scope is not None:
        bulletin_query = bulletin_query.where(col(Bulletin.commune_id).in_(scope))
    plays = session.exec(
        select(PlayRecord, Device)
        .join(Device, col(Device.id) == col(PlayRecord.device_id))
        .where(col(PlayRecord.commune_code).in_(codes))
        .order_by(col(PlayRecord.started_at).desc())
        .limit(RECENT_PLAYS)
    ).all()
    return {
        "fleet": fleet_summary(session, scope),
        "bulletin_counts": dict(session.exec(bulletin_query).all()),
        "health": health,
        "plays": plays,
    }


@router.get("/giam-sat")
def dashboard(request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    return render(request, "dashboard.html", live_context(session, user), user=user)


@router.get("/giam-sat/truc-tiep")
def dashboard_live(request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    """The fragment htmx polls."""
    return render(request, "_dashboard_live.html", live_context(session, user), user=user)
