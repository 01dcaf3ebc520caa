"""A commune's intro and outro chimes, played around every spoken bulletin of that commune."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Request

from audio_library import BroadcastAudio, produce_broadcast, save_broadcast
from controller import audit
from controller.accounts import Role, User
from controller.deps import CurrentUser, ServicesDep, SessionDep, require_commune, require_role
from controller.services import Services
from controller.uploads import RECORDING_FORMATS, UPLOAD_OPENAPI, UPLOAD_RESPONSES, read_upload
from devices.registry import CommunePublic, get_commune

router = APIRouter(tags=["registry"])

Position = Literal["intro", "outro"]


def _check(services: Services, user: User, commune_code: str) -> None:
    with services.sessions() as session:
        require_commune(session, user, get_commune(session, commune_code))


def _store(
    services: Services, user: User, commune_code: str, position: Position, audio: BroadcastAudio
) -> CommunePublic:
    with services.sessions() as session:
        commune = get_commune(session, commune_code)
        require_commune(session, user, commune)
        asset = save_broadcast(session, services.store, audio, source="chime")
        setattr(commune, f"{position}_chime_sha256", asset.sha256)
        audit.record(session, user, "chime.set", f"commune:{commune.code}", f"{position} {asset.sha256}")
        session.commit()
        return CommunePublic.model_validate(commune)


@router.put("/communes/{commune_code}/chimes/{position}", openapi_extra=UPLOAD_OPENAPI, responses=UPLOAD_RESPONSES)
async def upload_chime(
    commune_code: str, position: Position, request: Request, user: CurrentUser, services: ServicesDep
) -> CommunePublic:
    """Set the chime (MP3, WAV, M4A or OGG as the raw body); it is loudness-normalised like speech.

    Bulletins approved afterwards carry it; audio already approved keeps what it had.
    """
    require_role(user, Role.OFFICER, Role.ADMIN)
    await asyncio.to_thread(_check, services, user, commune_code)
    data = await read_upload(request, services.settings.audio.upload_max_bytes)
    processed = await asyncio.to_thread(
        produce_broadcast, data, services.settings.audio, allowed_formats=RECORDING_FORMATS
    )
    return await asyncio.to_thread(_store, services, user, commune_code, position, processed)


@router.delete("/communes/{commune_code}/chimes/{position}")
def remove_chime(commune_code: str, position: Position, session: SessionDep, user: CurrentUser) -> CommunePublic:
    require_role(user, Role.OFFICER, Role.ADMIN)
    commune = get_commune(session, commune_code)
    require_commune(session, user, commune)
    setattr(commune, f"{position}_chime_sha256", None)
    audit.record(session, user, "chime.remove", f"commune:{commune.code}", position)
    session.commit()
    return CommunePublic.model_validate(commune)
