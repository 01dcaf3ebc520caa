"""Audiobook series ("sách nói"): ordered chapters, each an ordinary bulletin, e.g. a law read chapter by chapter.

A series only groups and orders bulletins: each chapter is approved, scheduled and made public like any
other bulletin, and the public site lists a chapter only when the bulletin itself is public there. A
series belongs to a commune or to a province, as bulletins do; a chapter is a bulletin of the same owner
(for a commune's series, also one of its province's bulletins, which may air in every commune of it).
Role and scope checks belong to the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import model_validator
from sqlalchemy import Text, delete
from sqlmodel import Field, Session, SQLModel, col, select

from audio_library.timestamps import UtcDateTime, utc_now
from devices.registry import Commune
from schedules.bulletin import Bulletin, new_public_id
from schedules.errors import ChapterNotInSeries, DuplicateChapter, ForeignChapter, InvalidChapterOrder

# Far beyond any law read aloud (a code of law has a few hundred articles, read a chapter at a time).
MAX_CHAPTERS = 500


class SeriesBase(SQLModel):
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=5000, sa_type=Text)


class AudiobookSeries(SeriesBase, table=True):
    __tablename__ = "audiobook_series"

    id: int | None = Field(default=None, primary_key=True)
    commune_id: int | None = Field(default=None, foreign_key="commune.id", index=True)
    province_id: int | None = Field(default=None, foreign_key="province.id", index=True)
    author_id: int = Field(foreign_key="app_user.id")
    # Random like a bulletin's public id: the public address tells nothing of the console's ids.
    public_id: str = Field(default_factory=new_public_id, max_length=16, unique=True, index=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class SeriesChapter(SQLModel, table=True):
    """One chapter: a bulletin at a position (0 first) in a series; a bulletin is in a series at most once."""

    __tablename__ = "series_chapter"

    series_id: int = Field(foreign_key="audiobook_series.id", primary_key=True)
    bulletin_id: int = Field(foreign_key="bulletin.id", primary_key=True, index=True)
    position: int


class SeriesCreate(SeriesBase):
    """A new series for one commune (`commune_code`) or for a whole province (`province_code`)."""

    commune_code: str | None = Field(default=None, max_length=64)
    province_code: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _one_owner(self) -> SeriesCreate:
        if bool(self.commune_code) == bool(self.province_code):
            raise ValueError("give exactly one of commune_code (a commune's series) or province_code (a province's)")
        return self


class SeriesUpdate(SQLModel):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=5000)


class SeriesPublic(SeriesBase):
    id: int
    public_id: str
    commune_id: int | None
    province_id: int | None
    chapter_ids: list[int] = Field(description="The bulletins of the series, in order (API ids).")


def chapter_ids(session: Session, series: AudiobookSeries) -> list[int]:
    """The series' bulletins in order."""
    query = select(SeriesChapter.bulletin_id).where(SeriesChapter.series_id == series.id)
    return list(session.exec(query.order_by(col(SeriesChapter.position))).all())


def as_public(session: Session, series: AudiobookSeries) -> SeriesPublic:
    assert series.id is not None
    return SeriesPublic.model_validate(series, update={"chapter_ids": chapter_ids(session, series)})


def may_hold(session: Session, series: AudiobookSeries, bulletin: Bulletin) -> bool:
    """Whether the bulletin belongs where the series does (see the module doc)."""
    if series.province_id is not None:
        return bulletin.province_id == series.province_id
    if bulletin.commune_id is not None:
        return bulletin.commune_id == series.commune_id
    commune = session.get(Commune, series.commune_id)
    return commune is not None and bulletin.province_id == commune.province_id


def _store(session: Session, series: AudiobookSeries, ordered: Sequence[int]) -> None:
    session.exec(delete(SeriesChapter).where(col(SeriesChapter.series_id) == series.id))
    session.flush()
    assert series.id is not None
    for position, bulletin_id in enumerate(ordered):
        session.add(SeriesChapter(series_id=series.id, bulletin_id=bulletin_id, position=position))
    series.updated_at = utc_now()
    session.add(series)
    session.flush()


def add_chapter(session: Session, series: AudiobookSeries, bulletin: Bulletin) -> None:
    """Append the bulletin as the last chapter."""
    assert bulletin.id is not None
    current = chapter_ids(session, series)
    if bulletin.id in current:
        raise DuplicateChapter(f"bulletin {bulletin.id} is already in series {series.id}")
    if len(current) >= MAX_CHAPTERS:
        raise InvalidChapterOrder(
            f"series {series.id} has {MAX_CHAPTERS} chapters",
            message_vi=f"Một bộ sách nói có tối đa {MAX_CHAPTERS} chương.",
        )
    if not may_hold(session, series, bulletin):
        raise ForeignChapter(f"bulletin {bulletin.id} does not belong where series {series.id} does")
    _store(session, series, [*current, bulletin.id])


def remove_chapter(session: Session, series: AudiobookSeries, bulletin_id: int) -> None:
    current = chapter_ids(session, series)
    if bulletin_id not in current:
        raise ChapterNotInSeries(f"bulletin {bulletin_id} is not in series {series.id}")
    _store(session, series, [b for b in current if b != bulletin_id])


def reorder(session: Session, series: AudiobookSeries, ordered: Sequence[int]) -> None:
    """Put the chapters in the given order: exactly the series' chapters, each once."""
    current = chapter_ids(session, series)
    if len(ordered) != len(set(ordered)) or set(ordered) != set(current):
        raise InvalidChapterOrder(f"order {list(ordered)[:20]} is not a permutation of {current[:20]}")
    _store(session, series, ordered)
