"""Officer pages: a bulletin's versions in other languages, on the bulletin's page (add, edit, record, remove).

The same steps as `/api/v1/bulletins/{id}/translations/...` (`controller.translations.workflow`). A form with
a mistake comes back on the bulletin's page as typed, with what to fix.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from audio_library import AudioTooLarge, InvalidAudio
from audio_library.row_id import RowId
from controller.bulletin_workflow import process_recording
from controller.deps import ServicesDep, SessionDep
from controller.translations.workflow import (
    attach_version_recording,
    check_version_recording_target,
    delete_version,
    detach_version_recording,
    write_version,
)
from controller.web.bulletins import bulletin_context
from controller.web.forms import messages_vi
from controller.web.session import PageUser
from controller.web.templating import render
from schedules.errors import EmptyTranslation, TranslationSameLanguage, UnknownTranslationLanguage
from schedules.translation import TranslationWrite

router = APIRouter()

# Mistakes in the form itself: it comes back as typed. Anything else (scope, state) is the error page.
_FORM_MISTAKES = (EmptyTranslation, TranslationSameLanguage, UnknownTranslationLanguage)


@router.post("/ban-tin/{bulletin_id}/ban-dich")
def save_version(
    bulletin_id: RowId,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    user: PageUser,
    language: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
) -> Response:
    """Add a version, or change one (the same form, prefilled, under each version)."""
    form = {"language": language, "title": title, "body": body}
    errors: list[str] = []
    try:
        data = TranslationWrite.model_validate({"title": title.strip(), "body": body.strip()})
    except ValidationError as exc:
        errors = messages_vi(exc)
    else:
        try:
            _, _, lost = write_version(session, services, user, bulletin_id, language, data)
        except _FORM_MISTAKES as exc:
            session.rollback()
            errors = [exc.message_vi]
        else:
            return RedirectResponse(
                f"/ban-tin/{bulletin_id}?tb={'duyet-lai-ban-dich' if lost else 'da-luu-ban-dich'}#ban-dich",
                status_code=303,
            )
    context = bulletin_context(request, session, services, user, bulletin_id)
    context["version_form"], context["version_errors"] = form, errors
    return render(request, "bulletin.html", context, user=user, status_code=422)


@router.post("/ban-tin/{bulletin_id}/ban-dich/{language}/xoa")
def remove_version(
    bulletin_id: RowId, language: str, session: SessionDep, services: ServicesDep, user: PageUser
) -> RedirectResponse:
    delete_version(session, services, user, bulletin_id, language[:8])
    return RedirectResponse(f"/ban-tin/{bulletin_id}?tb=da-xoa-ban-dich#ban-dich", status_code=303)


@router.post("/ban-tin/{bulletin_id}/ban-dich/{language}/ghi-am")
async def upload_version_recording(
    bulletin_id: RowId, language: str, services: ServicesDep, user: PageUser, recording: UploadFile | None = None
) -> RedirectResponse:
    """The same chain as `PUT /api/v1/bulletins/{id}/translations/{language}/recording`, from a file field."""
    code = language[:8]
    await asyncio.to_thread(check_version_recording_target, services, user, bulletin_id, code)
    limit = services.settings.audio.upload_max_bytes
    audio = await recording.read(limit + 1) if recording is not None else b""
    if len(audio) > limit:
        raise AudioTooLarge(f"upload exceeds {limit} bytes")
    if not audio:
        raise InvalidAudio("empty upload", message_vi="Chưa chọn tệp ghi âm nào.")
    processed = await asyncio.to_thread(process_recording, services, audio)
    await asyncio.to_thread(attach_version_recording, services, user, bulletin_id, code, processed)
    return RedirectResponse(f"/ban-tin/{bulletin_id}?tb=da-tai-len-ban-dich#ban-dich", status_code=303)


@router.post("/ban-tin/{bulletin_id}/ban-dich/{language}/bo-ghi-am")
def remove_version_recording(
    bulletin_id: RowId, language: str, session: SessionDep, services: ServicesDep, user: PageUser
) -> Response:
    detach_version_recording(session, services, user, bulletin_id, language[:8])
    return RedirectResponse(f"/ban-tin/{bulletin_id}?tb=da-bo-ghi-am-ban-dich#ban-dich", status_code=303)
