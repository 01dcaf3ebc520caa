"""What villagers may hear again, and where: the one rule for what is public, and the queries over it.

A bulletin is public when it is approved, has its audio, is marked "công khai", and has aired or is
scheduled to air in the place asked about (a one-off broadcast not cancelled, an emergency that started,
or a program with at least one rule). Everything the public site and the feeds show goes through
`_public` here; an id that fails it is "not found", whatever the reason, so ids reveal nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, or_, union_all
from sqlalchemy.sql import Subquery
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from audio_library import AudioAsset
from devices.registry import Commune, Province
from public_site.errors import InvalidPublicQuery, PageOutOfRange, PublicNotFound
from schedules.broadcast import Broadcast
from schedules.bulletin import Bulletin, BulletinStatus
from schedules.emergency_order import EmergencyOrder
from schedules.legal_field import LegalField, legal_fields
from schedules.program_record import ProgramItemRecord, ProgramRecord, ScheduleRule
from schedules.stock_message import StockLanguage
from schedules.translation import airing_versions

# The highest page number accepted: far beyond any archive, low enough that OFFSET stays cheap to refuse.
MAX_PAGE = 10_000


@dataclass(frozen=True)
class PublicPlace:
    """Where the listener is: one commune (`commune` set), or every commune on the site."""

    name: str
    commune: Commune | None
    province_name: str

    @property
    def code(self) -> str | None:
        return self.commune.code if self.commune is not None else None


@dataclass(frozen=True)
class PublicQuery:
    """A listener's filter: a field of law, words in the title or text, a page (from 1)."""

    field: LegalField | None
    text: str
    page: int


@dataclass(frozen=True)
class PublicVersion:
    """A bulletin's version in another language that airs with it (approved with it, with audio)."""

    language: str
    language_name: str
    title: str
    body: str
    audio_sha256: str
    duration_ms: int


@dataclass(frozen=True)
class PublicBulletin:
    """What the public may know of one bulletin: nothing about who wrote or approved it.

    `versions` are its versions in other languages that air with it, in the order they air.
    """

    public_id: str
    title: str
    body: str
    field_code: str
    field_name: str
    first_airing: datetime
    owner: str
    audio_sha256: str
    duration_ms: int
    versions: tuple[PublicVersion, ...] = ()

    def version(self, language: str) -> PublicVersion:
        """The version in `language`; PublicNotFound for any other."""
        for version in self.versions:
            if version.language == language:
                return version
        raise PublicNotFound(f"public bulletin {self.public_id} has no {language[:8]!r} version")


@dataclass(frozen=True)
class PublicPage:
    items: list[PublicBulletin]
    total: int
    page: int
    pages: int


def site_place(session: Session) -> PublicPlace:
    """Every commune on the site, named after its province when it has exactly one."""
    provinces = list(session.exec(select(Province).order_by(col(Province.name)).limit(2)))
    name = provinces[0].name if len(provinces) == 1 else "Các xã"
    return PublicPlace(name=name, commune=None, province_name=name)


def commune_place(session: Session, code: str) -> PublicPlace:
    commune = session.exec(select(Commune).where(Commune.code == code[:64])).first()
    if commune is None:
        raise PublicNotFound(f"no commune {code[:64]!r}")
    province = session.get(Province, commune.province_id)
    return PublicPlace(name=commune.name, commune=commune, province_name=province.name if province else "")


def communes(session: Session) -> list[Commune]:
    """The communes listeners can choose from on the site's first page."""
    return list(session.exec(select(Commune).order_by(col(Commune.name))))


