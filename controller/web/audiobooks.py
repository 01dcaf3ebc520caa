"""Console pages for audiobook series ("sách nói"): make a series, rename it, add, order and remove chapters.

The same steps as the API (`controller.series_workflow`). Chapters are picked among the bulletins the
officer may read that belong where the series does; each keeps its own approval and status.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlmodel import col, select

from audio_library.row_id import RowId
from controller.accounts import Role, commune_scope
from controller.bulletin_scope import bulletin_filter
from controller.deps import SessionDep, require_role
from controller.errors import InvalidInput
from controller.series_workflow import (
    add_series_chapter,
    create_series,
    load_series,
    remove_series_chapter,
    reorder_series,
    series_of,
    update_series,
)
from controller.web.forms import messages_vi
from controller.web.session import PageUser
from controller.web.templating import render
from devices.registry import Commune, Province
from schedules import Bulletin
from schedules.series import SeriesCreate, SeriesUpdate, chapter_ids, may_hold

router = APIRouter()

_NOTICES = {
    "da-tao": "Đã tạo bộ sách nói. Hãy thêm các chương (mỗi chương là một bản tin).",
    "da-sua": "Đã lưu thay đổi.",
    "da-them": "Đã thêm chương. Chương chỉ lên trang nghe lại khi bản tin được duyệt, công khai và lên lịch phát.",
    "da-bo": "Đã bỏ chương khỏi bộ sách nói (bản tin vẫn còn).",
}


def _owner(session: SessionDep, commune_id: int | None, province_id: int | None) -> str:
    if commune_id is not None:
        commune = session.get(Commune, commune_id)
        return commune.name if commune else ""
    province = session.get(Province, province_id)
    return f"{province.name} (toàn tỉnh)" if province else ""


@router.get("/sach-noi")
def series_list(request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    require_role(user, Role.OFFICER, Role.ADMIN)
    scope = commune_scope(session, user)
    communes = session.exec(select(Commune).order_by(col(Commune.name))).all()
    places = [(f"xa:{c.code}", c.name) for c in communes if scope is None or c.id in scope]
    provinces = session.exec(select(Province).order_by(col(Province.name))).all()
    places += [
        (f"tinh:{p.code}", f"{p.name} (toàn tỉnh)")
        for p in provinces
        if user.role == Role.ADMIN or p.id == user.province_id
    ]
    rows = [
        (series, _owner(session, series.commune_id, series.province_id), len(chapter_ids(session, series)))
        for series in series_of(session, user)
    ]
    return render(request, "series_list.html", {"rows": rows, "places": places}, user=user)


@router.post("/sach-noi")
def series_create(
    session: SessionDep,
    user: PageUser,
    title: Annotated[str, Form(max_length=10_000)] = "",
    description: Annotated[str, Form(max_length=100_000)] = "",
    place: Annotated[str, Form(max_length=200)] = "",
) -> RedirectResponse:
    kind, _, code = place.partition(":")
    owner = {"province_code": code} if kind == "tinh" else {"commune_code": code}
    try:
        data = SeriesCreate(title=title.strip(), description=description.strip(), **owner)
    except ValidationError as exc:
        raise InvalidInput("bad series form", message_vi=" ".join(messages_vi(exc))) from exc
    series = create_series(session, user, data)
    return RedirectResponse(f"/sach-noi/{series.id}?tb=da-tao", status_code=303)


@router.get("/sach-noi/{series_id}")
def series_page(series_id: RowId, request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    require_role(user, Role.OFFICER, Role.ADMIN)
    series = load_series(session, user, series_id)
    ordered = chapter_ids(session, series)
    by_id = {b.id: b for b in session.exec(select(Bulletin).where(col(Bulletin.id).in_(ordered)))}
    chapters = [by_id[b] for b in ordered if b in by_id]
    query = select(Bulletin).order_by(col(Bulletin.id).desc()).limit(500)
    readable = bulletin_filter(session, user)
    if readable is not None:
        query = query.where(readable)
    candidates = [b for b in session.exec(query) if b.id not in by_id and may_hold(session, series, b)]
    code = request.query_params.get("tb", "")
    context = {
        "series": series,
        "owner": _owner(session, series.commune_id, series.province_id),
        "chapters": chapters,
        "candidates": candidates,
        "flashes": [_NOTICES[code]] if code in _NOTICES else [],
    }
    return render(request, "series.html", context, user=user)


@router.post("/sach-noi/{series_id}/sua")
def series_rename(
    series_id: RowId,
    session: SessionDep,
    user: PageUser,
    title: Annotated[str, Form(max_length=10_000)] = "",
    description: Annotated[str, Form(max_length=100_000)] = "",
) -> RedirectResponse:
    try:
        data = SeriesUpdate(title=title.strip(), description=description.strip())
    except ValidationError as exc:
        raise InvalidInput("bad series form", message_vi=" ".join(messages_vi(exc))) from exc
    update_series(session, user, series_id, data)
    return RedirectResponse(f"/sach-noi/{series_id}?tb=da-sua", status_code=303)


@router.post("/sach-noi/{series_id}/them")
def series_add(
    series_id: RowId, session: SessionDep, user: PageUser, bulletin_id: Annotated[str, Form(max_length=20)] = ""
) -> RedirectResponse:
    if not bulletin_id.isascii() or not bulletin_id.isdigit() or not 0 < int(bulletin_id) < 2**31:
        raise InvalidInput(f"bad bulletin id {bulletin_id!r}", message_vi="Hãy chọn một bản tin để thêm làm chương.")
    add_series_chapter(session, user, series_id, int(bulletin_id))
    return RedirectResponse(f"/sach-noi/{series_id}?tb=da-them", status_code=303)


@router.post("/sach-noi/{series_id}/chuong/{bulletin_id}/{move}")
def series_move(
    series_id: RowId, bulletin_id: RowId, move: str, session: SessionDep, user: PageUser
) -> RedirectResponse:
    """`len` (up), `xuong` (down) or `bo` (take out of the series)."""
    if move == "bo":
        remove_series_chapter(session, user, series_id, bulletin_id)
        return RedirectResponse(f"/sach-noi/{series_id}?tb=da-bo", status_code=303)
    if move not in ("len", "xuong"):
        raise InvalidInput(f"unknown move {move[:20]!r}", message_vi="Thao tác không hợp lệ.")
    ordered = chapter_ids(session, load_series(session, user, series_id))
    if bulletin_id in ordered:
        at = ordered.index(bulletin_id)
        to = at - 1 if move == "len" else at + 1
        if 0 <= to < len(ordered):
            ordered[at], ordered[to] = ordered[to], ordered[at]
    reorder_series(session, user, series_id, ordered)
    return RedirectResponse(f"/sach-noi/{series_id}?tb=da-sua#chuong-{bulletin_id}", status_code=303)
