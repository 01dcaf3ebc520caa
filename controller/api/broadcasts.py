"""Scheduling approved bulletins onto communes, and the playlists that result."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from fastapi import APIRouter

from controller.accounts import Role
from controller.deps import CurrentUser, ServicesDep, SessionDep, require_commune, require_role
from controller.errors import Forbidden
from devices.registry import Commune, get_commune
from schedules import (
    Broadcast,
    BroadcastCreate,
    BroadcastPublic,
    Bulletin,
    BulletinNotFound,
    current_playlist,
    in_zone,
    schedule_broadcast,
)
from schedules.commune_hours import commune_quiet_hours
from schedules.timetable import commune_timetable

router = APIRouter(tags=["broadcasts"])


@router.post("/broadcasts", status_code=201)
def create_broadcast(
    data: BroadcastCreate, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> BroadcastPublic:
    """Schedule an approved bulletin; a time without offset is read in the scheduler's time zone."""
    require_role(user, Role.OFFICER, Role.ADMIN)
    sched = services.settings.scheduler
    commune = get_commune(session, data.commune_code)
    require_commune(session, user, commune)
    bulletin = session.get(Bulletin, data.bulletin_id)
    if bulletin is None:
        raise BulletinNotFound(f"no bulletin {data.bulletin_id}")
    if bulletin.commune_id != commune.id:
        # The approver approved it for its own commune; airing it elsewhere needs its own approval.
        raise Forbidden(
            f"bulletin {bulletin.id} belongs to another commune",
            message_vi="Bản tin được duyệt cho xã khác, không được phát ở xã này.",
        )
    assert user.id is not None
    starts_at = in_zone(data.starts_at, sched.timezone)
    broadcast = schedule_broadcast(
        session,
        bulletin,
        commune,
        starts_at,
        created_by=user.id,
        now=services.clock(),
        lookback=timedelta(minutes=sched.max_item_duration_min),
        quiet=commune_quiet_hours(session, commune, sched.planning().quiet),
        on_interrupt=data.on_interrupt,
    )
    # Programs air too: refuse an overlap with one of their items on a shared cluster, naming it.
    lookback = timedelta(minutes=sched.max_item_duration_min)
    commune_timetable(
        session,
        commune,
        start=starts_at - lookback,
        end=starts_at + lookback,
        planning=sched.planning(),
        check_conflicts=True,
        changed=f"b{broadcast.id}",
    )
    public = BroadcastPublic.model_validate(broadcast)
    services.publish(session, commune)
    return public


@router.get("/broadcasts/{broadcast_id}")
def get_broadcast(broadcast_id: int, session: SessionDep, user: CurrentUser) -> BroadcastPublic:
    broadcast = session.get(Broadcast, broadcast_id)
    commune = session.get(Commune, broadcast.commune_id) if broadcast else None
    if broadcast is None or commune is None:
        raise BulletinNotFound(f"no broadcast {broadcast_id}", message_vi="Không tìm thấy lịch phát.")
    require_commune(session, user, commune)
    return BroadcastPublic.model_validate(broadcast)


@router.get("/communes/{commune_code}/playlist")
def commune_playlist(commune_code: str, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """The playlist the commune's nodes currently have (empty before anything was scheduled)."""
    commune = get_commune(session, commune_code)
    require_commune(session, user, commune)
    stored = current_playlist(session, commune)
    if stored is None:
        return {"v": 1, "commune": commune.code, "version": 0, "generated_at": None, "items": []}
    content: dict[str, Any] = json.loads(stored.content)
    return content
