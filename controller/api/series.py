"""Audiobook series ("sách nói"): make, rename and order them; the chapters are ordinary bulletins.

The rules live in `controller.series_workflow` (scope) and `schedules.series` (the chapters).
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from audio_library.row_id import RowId
from controller.deps import CurrentUser, SessionDep
from controller.series_workflow import (
    add_series_chapter,
    create_series,
    load_series,
    remove_series_chapter,
    reorder_series,
    series_of,
    update_series,
)
from schedules.series import MAX_CHAPTERS, SeriesCreate, SeriesPublic, SeriesUpdate, as_public

router = APIRouter(prefix="/series", tags=["series"])


class ChapterAdd(BaseModel):
    bulletin_id: RowId


class ChapterOrder(BaseModel):
    bulletin_ids: list[RowId] = Field(max_length=MAX_CHAPTERS, description="Every chapter of the series, once each.")


@router.post("", status_code=201)
def add_series(data: SeriesCreate, session: SessionDep, user: CurrentUser) -> SeriesPublic:
    return as_public(session, create_series(session, user, data))


@router.get("")
def list_series(session: SessionDep, user: CurrentUser) -> list[SeriesPublic]:
    return [as_public(session, series) for series in series_of(session, user)]


@router.get("/{series_id}")
def get_series(series_id: RowId, session: SessionDep, user: CurrentUser) -> SeriesPublic:
    return as_public(session, load_series(session, user, series_id))


@router.patch("/{series_id}")
def rename_series(series_id: RowId, data: SeriesUpdate, session: SessionDep, user: CurrentUser) -> SeriesPublic:
    return as_public(session, update_series(session, user, series_id, data))


@router.post("/{series_id}/chapters")
def append_chapter(series_id: RowId, data: ChapterAdd, session: SessionDep, user: CurrentUser) -> SeriesPublic:
    """Add a bulletin as the last chapter. Its approval is untouched: it airs and is public only once approved."""
    return as_public(session, add_series_chapter(session, user, series_id, data.bulletin_id))


@router.put("/{series_id}/chapters")
def order_chapters(series_id: RowId, data: ChapterOrder, session: SessionDep, user: CurrentUser) -> SeriesPublic:
    return as_public(session, reorder_series(session, user, series_id, data.bulletin_ids))


@router.delete("/{series_id}/chapters/{bulletin_id}")
def drop_chapter(series_id: RowId, bulletin_id: RowId, session: SessionDep, user: CurrentUser) -> SeriesPublic:
    """Take the bulletin out of the series (the bulletin itself stays)."""
    return as_public(session, remove_series_chapter(session, user, series_id, bulletin_id))