def parse_query(session: Session, field: str, text: str, page: str, *, max_chars: int) -> PublicQuery:
    """The filter as typed in the address; InvalidPublicQuery with what is wrong, in Vietnamese."""
    text = " ".join(text.split())
    if len(text) > max_chars:
        raise InvalidPublicQuery(
            f"search of {len(text)} characters",
            message_vi=f"Từ khoá tìm kiếm quá dài: tối đa {max_chars} ký tự, bạn đã nhập {len(text)} ký tự.",
        )
    chosen: LegalField | None = None
    if field:
        chosen = session.get(LegalField, field[:48])
        if chosen is None:
            raise InvalidPublicQuery(
                f"unknown legal field {field[:48]!r}",
                message_vi="Lĩnh vực đã chọn không có trong danh mục. Hãy chọn lại trong danh sách.",
            )
    number = 1
    if page:
        if not page.isascii() or not page.isdigit() or not 1 <= int(page) <= MAX_PAGE:
            raise InvalidPublicQuery(
                f"bad page {page[:20]!r}",
                message_vi=f"Số trang không hợp lệ: hãy dùng một số từ 1 đến {MAX_PAGE}.",
            )
        number = int(page)
    return PublicQuery(field=chosen, text=text, page=number)


def fields(session: Session) -> list[LegalField]:
    return legal_fields(session)


def _airings(place: PublicPlace) -> Subquery:
    """(bulletin_id, at): each time a bulletin was placed to air in the place, with when."""
    broadcasts: Select[int, datetime] = select(
        col(Broadcast.bulletin_id).label("bulletin_id"), col(Broadcast.starts_at).label("at")
    ).where(col(Broadcast.cancelled_at).is_(None))
    emergencies: Select[int, datetime] = select(
        col(EmergencyOrder.bulletin_id).label("bulletin_id"), col(EmergencyOrder.starts_at).label("at")
    ).where(
        col(EmergencyOrder.bulletin_id).is_not(None),  # a stock message is not a bulletin of the archive
        # An emergency ended before it started never aired; one ended later did.
        or_(col(EmergencyOrder.cancelled_at).is_(None), col(EmergencyOrder.cancelled_at) > EmergencyOrder.starts_at),
    )
    programs: Select[int | None, datetime] = (
        select(col(ProgramItemRecord.bulletin_id).label("bulletin_id"), col(ProgramRecord.created_at).label("at"))
        .join(ProgramRecord, col(ProgramRecord.id) == col(ProgramItemRecord.program_id))
        .where(
            col(ProgramItemRecord.bulletin_id).is_not(None),
            exists().where(col(ScheduleRule.program_id) == col(ProgramRecord.id)),
        )
    )
    if place.commune is not None:
        broadcasts = broadcasts.where(Broadcast.commune_id == place.commune.id)
        emergencies = emergencies.where(EmergencyOrder.commune_id == place.commune.id)
        programs = programs.where(ProgramRecord.commune_id == place.commune.id)
    return union_all(broadcasts, emergencies, programs).subquery("airing")


def _public(place: PublicPlace) -> tuple[Select[Bulletin, datetime, str, AudioAsset], ColumnElement[datetime]]:
    """Public bulletins of the place with their first airing there, field name and audio; and the column
    of the first airing (what "newest first" sorts by)."""
    airing = _airings(place)
    first = (
        select(airing.c.bulletin_id, func.min(airing.c.at).label("first_at"))
        .group_by(airing.c.bulletin_id)
        .subquery("first_airing")
    )
    query = (
        select(Bulletin, first.c.first_at, col(LegalField.name), AudioAsset)
        .join(first, first.c.bulletin_id == col(Bulletin.id))
        .join(LegalField, col(LegalField.code) == col(Bulletin.legal_field))
        .join(AudioAsset, col(AudioAsset.sha256) == col(Bulletin.audio_sha256))
        .where(
            Bulletin.status == BulletinStatus.APPROVED,
            col(Bulletin.public).is_(True),
            col(Bulletin.public_id).is_not(None),
        )
    )
    if place.commune is not None:
        # Scheduling already refuses another place's bulletin; this keeps the public site right even if not.
        owned: ColumnElement[bool] = or_(
            col(Bulletin.commune_id) == place.commune.id, col(Bulletin.province_id) == place.commune.province_id
        )
        query = query.where(owned)
    return query, first.c.first_at


