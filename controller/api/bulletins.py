"""Bulletins: write, submit, approve or reject. Approval renders the speech the nodes will play.

The steps themselves live in `controller.bulletin_workflow`, shared with the web console.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, BackgroundTasks, Request
from pydantic import BaseModel, Field
from sqlmodel import col, select

from audio_library.row_id import RowId
from controller import audit
from controller.accounts import Role
from controller.api.speech import SpeechPreview, preview_of
from controller.bulletin_scope import bulletin_filter
from controller.bulletin_workflow import (
    approve_bulletin,
    attach_processed_recording,
    check_recording_target,
    create_bulletin,
    load_bulletin,
    preview_bulletin,
    preview_reading_issues,
    process_recording,
    reject_bulletin,
    speak_ahead,
    submit_bulletin,
    update_bulletin,
)
from controller.deps import CurrentUser, ServicesDep, SessionDep, require_role
from controller.errors import error_responses
from controller.uploads import UPLOAD_OPENAPI, UPLOAD_RESPONSES, read_upload
from schedules import Bulletin, BulletinCreate, BulletinPublic, BulletinUpdate, detach_recording

router = APIRouter(prefix="/bulletins", tags=["bulletins"])


class Rejection(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


@router.post("", status_code=201)
def add_bulletin(data: BulletinCreate, session: SessionDep, user: CurrentUser, services: ServicesDep) -> BulletinPublic:
    return BulletinPublic.model_validate(create_bulletin(session, services, user, data))


@router.get("")
def list_bulletins(session: SessionDep, user: CurrentUser, status: str | None = None) -> list[BulletinPublic]:
    query = select(Bulletin).order_by(col(Bulletin.id).desc()).limit(500)
    readable = bulletin_filter(session, user)
    if readable is not None:
        query = query.where(readable)
    if status is not None:
        query = query.where(Bulletin.status == status)
    return [BulletinPublic.model_validate(b) for b in session.exec(query)]


@router.get("/{bulletin_id}")
def get_bulletin(bulletin_id: RowId, session: SessionDep, user: CurrentUser) -> BulletinPublic:
    return BulletinPublic.model_validate(load_bulletin(session, user, bulletin_id, to_change=False))


@router.patch("/{bulletin_id}")
def update_route(
    bulletin_id: RowId, data: BulletinUpdate, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> BulletinPublic:
    """Change a bulletin. An approved one goes back for approval (pending) and stops airing until then."""
    bulletin, _ = update_bulletin(session, services, user, bulletin_id, data)
    return BulletinPublic.model_validate(bulletin)


@router.post("/{bulletin_id}/submit")
def submit_route(
    bulletin_id: RowId, session: SessionDep, user: CurrentUser, services: ServicesDep, background: BackgroundTasks
) -> BulletinPublic:
    """Send the bulletin for approval; its speech is made at once in the background, so that approval
    finds it ready."""
    submitted = BulletinPublic.model_validate(submit_bulletin(session, user, bulletin_id))
    background.add_task(speak_ahead, services, bulletin_id)
    return submitted


# Approval and previews speak the text: the engine may fail (502) or be unreachable (503).
@router.post("/{bulletin_id}/approve", responses=error_responses(502))
def approve_route(bulletin_id: RowId, session: SessionDep, user: CurrentUser, services: ServicesDep) -> BulletinPublic:
    """Approve and render the audio; the bulletin is approved only once its audio exists.

    A plain (threaded) route: the database work must not block the event loop, so the async speech
    engine is driven from this worker thread. An uploaded recording is approved as it is.
    """
    return BulletinPublic.model_validate(approve_bulletin(session, services, user, bulletin_id))


@router.post("/{bulletin_id}/reject")
def reject_route(bulletin_id: RowId, data: Rejection, session: SessionDep, user: CurrentUser) -> BulletinPublic:
    return BulletinPublic.model_validate(reject_bulletin(session, user, bulletin_id, data.reason))


@router.post("/{bulletin_id}/preview", responses=error_responses(502))
def preview_route(bulletin_id: RowId, session: SessionDep, user: CurrentUser, services: ServicesDep) -> SpeechPreview:
    """The audio approval would air (title and body, the commune's lexicon and chimes), or the recording."""
    rendered, mp3_sha256 = preview_bulletin(session, services, user, bulletin_id)
    issues = preview_reading_issues(session, services, user, bulletin_id)
    return preview_of(rendered, mp3_sha256, user, services, issues)


@router.put("/{bulletin_id}/recording", openapi_extra=UPLOAD_OPENAPI, responses=UPLOAD_RESPONSES)
async def upload_recording(
    bulletin_id: RowId, request: Request, user: CurrentUser, services: ServicesDep
) -> BulletinPublic:
    """Air an uploaded recording (MP3, WAV, M4A or OGG; raw body) instead of synthesised speech.

    It goes through the same chain as speech: silence trimmed, high-pass, loudness to the target.
    """
    await asyncio.to_thread(check_recording_target, services, user, bulletin_id)
    audio = await read_upload(request, services.settings.audio.upload_max_bytes)
    processed = await asyncio.to_thread(process_recording, services, audio)
    bulletin = await asyncio.to_thread(attach_processed_recording, services, user, bulletin_id, processed)
    return BulletinPublic.model_validate(bulletin)


@router.delete("/{bulletin_id}/recording")
def remove_recording(bulletin_id: RowId, session: SessionDep, user: CurrentUser) -> BulletinPublic:
    """Go back to speech synthesised from the text."""
    require_role(user, Role.OFFICER, Role.ADMIN)
    bulletin = load_bulletin(session, user, bulletin_id, to_change=True)
    detach_recording(bulletin)
    audit.record(session, user, "bulletin.recording_removed", f"bulletin:{bulletin.id} «{bulletin.title[:120]}»")
    session.commit()
    return BulletinPublic.model_validate(bulletin)
