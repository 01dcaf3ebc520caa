"""Officer pages: the bulletins of the user's communes, writing one, previewing, recording, submitting."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, col, select

from audio_library import AudioAsset, AudioTooLarge, InvalidAudio
from audio_library.row_id import RowId
from controller.accounts import Role, User, commune_scope
from controller.bulletin_scope import bulletin_filter, may_change_bulletin, owner_label
from controller.bulletin_workflow import (
    attach_processed_recording,
    check_recording_target,
    create_bulletin,
    load_bulletin,
    preview_bulletin,
    preview_reading_issues,
    process_recording,
    speak_ahead,
    submit_bulletin,
    update_bulletin,
)
from controller.deps import ServicesDep, SessionDep, require_role
from controller.services import Services
from controller.web.audio import audio_url
from controller.web.forms import lines, messages_vi, optional_datetime, to_local_input
from controller.web.notices import notices
from controller.web.session import PageUser
from controller.web.templating import render
from devices.registry import Commune, Province
from schedules import (
    Bulletin,
    BulletinCreate,
    BulletinStatus,
    BulletinUpdate,
    InvalidValidityWindow,
    LegalField,
    UnknownLegalField,
    legal_fields,
)
from schedules.translation import BulletinTranslation, languages, translation_language, translations_of

router = APIRouter()


def communes_of(session: Session, user: User) -> list[Commune]:
    query = select(Commune).order_by(col(Commune.name))
    scope = commune_scope(session, user)
    if scope is not None:
        query = query.where(col(Commune.id).in_(scope))
    return list(session.exec(query))


# The "where it airs" choice for a whole province, beside the communes: "tinh:<province code>".
PROVINCE_CHOICE = "tinh:"


def provinces_of(session: Session, user: User) -> list[Province]:
    """The provinces the user may write a province-wide bulletin for: their own (admins: all)."""
    if user.role == Role.ADMIN:
        return list(session.exec(select(Province).order_by(col(Province.name))))
    if user.province_id is None:
        return []
    own = session.get(Province, user.province_id)
    return [own] if own is not None else []


def _cleaned(form: dict[str, str]) -> dict[str, object]:
    """The bulletin form as typed, in the shape BulletinCreate and BulletinUpdate validate."""
    owner: dict[str, object] = {}
    if "commune_code" in form:
        choice = form["commune_code"]
        if choice.startswith(PROVINCE_CHOICE):
            owner = {"commune_code": None, "province_code": choice.removeprefix(PROVINCE_CHOICE)}
    # No field chosen: a new bulletin's is found from its topic, an edited one keeps its own.
    field = {"legal_field": form["legal_field"]} if form.get("legal_field") else {}
    return {
        **{name: value for name, value in form.items() if name != "legal_field"},
        **owner,
        **field,
        "title": form["title"].strip(),
        "body": form["body"].strip(),
        "topic": form["topic"].strip(),
        "legal_refs": lines(form["legal_refs"]),
        "public": form.get("public", "1") != "0",
        "valid_from": optional_datetime(form["valid_from"]),
        "valid_until": optional_datetime(form["valid_until"]),
    }


@router.get("/ban-tin")
def bulletin_list(request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    query = select(Bulletin).order_by(col(Bulletin.id).desc()).limit(200)
    readable = bulletin_filter(session, user)
    if readable is not None:
        query = query.where(readable)
    rows = [(bulletin, owner_label(session, bulletin)) for bulletin in session.exec(query).all()]
    return render(request, "bulletins.html", {"rows": rows, "flashes": notices(request)}, user=user)


def _blank_form() -> dict[str, Any]:
    return {
        "commune_code": "",
        "title": "",
        "body": "",
        "topic": "",
        "legal_field": "",
        "legal_refs": "",
        "priority": "normal",
        "dialect": "north",
        "language": "vi",
        "public": "1",
        "valid_from": "",
        "valid_until": "",
    }


@router.get("/ban-tin/moi")
def new_bulletin_page(request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    require_role(user, Role.OFFICER, Role.ADMIN)
    communes = communes_of(session, user)
    form = _blank_form()
    if len(communes) == 1:
        form["commune_code"] = communes[0].code
    context = {
        "form": form,
        "communes": communes,
        "provinces": provinces_of(session, user),
        "legal_fields": legal_fields(session, active_only=True),
        "errors": [],
    }
    return render(request, "bulletin_new.html", context, user=user)


@router.post("/ban-tin/moi")
def new_bulletin(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    user: PageUser,
    commune_code: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    topic: Annotated[str, Form()] = "",
    legal_field: Annotated[str, Form()] = "",
    legal_refs: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = "normal",
    dialect: Annotated[str, Form()] = "north",
    language: Annotated[str, Form()] = "vi",
    public: Annotated[str, Form()] = "1",
    valid_from: Annotated[str, Form()] = "",
    valid_until: Annotated[str, Form()] = "",
) -> Response:
    require_role(user, Role.OFFICER, Role.ADMIN)
    form = {
        "commune_code": commune_code,
        "title": title,
        "body": body,
        "topic": topic,
        "legal_field": legal_field,
        "legal_refs": legal_refs,
        "priority": priority,
        "dialect": dialect,
        "language": language,
        "public": public,
        "valid_from": valid_from,
        "valid_until": valid_until,
    }
    try:
        data = BulletinCreate.model_validate(_cleaned(form))
    except ValidationError as exc:
        errors = messages_vi(exc)
        if not commune_code.strip():  # the owner check is the form's, not a field's: say which field
            errors = ["Nơi phát: chưa chọn xã hoặc tỉnh.", *(e for e in errors if not e.startswith(":"))]
        # Nothing is lost: the form comes back with what was typed and what to fix.
        context = {
            "form": form,
            "communes": communes_of(session, user),
            "provinces": provinces_of(session, user),
            "legal_fields": legal_fields(session, active_only=True),
            "errors": errors,
        }
        return render(request, "bulletin_new.html", context, user=user, status_code=422)
    try:
        bulletin = create_bulletin(session, services, user, data)
    except (UnknownLegalField, InvalidValidityWindow) as exc:  # the form comes back as typed, with why
        session.rollback()
        context = {
            "form": form,
            "communes": communes_of(session, user),
            "provinces": provinces_of(session, user),
            "legal_fields": legal_fields(session, active_only=True),
            "errors": [exc.message_vi],
        }
        return render(request, "bulletin_new.html", context, user=user, status_code=422)
    return RedirectResponse(f"/ban-tin/{bulletin.id}?tb=da-tao", status_code=303)


def _edit_context(session: Session, bulletin: Bulletin, form: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    warning = None
    if bulletin.status == BulletinStatus.APPROVED:
        warning = (
            "Bản tin này đã được duyệt. Sau khi sửa, bản tin phải được duyệt lại và tạm ngừng phát cho đến lúc đó."
        )
    return {
        "form": form,
        "communes": [],
        # The bulletin keeps a field retired since; no other retired one can be chosen.
        "legal_fields": [f for f in legal_fields(session) if f.active or f.code == bulletin.legal_field],
        "errors": errors,
        "heading": "Sửa bản tin",
        "form_action": f"/ban-tin/{bulletin.id}/sua",
        "submit_label": "Lưu thay đổi",
        "warning": warning,
    }


@router.get("/ban-tin/{bulletin_id}/sua")
def edit_bulletin_page(
    bulletin_id: RowId, request: Request, session: SessionDep, services: ServicesDep, user: PageUser
) -> HTMLResponse:
    require_role(user, Role.OFFICER, Role.ADMIN)
    bulletin = load_bulletin(session, user, bulletin_id, to_change=True)
    zone = services.settings.scheduler.timezone
    form = {
        "title": bulletin.title,
        "body": bulletin.body,
        "topic": bulletin.topic,
        "legal_field": bulletin.legal_field,
        "legal_refs": "\n".join(bulletin.legal_refs),
        "priority": bulletin.priority,
        "dialect": bulletin.dialect,
        "language": bulletin.language,
        "public": "1" if bulletin.public else "0",
        "valid_from": to_local_input(bulletin.valid_from, zone),
        "valid_until": to_local_input(bulletin.valid_until, zone),
    }
    return render(request, "bulletin_new.html", _edit_context(session, bulletin, form, []), user=user)


@router.post("/ban-tin/{bulletin_id}/sua")
def edit_bulletin(
    bulletin_id: RowId,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    user: PageUser,
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    topic: Annotated[str, Form()] = "",
    legal_field: Annotated[str, Form()] = "",
    legal_refs: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = "normal",
    dialect: Annotated[str, Form()] = "north",
    language: Annotated[str, Form()] = "vi",
    public: Annotated[str, Form()] = "1",
    valid_from: Annotated[str, Form()] = "",
    valid_until: Annotated[str, Form()] = "",
) -> Response:
    require_role(user, Role.OFFICER, Role.ADMIN)
    bulletin = load_bulletin(session, user, bulletin_id, to_change=True)
    form = {
        "title": title,
        "body": body,
        "topic": topic,
        "legal_field": legal_field,
        "legal_refs": legal_refs,
        "priority": priority,
        "dialect": dialect,
        "language": language,
        "public": public,
        "valid_from": valid_from,
        "valid_until": valid_until,
    }
    try:
        data = BulletinUpdate.model_validate(_cleaned(form))
    except ValidationError as exc:
        return render(
            request,
            "bulletin_new.html",
            _edit_context(session, bulletin, form, messages_vi(exc)),
            user=user,
            status_code=422,
        )
    try:
        _, lost_approval = update_bulletin(session, services, user, bulletin_id, data)
    except (UnknownLegalField, InvalidValidityWindow) as exc:
        session.rollback()
        context = _edit_context(session, bulletin, form, [exc.message_vi])
        return render(request, "bulletin_new.html", context, user=user, status_code=422)
    return RedirectResponse(f"/ban-tin/{bulletin_id}?tb={'duyet-lai' if lost_approval else 'da-sua'}", status_code=303)


def _audio_links(session: Session, services: Services, user: User, sha256: str | None) -> dict[str, str] | None:
    if sha256 is None:
        return None
    asset = session.get(AudioAsset, sha256)
    if asset is None:
        return None
    links = {"src": audio_url(services, user, asset.sha256, asset.codec), "type": "audio/ogg"}
    if asset.mp3_sha256:
        links["mp3"] = audio_url(services, user, asset.mp3_sha256, "mp3")
    return links


@router.get("/ban-tin/{bulletin_id}")
def bulletin_page(
    bulletin_id: RowId, request: Request, session: SessionDep, services: ServicesDep, user: PageUser
) -> HTMLResponse:
    context = bulletin_context(request, session, services, user, bulletin_id)
    return render(request, "bulletin.html", context, user=user)


def bulletin_context(
    request: Request, session: Session, services: Services, user: User, bulletin_id: int
) -> dict[str, Any]:
    """What the bulletin's page shows: the bulletin, its versions in other languages, what the user may do."""
    bulletin = load_bulletin(session, user, bulletin_id, to_change=False)
    author = session.get(User, bulletin.author_id)
    # A province's bulletin airs in any of the province's communes the user answers for: they choose one.
    airs_in = (
        [c for c in communes_of(session, user) if c.province_id == bulletin.province_id]
        if bulletin.province_id is not None
        else [c for c in [session.get(Commune, bulletin.commune_id)] if c is not None]
    )
    may_change = may_change_bulletin(session, user, bulletin)
    context = {
        "bulletin": bulletin,
        "owner": owner_label(session, bulletin),
        "province_wide": bulletin.province_id is not None,
        "communes": airs_in,
        "author": author,
        "legal_field_name": getattr(session.get(LegalField, bulletin.legal_field), "name", bulletin.legal_field),
        "audio": _audio_links(session, services, user, bulletin.audio_sha256),
        "flashes": notices(request),
        "may_change": may_change,
        "may_revise": may_change and user.role in (Role.OFFICER, Role.ADMIN),
        "may_edit": may_change and user.role in (Role.OFFICER, Role.ADMIN) and bulletin.status in ("draft", "rejected"),
        "may_review": may_change
        and user.role == Role.APPROVER
        and bulletin.status == "pending"
        and bulletin.author_id != user.id,
        "own_bulletin": bulletin.author_id == user.id,
        "may_schedule": user.role in (Role.OFFICER, Role.ADMIN) and bulletin.status == "approved" and bool(airs_in),
    }
    assert bulletin.id is not None
    versions = translations_of(session, bulletin.id)
    context["versions"] = [
        (version, translation_language(session, version.language), audio_links(session, services, user, version))
        for version in versions
    ]
    context["new_languages"] = [
        x for x in languages(session) if x.code != bulletin.language and x.code not in {v.language for v in versions}
    ]
    context["version_form"] = {"language": "", "title": "", "body": ""}
    context["version_errors"] = []
    return context


