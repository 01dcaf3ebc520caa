"""Audiobook series ("sách nói") on the public site: a series shows only its public chapters, in order.

A chapter is listed when its bulletin is public in the series' place by the catalogue's one rule (a
commune's series: public in that commune; a province's: public anywhere in the province). A series with
no public chapter does not exist for the public (`PublicNotFound`), so its id tells nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, or_, select

from devices.registry import Commune, Province
from public_site.catalogue import PublicBulletin, PublicPlace, public_among
from public_site.errors import PublicNotFound
from schedules.bulletin import Bulletin
from schedules.series import AudiobookSeries, chapter_ids

# Series listed on one commune or province page: more than any commune makes, few enough to stay light.
MAX_LISTED = 30


@dataclass(frozen=True)
class PublicSeries:
    public_id: str
    title: str
    description: str
    owner: str
    chapters: list[PublicBulletin]


def _place(session: Session, series: AudiobookSeries) -> tuple[PublicPlace, str]:
    if series.commune_id is not None:
        commune = session.get(Commune, series.commune_id)
        assert commune is not None
        return PublicPlace(commune.name, commune, ""), commune.name
    province = session.get(Province, series.province_id)
    name = f"{province.name} (toàn tỉnh)" if province else ""
    return PublicPlace(name, None, name), name


def _public(session: Session, series: AudiobookSeries) -> PublicSeries:
    place, owner = _place(session, series)
    ordered = chapter_ids(session, series)
    if series.province_id is not None:  # airing anywhere counts, but only for the province's own bulletins
        owned = select(Bulletin.id).where(col(Bulletin.id).in_(ordered), Bulletin.province_id == series.province_id)
        ordered = [b for b in ordered if b in set(session.exec(owned).all())]
    public = public_among(session, place, ordered)
    return PublicSeries(
        public_id=series.public_id,
        title=series.title,
        description=series.description,
        owner=owner,
        chapters=[public[b] for b in ordered if b in public],
    )


def find_series(session: Session, public_id: str) -> PublicSeries:
    """One series with its public chapters in order; PublicNotFound if unknown or none is public."""
    if not public_id.isascii() or not public_id.isalnum() or len(public_id) > 16:
        raise PublicNotFound(f"bad series id {public_id[:20]!r}")
    series = session.exec(select(AudiobookSeries).where(AudiobookSeries.public_id == public_id)).first()
    if series is None:
        raise PublicNotFound(f"no series {public_id!r}")
    found = _public(session, series)
    if not found.chapters:
        raise PublicNotFound(f"series {public_id!r} has no public chapter")
    return found


def series_in(session: Session, place: PublicPlace) -> list[PublicSeries]:
    """The series listed on a place's page (those with a public chapter): the commune's and its province's,
    or on the site's page every series."""
    query = select(AudiobookSeries).order_by(col(AudiobookSeries.id).desc())
    if place.commune is not None:
        query = query.where(
            or_(
                col(AudiobookSeries.commune_id) == place.commune.id,
                col(AudiobookSeries.province_id) == place.commune.province_id,
            )
        )
    listed = []
    for series in session.exec(query.limit(MAX_LISTED * 4)):
        found = _public(session, series)
        if found.chapters:
            listed.append(found)
        if len(listed) == MAX_LISTED:
            break
    return listed
