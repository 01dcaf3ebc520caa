"""The stock library page (`/ban-tin-mau`): everyone sees what every node keeps pinned; admins change it.

The same rules as the API (`controller.api.stock`): an admin writes a draft, voices it (or uploads a
recording, which Khmer needs), and another admin approves it into the library.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import anyio.from_thread
from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlmodel import col, select

from audio_library import AudioAsset, AudioTooLarge, InvalidAudio, produce_broadcast
from controller import audit
from controller.accounts import Role
from controller.api.stock import StockDraft
from controller.deps import ServicesDep, SessionDep, require_role
from controller.errors import InvalidInput
from controller.stock import approve_message, make_audio, store_recording, withdraw_message
from controller.uploads import RECORDING_FORMATS
from controller.web.audio import audio_url
from controller.web.forms import messages_vi
from controller.web.session import PageUser
from controller.web.templating import render
from schedules.stock_message import STOCK_KEYS, StockLanguage, find_message, list_messages, save_draft

router = APIRouter()

PAGE = "/ban-tin-mau"

# Notices after a redirect, chosen by a code in the URL (never text from the URL itself).
NOTICES = {
    "da-luu": "Đã lưu bản nháp. Hãy tạo giọng đọc hoặc tải lên bản ghi âm, rồi nhờ một quản trị viên khác duyệt.",
    "da-doc": "Đã tạo âm thanh cho bản nháp.",
    "da-tai-len": "Đã tải lên bản ghi âm cho bản nháp.",
    "da-duyet": "Đã duyệt vào thư viện. Mọi cụm loa đang tải sẵn bản tin này.",
    "da-go": "Đã gỡ bản tin khỏi thư viện. Các cụm loa sẽ xoá bản sao của mình.",
}


@router.get(PAGE)
def stock_page(request: Request, session: SessionDep, services: ServicesDep, user: PageUser) -> HTMLResponse:
    languages = {row.code: row for row in session.exec(select(StockLanguage).order_by(col(StockLanguage.code)))}
    messages = list_messages(session)
    shas = {sha for m in messages for sha in (m.audio_sha256, m.approved_sha256) if sha}
    codecs = {a.sha256: a.codec for a in session.exec(select(AudioAsset).where(col(AudioAsset.sha256).in_(shas)))}
    listen = {sha: audio_url(services, user, sha, codec) for sha, codec in codecs.items() if user.role == Role.ADMIN}
    code = request.query_params.get("tb", "")
    context = {
        "messages": messages,
        "languages": languages,
        "keys": STOCK_KEYS,
        "listen": listen,
        "codecs": codecs,
        "flashes": [NOTICES[code]] if code in NOTICES else [],
        "is_admin": user.role == Role.ADMIN,
    }
    return render(request, "stock.html", context, user=user)


@router.post(f"{PAGE}/luu")
def save_page(
    session: SessionDep,
    user: PageUser,
    key: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
) -> RedirectResponse:
    require_role(user, Role.ADMIN)
    try:
        draft = StockDraft(title=title.strip(), text=text.strip())
    except ValidationError as exc:
        raise InvalidInput("invalid stock draft", message_vi=" ".join(messages_vi(exc))) from exc
    save_draft(session, key, language, title=draft.title, text=draft.text, by=user.username)
    audit.record(session, user, "stock.draft", f"stock:{key[:32]}/{language[:8]}", draft.title[:120])
    session.commit()
    return RedirectResponse(f"{PAGE}?tb=da-luu", status_code=303)


@router.post(PAGE + "/{key}/{language}/doc")
def speak_page(key: str, language: str, services: ServicesDep, user: PageUser) -> RedirectResponse:
    require_role(user, Role.ADMIN)
    make_audio(services, user, key, language, lambda request: anyio.from_thread.run(services.speech.render, request))
    return RedirectResponse(f"{PAGE}?tb=da-doc", status_code=303)


@router.post(PAGE + "/{key}/{language}/ghi-am")
async def upload_page(
    key: str, language: str, services: ServicesDep, user: PageUser, recording: UploadFile | None = None
) -> RedirectResponse:
    """The same chain as `PUT /api/v1/stock/{key}/{language}/recording`, from a file field."""
    require_role(user, Role.ADMIN)

    def check() -> None:
        with services.sessions() as session:
            find_message(session, key, language)

    await asyncio.to_thread(check)
    limit = services.settings.audio.upload_max_bytes
    audio = await recording.read(limit + 1) if recording is not None else b""
    if len(audio) > limit:
        raise AudioTooLarge(f"upload exceeds {limit} bytes")
    if not audio:
        raise InvalidAudio("empty upload", message_vi="Chưa chọn tệp ghi âm nào.")
    processed = await asyncio.to_thread(
        produce_broadcast, audio, services.settings.audio, allowed_formats=RECORDING_FORMATS
    )
    await asyncio.to_thread(store_recording, services, user, key, language, processed)
    return RedirectResponse(f"{PAGE}?tb=da-tai-len", status_code=303)


@router.post(PAGE + "/{key}/{language}/duyet")
def approve_page(
    key: str, language: str, session: SessionDep, services: ServicesDep, user: PageUser
) -> RedirectResponse:
    require_role(user, Role.ADMIN)
    approve_message(session, services, user, key, language)
    return RedirectResponse(f"{PAGE}?tb=da-duyet", status_code=303)


@router.post(PAGE + "/{key}/{language}/xoa")
def withdraw_page(
    key: str, language: str, session: SessionDep, services: ServicesDep, user: PageUser
) -> RedirectResponse:
    require_role(user, Role.ADMIN)
    withdraw_message(session, services, user, key, language)
    return RedirectResponse(f"{PAGE}?tb=da-go", status_code=303)