def audio_links(
    session: Session, services: Services, user: User, version: BulletinTranslation
) -> dict[str, str] | None:
    """A version's player: its approved audio once approved, else its recording (to check before submitting)."""
    return _audio_links(session, services, user, version.approved_sha256 or version.audio_sha256)


@router.post("/ban-tin/{bulletin_id}/xem-truoc")
def preview(
    bulletin_id: RowId, request: Request, session: SessionDep, services: ServicesDep, user: PageUser
) -> HTMLResponse:
    """An htmx fragment: how the text is read, and the audio as it would air."""
    rendered, mp3_sha256 = preview_bulletin(session, services, user, bulletin_id)
    links = {"src": audio_url(services, user, rendered.asset_sha256, rendered.codec), "type": "audio/ogg"}
    if mp3_sha256:
        links["mp3"] = audio_url(services, user, mp3_sha256, "mp3")
    issues = preview_reading_issues(session, services, user, bulletin_id)
    context = {"rendered": rendered, "audio": links, "reading_issues": issues}
    return render(request, "_preview.html", context, user=user)


@router.post("/ban-tin/{bulletin_id}/gui-duyet")
def submit_page(
    bulletin_id: RowId, session: SessionDep, services: ServicesDep, user: PageUser, background: BackgroundTasks
) -> RedirectResponse:
    submit_bulletin(session, user, bulletin_id)
    background.add_task(speak_ahead, services, bulletin_id)
    return RedirectResponse(f"/ban-tin/{bulletin_id}?tb=da-gui", status_code=303)


@router.post("/ban-tin/{bulletin_id}/ghi-am")
async def upload_recording_page(
    bulletin_id: RowId, services: ServicesDep, user: PageUser, recording: UploadFile | None = None
) -> RedirectResponse:
    """The same chain as `PUT /api/v1/bulletins/{id}/recording`, from a file field."""
    await asyncio.to_thread(check_recording_target, services, user, bulletin_id)
    limit = services.settings.audio.upload_max_bytes
    audio = await recording.read(limit + 1) if recording is not None else b""
    if len(audio) > limit:
        raise AudioTooLarge(f"upload exceeds {limit} bytes")
    if not audio:
        raise InvalidAudio("empty upload", message_vi="Chưa chọn tệp ghi âm nào.")
    processed = await asyncio.to_thread(process_recording, services, audio)
    await asyncio.to_thread(attach_processed_recording, services, user, bulletin_id, processed)
    return RedirectResponse(f"/ban-tin/{bulletin_id}?tb=da-tai-len", status_code=303)
