"""A cluster's page: installation facts, latest heartbeat, a 24-hour heartbeat chart, daily uptime,
recent alerts and the proof-of-play log. The state part refreshes itself (htmx) like the dashboard."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from audio_library.timestamps import utc_now
from controller.accounts import User
from controller.deps import ServicesDep, SessionDep, require_commune
from controller.web.charts import Sample, history_chart, uptime_bars
from controller.web.dashboard import may_acknowledge
from controller.web.session import PageUser
from controller.web.templating import render
from devices.fleet import device_detail
from devices.registry import Commune, Hamlet, get_device
from devices.uptime import day_bounds, local_day

router = APIRouter()

UPTIME_DAYS = 14


def _context(session: Session, user: User, device_code: str, zone: str, sample_period_s: float) -> dict[str, Any]:
    device = get_device(session, device_code)
    commune = session.get(Commune, device.commune_id)
    assert commune is not None
    require_commune(session, user, commune)
    now = utc_now()
    detail = device_detail(session, device, commune, now, days=UPTIME_DAYS)
    charts = {
        metric: history_chart(
            [Sample(s.at, s.state, getattr(s, metric)) for s in detail.samples],
            now,
            zone,
            sample_period_s=sample_period_s,
        )
        for metric in ("signal_dbm", "temperature_c")
    }
    today = local_day(now)
    day_start, _ = day_bounds(today)
    elapsed_s = (now - max(day_start, device.created_at)).total_seconds()  # registered today: since then
    uptime = uptime_bars({u.day: u.up_s for u in detail.uptime}, today, elapsed_s)
    return {
        "device": device,
        "commune": commune,
        "hamlet": session.get(Hamlet, device.hamlet_id) if device.hamlet_id is not None else None,
        "cluster": detail.cluster,
        "charts": charts,
        "samples": [s for s in detail.samples if s.at >= now - timedelta(hours=24)],
        "uptime": uptime,
        "alerts": detail.alerts,
        "plays": detail.plays,
        "can_ack": may_acknowledge(user),
        "return_to": f"/cum-loa/{device.code}",
    }


@router.get("/cum-loa/{device_code}")
def cluster_page(
    device_code: str, request: Request, session: SessionDep, services: ServicesDep, user: PageUser
) -> HTMLResponse:
    settings = services.settings
    context = _context(session, user, device_code, settings.scheduler.timezone, settings.fleet.history_sample_s)
    return render(request, "cluster.html", context, user=user)


@router.get("/cum-loa/{device_code}/truc-tiep")
def cluster_live(
    device_code: str, request: Request, session: SessionDep, services: ServicesDep, user: PageUser
) -> HTMLResponse:
    """The fragment htmx polls: state, latest heartbeat, the chart and alerts."""
    settings = services.settings
    context = _context(session, user, device_code, settings.scheduler.timezone, settings.fleet.history_sample_s)
    return render(request, "_cluster_live.html", context, user=user)
