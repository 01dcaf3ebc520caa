"""Fleet overview: how many clusters are online."""

from __future__ import annotations

from collections.abc import Collection

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from devices.registry import Device


class FleetSummary(BaseModel):
    total: int
    online: int
    offline: int


def fleet_summary(session: Session, commune_ids: Collection[int] | None = None) -> FleetSummary:
    """Counts of active (not revoked) clusters; a cluster never heard from counts as offline."""
    query = select(Device.state, func.count()).where(col(Device.revoked_at).is_(None)).group_by(col(Device.state))
    if commune_ids is not None:
        query = query.where(col(Device.commune_id).in_(commune_ids))
    counts = {state: n for state, n in session.exec(query).all()}
    total = sum(counts.values())
    online = counts.get("online", 0)
    return FleetSummary(total=total, online=online, offline=total - online)
