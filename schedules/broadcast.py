"""Broadcasts: one approved bulletin airing on one commune at one moment."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String
from sqlmodel import Field, Session, SQLModel, col, select

from audio_library import AudioAsset
from audio_library.row_id import RowId
from audio_library.timestamps import UtcDateTime, utc_now
from devices.protocol import Priority
from devices.registry import Commune
from schedules.bulletin import Bulletin, BulletinStatus
from schedules.errors import NotApproved, NotInValidity, PlaylistConflict, StartInPast
from schedules.playlist import PlaylistEntry
from schedules.program import InterruptPolicy
from schedules.quiet_hours import QuietHours


class BroadcastBase(SQLModel):
    starts_at: datetime = Field(sa_type=UtcDateTime, index=True)
    # What happens to it when an emergency interrupts it; None: restart (a bulletin is heard whole).
    on_interrupt: InterruptPolicy | None = Field(default=None, sa_type=String(8))


class Broadcast(BroadcastBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    bulletin_id: int = Field(foreign_key="bulletin.id", index=True)
    commune_id: int = Field(foreign_key="commune.id", index=True)
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class BroadcastCreate(BroadcastBase):
    bulletin_id: RowId
    commune_code: str


class BroadcastPublic(BroadcastBase):
    id: int
    bulletin_id: int
    commune_id: int
    created_by: int
    created_at: datetime
    cancelled_at: datetime | None


def item_id(broadcast: Broadcast) -> str:
    return f"b{broadcast.id}"


def commune_entries(session: Session, commune: Commune, since: datetime) -> list[PlaylistEntry]:
    """Every live broadcast of the commune starting after `since`, with what the compiler needs.

    Approval is read here, at compile time, so a bulletin that lost its approval drops out.
    """
    rows = session.exec(
        select(Broadcast, Bulletin, AudioAsset)
        .join(Bulletin, col(Bulletin.id) == col(Broadcast.bulletin_id))
        .join(AudioAsset, col(AudioAsset.sha256) == col(Bulletin.audio_sha256))
        .where(
            Broadcast.commune_id == commune.id,
            col(Broadcast.cancelled_at).is_(None),
            col(Broadcast.starts_at) >= since,
        )
    ).all()
    return [
        PlaylistEntry(
            item_id=item_id(broadcast),
            title=bulletin.title,
            priority=_priority(bulletin),
            approved=bulletin.status == BulletinStatus.APPROVED and _valid_at(bulletin, broadcast.starts_at),
            asset_sha256=asset.sha256,
            codec=asset.codec,
            duration_ms=asset.duration_ms,
            starts_at=broadcast.starts_at,
        )
        for broadcast, bulletin, asset in rows
    ]


def _priority(bulletin: Bulletin) -> Priority:
    return (
        "emergency" if bulletin.priority == "emergency" else "priority" if bulletin.priority == "priority" else "normal"
    )


def _valid_at(bulletin: Bulletin, moment: datetime) -> bool:
    if bulletin.valid_from is not None and moment < bulletin.valid_from:
        return False
    return bulletin.valid_until is None or moment < bulletin.valid_until


def schedule_broadcast(
    session: Session,
    bulletin: Bulletin,
    commune: Commune,
    starts_at: datetime,
    *,
    created_by: int,
    now: datetime,
    lookback: timedelta,
    quiet: QuietHours | None = None,
    on_interrupt: InterruptPolicy | None = None,
) -> Broadcast:
    """Add an airing; refuse unapproved content, the past, quiet hours (unless an emergency bulletin),
    and overlaps with the commune's other airings.

    `lookback` bounds how far back an earlier, still-playing item is searched for (the longest item).
    """
    if bulletin.status != BulletinStatus.APPROVED or bulletin.audio_sha256 is None:
        raise NotApproved(f"bulletin {bulletin.id} is {bulletin.status}")
    if starts_at <= now:
        raise StartInPast(f"{starts_at.isoformat()} is not after {now.isoformat()}")
    if not _valid_at(bulletin, starts_at):
        raise NotInValidity(f"bulletin {bulletin.id} is not valid at {starts_at.isoformat()}")
    asset = session.get(AudioAsset, bulletin.audio_sha256)
    assert asset is not None and bulletin.id is not None and commune.id is not None
    if quiet is not None:
        quiet.check_airing(starts_at, asset.duration_ms, _priority(bulletin))
    new = PlaylistEntry(
        item_id="new",
        title=bulletin.title,
        priority="normal",
        approved=True,
        asset_sha256=asset.sha256,
        codec=asset.codec,
        duration_ms=asset.duration_ms,
        starts_at=starts_at,
    )
    for other in commune_entries(session, commune, since=starts_at - lookback):
        if other.approved and other.starts_at < new.ends_at and new.starts_at < other.ends_at:
            raise PlaylistConflict(
                f"overlaps item {other.item_id} ({other.title!r}) "
                f"{other.starts_at.isoformat()}-{other.ends_at.isoformat()}"
            )
    broadcast = Broadcast(
        bulletin_id=bulletin.id,
        commune_id=commune.id,
        starts_at=starts_at,
        created_by=created_by,
        on_interrupt=on_interrupt,
    )
    session.add(broadcast)
    session.flush()
    return broadcast
