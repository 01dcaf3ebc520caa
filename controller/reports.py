"""Wiring reports (`reports`) into the controller: the as-run sealer, and who may read which communes' log."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from controller.accounts import User, commune_scope
from controller.services import Services
from devices.registry import Commune, Province
from reports import PlaySealer


def start_play_sealer(services: Services) -> PlaySealer:
    zone = ZoneInfo(services.settings.scheduler.timezone)
    sealer = PlaySealer(services.sessions, services.settings.reports, zone)
    sealer.start()
    return sealer


def communes_in_scope(session: Session, user: User, province: Province | None, commune: Commune | None) -> list[str]:
    """The commune codes a report covers: the one commune, or the province's communes the user may see."""
    if commune is not None:
        return [commune.code]
    assert province is not None
    scope = commune_scope(session, user)
    query = select(Commune).where(Commune.province_id == province.id).order_by(col(Commune.code))
    return [c.code for c in session.exec(query) if scope is None or c.id in scope]
