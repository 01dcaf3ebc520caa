"""Scheduling approved bulletins onto communes, and the playlists that result."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter

from audio_library.row_id import RowId
from controller import audit
from controller.accounts import Role
from controller.bulletin_workflow import schedule_once
from controller.deps import CurrentUser, ServicesDep, SessionDep, require_commune, require_role
from devices.registry import Commune, get_commune
from schedules import (
    Broadcast,
    BroadcastCreate,
    BroadcastPublic,
    BulletinNotFound,
    current_playlist,
)

router = APIRouter(tags=["broadcasts"])


@router.post("/broadcasts", status_code=201)
def create_broadcast(
    data: BroadcastCreate, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> BroadcastPublic:
    """Schedule an approved bulletin; a time without offset is read in the scheduler's time zone."""
    return BroadcastPublic.model_validate(schedule_once(session, services, user, data))


@router.get("/broadcasts/{broadcast_id}")
def get_broadcast(broadcast_id: RowId, session: SessionDep, user: CurrentUser) -> BroadcastPublic:
    broadcast = session.get(Broadcast, broadcast_id)
    commune = session.get(Commune, broadcast.commune_id) if broadcast else None
    if broadcast is None or commune is None:
        raise BulletinNotFound(f"no broadcast {broadcast_id}", message_vi="Không tìm thấy lịch phát.")
    require_commune(session, user, commune)
    return BroadcastPublic.model_validate(broadcast)


@router.post("/broadcasts/{broadcast_id}/cancel")
def cancel_broadcast(
    broadcast_id: RowId, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> BroadcastPublic:
    """Take a scheduled bulletin off the air: later playlists drop it, and a node playing it stops."""
    require_role(user, Role.OFFICER, Role.ADMIN)
    broadcast = session.get(Broadcast, broadcast_id)
    commune = session.get(Commune, broadcast.commune_id) if broadcast else None
    if broadcast is None or commune is None:
        raise BulletinNotFound(f"no broadcast {broadcast_id}", message_vi="Không tìm thấy lịch phát.")
    require_commune(session, user, commune)
    if broadcast.cancelled_at is None:
        broadcast.cancelled_at = services.clock()
        session.add(broadcast)
        audit.record(session, user, "broadcast.cancel", f"broadcast {broadcast.id}", f"commune {commune.code}")
    services.publish(session, commune)
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