def _item(session: Session, row: tuple[Bulletin, datetime, str, AudioAsset], owners: dict[str, str]) -> PublicBulletin:
    bulletin, first_at, field_name, asset = row
    assert bulletin.public_id is not None
    key = f"c{bulletin.commune_id}" if bulletin.commune_id is not None else f"p{bulletin.province_id}"
    if key not in owners:
        if bulletin.commune_id is not None:
            commune = session.get(Commune, bulletin.commune_id)
            owners[key] = commune.name if commune else ""
        else:
            province = session.get(Province, bulletin.province_id)
            owners[key] = f"{province.name} (toàn tỉnh)" if province else ""
    return PublicBulletin(
        public_id=bulletin.public_id,
        title=bulletin.title,
        body=bulletin.body,
        field_code=bulletin.legal_field,
        field_name=field_name,
        first_airing=first_at,
        owner=owners[key],
        audio_sha256=asset.sha256,
        duration_ms=asset.duration_ms,
        versions=_versions(session, bulletin),
    )


def _versions(session: Session, bulletin: Bulletin) -> tuple[PublicVersion, ...]:
    """The versions that air with the bulletin (`schedules.translation.airing_versions`), with their audio."""
    result = []
    for version in airing_versions(session, bulletin):
        asset = session.get(AudioAsset, version.approved_sha256) if version.approved_sha256 else None
        language = session.get(StockLanguage, version.language)
        if asset is None or language is None:
            continue
        result.append(
            PublicVersion(
                language=version.language,
                language_name=language.name_vi,
                title=version.title,
                body=version.body,
                audio_sha256=asset.sha256,
                duration_ms=asset.duration_ms,
            )
        )
    return tuple(result)


def search(session: Session, place: PublicPlace, query: PublicQuery, page_size: int) -> PublicPage:
    """A page of the place's public bulletins, newest first, that match the query."""
    base, first_at = _public(place)
    if query.field is not None:
        base = base.where(col(Bulletin.legal_field) == query.field.code)
    if query.text:
        base = base.where(
            or_(
                col(Bulletin.title).icontains(query.text, autoescape=True),
                col(Bulletin.body).icontains(query.text, autoescape=True),
            )
        )
    total = int(session.exec(select(func.count()).select_from(base.subquery())).one())
    pages = max(1, -(-total // page_size))
    if query.page > pages:
        raise PageOutOfRange(f"page {query.page} of {pages}")
    ordered = base.order_by(first_at.desc(), col(Bulletin.id).desc())
    rows = session.exec(ordered.offset((query.page - 1) * page_size).limit(page_size)).all()
    owners: dict[str, str] = {}
    return PublicPage(items=[_item(session, row, owners) for row in rows], total=total, page=query.page, pages=pages)


def newest(session: Session, place: PublicPlace, limit: int) -> list[PublicBulletin]:
    """The newest public bulletins of the place (for the feeds)."""
    query, first_at = _public(place)
    rows = session.exec(query.order_by(first_at.desc(), col(Bulletin.id).desc()).limit(limit))
    owners: dict[str, str] = {}
    return [_item(session, row, owners) for row in rows.all()]


def find(session: Session, public_id: str) -> PublicBulletin:
    """One public bulletin, anywhere on the site; PublicNotFound for anything else."""
    if not public_id.isascii() or not public_id.isalnum() or len(public_id) > 16:
        raise PublicNotFound(f"bad public id {public_id[:20]!r}")
    query, _ = _public(PublicPlace("", None, ""))
    row = session.exec(query.where(col(Bulletin.public_id) == public_id)).first()
    if row is None:
        raise PublicNotFound(f"no public bulletin {public_id!r}")
    return _item(session, row, {})


def public_among(session: Session, place: PublicPlace, bulletin_ids: list[int]) -> dict[int, PublicBulletin]:
    """Which of the given bulletins are public in the place (by bulletin id); the others are left out."""
    if not bulletin_ids:
        return {}
    query, _ = _public(place)
    rows = session.exec(query.where(col(Bulletin.id).in_(bulletin_ids))).all()
    owners: dict[str, str] = {}
    return {row[0].id: _item(session, row, owners) for row in rows if row[0].id is not None}
