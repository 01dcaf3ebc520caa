"""Audiobook series in the console and the API: who may make, rename and order them (`schedules.series`).

A commune's series is the commune's officers' (and admins'); a province's is its own staff's, as for a
province's bulletins. Any bulletin the user may read can be a chapter when it belongs where the series
does; adding it changes nothing about its approval, and the public site lists it only once it is public.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, or_, select

from controller import audit
from controller.accounts import Role, User, commune_scope
from controller.bulletin_scope import owner_for, require_province
from controller.bulletin_workflow import load_bulletin
from controller.deps import require_commune, require_role
from devices.registry import Commune, Province
from schedules.errors import SeriesNotFound
from schedules.series import (
    AudiobookSeries,
    SeriesCreate,
    SeriesUpdate,
    add_chapter,
    remove_chapter,
    reorder,
)


def _target(series: AudiobookSeries) -> str:
    return f"series {series.id}"


def _require(session: Session, user: User, series: AudiobookSeries) -> None:
    if series.commune_id is not None:
        commune = session.get(Commune, series.commune_id)
        assert commune is not None
        require_commune(session, user, commune)
    else:
        province = session.get(Province, series.province_id)
        assert province is not None
        require_province(user, province)


def load_series(session: Session, user: User, series_id: int) -> AudiobookSeries:
    """The series, if the user answers for its commune or province; SeriesNotFound or OutOfScope otherwise."""
    series = session.get(AudiobookSeries, series_id)
    if series is None:
        raise SeriesNotFound(f"no series {series_id}")
    _require(session, user, series)
    return series


def series_of(session: Session, user: User) -> list[AudiobookSeries]:
    """The series the user answers for, newest first."""
    query = select(AudiobookSeries).order_by(col(AudiobookSeries.id).desc()).limit(500)
    scope = commune_scope(session, user)
    if scope is not None:
        query = query.where(
            or_(
                col(AudiobookSeries.commune_id).in_(scope),
                col(AudiobookSeries.province_id) == (user.province_id if user.province_id is not None else -1),
            )
        )
    return list(session.exec(query))


def create_series(session: Session, user: User, data: SeriesCreate) -> AudiobookSeries:
    require_role(user, Role.OFFICER, Role.ADMIN)
    owner, where = owner_for(session, user, data.province_code, data.commune_code)
    assert user.id is not None
    series = AudiobookSeries.model_validate(
        data.model_dump(exclude={"commune_code", "province_code"}), update={**owner, "author_id": user.id}
    )
    session.add(series)
    session.flush()
    audit.record(session, user, "series.create", _target(series), where)
    session.commit()
    return series


def update_series(session: Session, user: User, series_id: int, data: SeriesUpdate) -> AudiobookSeries:
    require_role(user, Role.OFFICER, Role.ADMIN)
    series = load_series(session, user, series_id)
    for name, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(series, name, value)
    session.add(series)
    audit.record(session, user, "series.update", _target(series))
    session.commit()
    return series


def add_series_chapter(session: Session, user: User, series_id: int, bulletin_id: int) -> AudiobookSeries:
    require_role(user, Role.OFFICER, Role.ADMIN)
    series = load_series(session, user, series_id)
    bulletin = load_bulletin(session, user, bulletin_id, to_change=False)
    add_chapter(session, series, bulletin)
    audit.record(session, user, "series.add_chapter", _target(series), f"bulletin {bulletin_id}")
    session.commit()
    return series


def remove_series_chapter(session: Session, user: User, series_id: int, bulletin_id: int) -> AudiobookSeries:
    require_role(user, Role.OFFICER, Role.ADMIN)
    series = load_series(session, user, series_id)
    remove_chapter(session, series, bulletin_id)
    audit.record(session, user, "series.remove_chapter", _target(series), f"bulletin {bulletin_id}")
    session.commit()
    return series


def reorder_series(session: Session, user: User, series_id: int, bulletin_ids: Sequence[int]) -> AudiobookSeries:
    require_role(user, Role.OFFICER, Role.ADMIN)
    series = load_series(session, user, series_id)
    reorder(session, series, bulletin_ids)
    audit.record(session, user, "series.reorder", _target(series))
    session.commit()
    return series
