"""The relay sources page (`/tiep-song`, admins): register a stream source (listened to first), remove one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, select

from audio_library.errors import LoaxaError
from audio_library.row_id import RowId
from controller.accounts import Role, User
from controller.deps import ServicesDep, SessionDep, require_role
from controller.streams.workflow import add_source, readable_sources, remove_source
from controller.web.forms import messages_vi
from controller.web.notices import notices
from controller.web.session import PageUser
from controller.web.templating import render
from devices.registry import Province
from schedules.stream_source import StreamSourceCreate

router = APIRouter(prefix="/tiep-song")

CODEC_VI = {"mp3": "MP3", "aac": "AAC", "opus": "Ogg/Opus", "vorbis": "Ogg/Vorbis"}


def _page(
    request: Request,
    session: Session,
    user: User,
    *,
    form: dict[str, str] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    provinces = {p.id: p for p in session.exec(select(Province))}
    context = {
        "sources": readable_sources(session, user),
        "provinces": provinces,
        "codecs": CODEC_VI,
        "form": form or {},
        "errors": errors or [],
        "flashes": notices(request),
    }
    return render(request, "streams.html", context, user=user, status_code=status)


@router.get("")
def streams_page(request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    require_role(user, Role.ADMIN)
    return _page(request, session, user)


@router.post("/them")
def add_stream_page(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    user: PageUser,
    name: Annotated[str, Form(max_length=200)] = "",
    url: Annotated[str, Form(max_length=600)] = "",
    province_code: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    require_role(user, Role.ADMIN)
    form = {"name": name, "url": url, "province_code": province_code}
    try:
        data = StreamSourceCreate(name=name.strip(), url=url.strip(), province_code=province_code or None)
        add_source(session, services, user, data)
    except ValidationError as exc:
        return _page(request, session, user, form=form, errors=messages_vi(exc), status=422)
    except LoaxaError as exc:
        session.rollback()
        return _page(request, session, user, form=form, errors=[exc.message_vi], status=exc.http_status)
    return RedirectResponse("/tiep-song?tb=da-them-nguon", status_code=303)


@router.post("/{source_id}/xoa")
def delete_stream_page(request: Request, source_id: RowId, session: SessionDep, user: PageUser) -> Response:
    require_role(user, Role.ADMIN)
    try:
        remove_source(session, user, source_id)
    except LoaxaError as exc:
        session.rollback()
        return _page(request, session, user, errors=[exc.message_vi], status=exc.http_status)
    return RedirectResponse("/tiep-song?tb=da-xoa-nguon", status_code=303)
