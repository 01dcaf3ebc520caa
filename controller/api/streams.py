"""Stream sources for relays ("tiếp sóng"): admins register and remove them, users read those in their scope;
each commune chooses what fills a relay that fails."""

from __future__ import annotations

from fastapi import APIRouter, Response

from audio_library.row_id import RowId
from controller.deps import CurrentUser, ServicesDep, SessionDep, require_commune
from controller.streams.workflow import add_source, fill_public, readable_sources, remove_source, set_fill
from devices.registry import get_commune
from schedules.stream_source import RelayFillPublic, StreamSourceCreate, StreamSourcePublic, source_public

router = APIRouter(tags=["streams"])


@router.get("/streams")
def list_streams(session: SessionDep, user: CurrentUser) -> list[StreamSourcePublic]:
    """National sources, and those of the provinces in the user's scope."""
    return [source_public(source) for source in readable_sources(session, user)]


@router.post("/streams", status_code=201)
def create_stream(
    data: StreamSourceCreate, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> StreamSourcePublic:
    """Register a source (admin): the URL is listened to first; unreachable or not audio: 422, nothing stored."""
    return source_public(add_source(session, services, user, data))


@router.delete("/streams/{source_id}", status_code=204)
def delete_stream(source_id: RowId, session: SessionDep, user: CurrentUser) -> Response:
    """Remove a source (admin); refused (409) while a program relays it."""
    remove_source(session, user, source_id)
    return Response(status_code=204)


@router.get("/communes/{commune_code}/relay-fill")
def get_relay_fill(commune_code: str, session: SessionDep, user: CurrentUser) -> RelayFillPublic:
    """What the commune's clusters air when a relay fails: silence, or a stock message."""
    commune = get_commune(session, commune_code)
    require_commune(session, user, commune)
    return fill_public(session, commune)


@router.put("/communes/{commune_code}/relay-fill")
def put_relay_fill(
    commune_code: str, data: RelayFillPublic, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> RelayFillPublic:
    """Choose the fill (the commune's officer, admin); the playlist is published again with it."""
    commune = set_fill(session, user, commune_code, data)
    services.publish(session, commune)
    return fill_public(session, commune)
