"""The monitor's dashboard: clusters and bulletins by state, each commune's health and today's uptime,
open alerts (acknowledged here), recent plays.

The live part is a fragment that htmx fetches again every `web.live_refresh_s` seconds (no reload).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func
from sqlmodel import Session, col, select

from audio_library.row_id import RowId
from audio_library.timestamps import utc_now
from controller.accounts import Role, User, commune_scope
from controller.api.fleet import acknowledge_in_scope
from controller.bulletin_scope import bulletin_filter
from controller.deps import SessionDep
from controller.web.session import PageUser
from controller.web.templating import render
from devices.alerts import Alert
from devices.fleet import fleet_summary, list_alerts
from devices.health import DeviceHealth
from devices.proof_of_play import PlayRecord
from devices.registry import Commune, Device
from devices.uptime import day_bounds, devices_up_seconds, local_day
from schedules import Bulletin

router = APIRouter()

RECENT_PLAYS = 20
OPEN_ALERTS_SHOWN = 50
# Where acknowledging an alert may return to (never an address taken blindly from the form).
RETURN_PATHS = re.compile(r"/giam-sat|/cum-loa/[A-Za-z0-9._-]{1,64}")


@dataclass(frozen=True)
class CommuneHealth:
    """One row of the dashboard's commune table."""

    commune: Commune
    states: dict[str, int]
    uptime_pct: float | None  # today's, the mean over the commune's clusters
    open_alerts: int
    last_play_at: datetime | None

    @property
    def total(self) -> int:
        return sum(self.states.values())

    @property
    def online(self) -> int:
        return self.states.get("online", 0)

    @property
    def status(self) -> str:
        """A CSS class: all clusters well, some trouble, some unreachable, or nothing known."""
        if self.total == 0 or self.states.get("unknown", 0) == self.total:
            return "trang-thai-khong"
        if self.states.get("offline", 0):
            return "trang-thai-xau"
        if self.online == self.total:
            return "trang-thai-tot"
        return "trang-thai-mot-phan"

    @property
    def status_text(self) -> str:
        """The same in words (colour is never the only sign)."""
        if self.total == 0:
            return "Chưa có cụm loa"
        if self.states.get("unknown", 0) == self.total:
            return "Chưa kết nối"
        if self.states.get("offline", 0):
            return "Có cụm mất kết nối"
        if self.states.get("degraded", 0):
            return "Có sự cố"
        return "Tốt" if self.online == self.total else "Có cụm chưa kết nối"

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
    commune_ids = [c.id for c in communes if c.id is not None]
    devices = session.exec(
        select(Device.id, Device.commune_id, Device.created_at, DeviceHealth.state)
        .join(DeviceHealth, col(DeviceHealth.device_id) == col(Device.id), isouter=True)
        .where(col(Device.revoked_at).is_(None), col(Device.commune_id).in_(commune_ids))
    ).all()
    now = utc_now()
    day_start, _ = day_bounds(local_day(now))
    up_s = devices_up_seconds(session, [d for d, _, _, _ in devices if d is not None], day_start, now)
    states: dict[int, dict[str, int]] = {}
    uptimes: dict[int, list[float]] = {}
    for device_id, commune_id, created_at, state in devices:
        key = state if state in ("online", "degraded", "offline") else "unknown"
        by_state = states.setdefault(commune_id, {})
        by_state[key] = by_state.get(key, 0) + 1
        # Today so far, or since the cluster was registered if that was today.
        elapsed_s = (now - max(day_start, created_at)).total_seconds()
        if device_id is not None and elapsed_s > 0:
            uptimes.setdefault(commune_id, []).append(min(100.0, 100 * up_s[device_id] / elapsed_s))
    alert_counts = dict(
        session.exec(
            select(Alert.commune_id, func.count())
            .where(col(Alert.open_key).is_not(None), col(Alert.commune_id).in_(commune_ids))
            .group_by(col(Alert.commune_id))
        ).all()
    )
    codes = [c.code for c in communes]
    last_plays = dict(
        session.exec(
            select(PlayRecord.commune_code, func.max(PlayRecord.started_at))
            .where(col(PlayRecord.commune_code).in_(codes), col(PlayRecord.flag_reason).is_(None))
            .group_by(col(PlayRecord.commune_code))
        ).all()
    )
    health = []
    for c in communes:
        shares = uptimes.get(c.id or 0, [])
        health.append(
            CommuneHealth(
                commune=c,
                states=states.get(c.id or 0, {}),
                uptime_pct=sum(shares) / len(shares) if shares else None,
                open_alerts=alert_counts.get(c.id or 0, 0),
                last_play_at=last_plays.get(c.code),
            )
        )
    bulletin_query = select(Bulletin.status, func.count()).group_by(col(Bulletin.status))
    readable = bulletin_filter(session, user)
    if readable is not None:
        bulletin_query = bulletin_query.where(readable)
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
        "alerts": list_alerts(session, scope, only_open=True, limit=OPEN_ALERTS_SHOWN),
        "can_ack": may_acknowledge(user),
        "return_to": "/giam-sat",
    }


def may_acknowledge(user: User) -> bool:
    return user.role in (Role.MONITOR, Role.ADMIN)


@router.get("/giam-sat")
def dashboard(request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    return render(request, "dashboard.html", live_context(session, user), user=user)


@router.get("/giam-sat/truc-tiep")
def dashboard_live(request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    """The fragment htmx polls."""
    return render(request, "_dashboard_live.html", live_context(session, user), user=user)


@router.post("/canh-bao/{alert_id}/xac-nhan")
def acknowledge_alert(
    alert_id: RowId, request: Request, session: SessionDep, user: PageUser, next: Annotated[str, Form()] = ""
) -> RedirectResponse:
    """Mark an alert as seen (monitors and admins); back to the page the button was on."""
    acknowledge_in_scope(session, user, alert_id)
    target = next if RETURN_PATHS.fullmatch(next) else "/giam-sat"
    return RedirectResponse(target, status_code=303)
