"""A bulletin's versions in other languages: `/bulletins/{id}/translations/{language}`.

Scoped exactly like the bulletin (who may read it reads its versions; who may edit it edits them). Adding
or editing a version of an approved bulletin sends it back for approval; the approver approves the
bulletin with every version (`POST /bulletins/{id}/approve`). The languages are `GET /languages`.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from audio_library.row_id import RowId
from controller.bulletin_workflow import process_recording
from controller.deps import CurrentUser, ServicesDep, SessionDep
from controller.translations.workflow import (
    attach_version_recording,
    check_version_recording_target,
    delete_version,
    detach_version_recording,
    get_version,
    list_versions,
    write_version,
)
from controller.uploads import UPLOAD_OPENAPI, UPLOAD_RESPONSES, read_upload
from schedules.translation import TranslationPublic, TranslationWrite, languages

router = APIRouter(tags=["bulletins"])

LanguagePath = Annotated[str, Path(max_length=64, description="A language of GET /languages (km...).")]


class LanguagePublic(BaseModel):
    code: str
    name_vi: str
    offline_speech: bool = Field(description="An offline engine reads it; otherwise edge-tts or a recording.")


@router.get("/languages")
def language_list(session: SessionDep, user: CurrentUser) -> list[LanguagePublic]:
    """The languages bulletins (and the stock library) have versions in: data, kept in the database."""
    return [LanguagePublic(code=x.code, name_vi=x.name_vi, offline_speech=x.offline_speech) for x in languages(session)]


@router.get("/bulletins/{bulletin_id}/translations")
def translation_list(bulletin_id: RowId, session: SessionDep, user: CurrentUser) -> list[TranslationPublic]:
    """The bulletin's versions in other languages, in the order they air after its own."""
    return list_versions(session, user, bulletin_id)


@router.get("/bulletins/{bulletin_id}/translations/{language}")
def translation_get(
    bulletin_id: RowId, language: LanguagePath, session: SessionDep, user: CurrentUser
) -> TranslationPublic:
    return get_version(session, user, bulletin_id, language)


@router.put("/bulletins/{bulletin_id}/translations/{language}", responses={201: {"model": TranslationPublic}})
def translation_put(
    bulletin_id: RowId,
    language: LanguagePath,
    data: TranslationWrite,
    response: Response,
    session: SessionDep,
    user: CurrentUser,
    services: ServicesDep,
) -> TranslationPublic:
    """Add (201) or change (200) the version in `language`: its title and text (the text may stay empty
    when a recording is uploaded next). An approved bulletin goes back for approval with all its versions."""
    version, created, _ = write_version(session, services, user, bulletin_id, language, data)
    if created:
        response.status_code = 201
    return version


@router.delete("/bulletins/{bulletin_id}/translations/{language}", status_code=204)
def translation_delete(
    bulletin_id: RowId, language: LanguagePath, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> None:
    """Remove a version; the bulletin keeps its approval and the version no longer airs."""
    delete_version(session, services, user, bulletin_id, language)


@router.put(
    "/bulletins/{bulletin_id}/translations/{language}/recording",
    openapi_extra=UPLOAD_OPENAPI,
    responses=UPLOAD_RESPONSES,
)
async def translation_recording(
    bulletin_id: RowId, language: LanguagePath, request: Request, user: CurrentUser, services: ServicesDep
) -> TranslationPublic:
    """The version read by a person (MP3, WAV, M4A or OGG; raw body), through the bulletins' audio chain.

    An approved bulletin goes back for approval with it.
    """
    await asyncio.to_thread(check_version_recording_target, services, user, bulletin_id, language)
    audio = await read_upload(request, services.settings.audio.upload_max_bytes)
    processed = await asyncio.to_thread(process_recording, services, audio)
    return await asyncio.to_thread(attach_version_recording, services, user, bulletin_id, language, processed)


@router.delete("/bulletins/{bulletin_id}/translations/{language}/recording")
def translation_recording_delete(
    bulletin_id: RowId, language: LanguagePath, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> TranslationPublic:
    """Back to speech from the version's text (refused for a version without text)."""
    return detach_version_recording(session, services, user, bulletin_id, language)
