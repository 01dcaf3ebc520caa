"""The as-run log's hash chain: every proof of play, sealed in the order it is taken, per commune and day.

Each commune's plays of one day (its airing day in Vietnam time) form a chain: link n is
SHA-256(link n-1 ‖ the play's line), starting from SHA-256 of the commune and the day. The day's head
(its last link) is printed in each report that covers the day (and can be sent to the province), so a
report can be checked against the record later: change, drop or reorder one play and every link after
it, and the head, change (`verify_day`). A play reported late joins the end of its day's chain, and the
head of that day moves on: a report generated again names the new head.

Lines are netstrings (`<length>:<bytes>,`) of the play's fields, so no field can run into the next:
report id, cluster, commune, item, audio sent, audio played, scheduled start, start, end (UTC, ms),
outcome, flag. See docs/reports.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import UniqueConstraint, func
from sqlmodel import Field, Session, SQLModel, col, select

from audio_library.timestamps import UtcDateTime, utc_now
from devices.proof_of_play import PlayRecord
from devices.registry import Device
from reports.rollup import roll_up

CHAIN_LABEL = "loaxa-as-run/1"

# Plays are sealed in id order. A play whose id is this far below the newest sealed one is not looked for
# again: it would belong to a transaction held open while this many later plays were taken (half a day
# at 10,000 clusters), which the controller never does. It bounds the search for unsealed plays.
SEAL_WINDOW_IDS = 100_000


class PlayLink(SQLModel, table=True):
    """One play's place in its commune's chain for its day."""

    __tablename__ = "play_ledger"
    __table_args__ = (UniqueConstraint("commune_code", "day", "seq", name="uq_play_ledger_day_seq"),)

    play_id: int = Field(primary_key=True, foreign_key="play_record.id")
    commune_code: str = Field(max_length=64)
    day: date
    seq: int = Field(description="1 for the day's first play sealed.")
    link_sha256: str = Field(max_length=64)
    sealed_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class ChainHead(SQLModel, table=True):
    """The last link of a commune's chain for a day, kept by the sealer with the links: what a report
    prints for each day, without reading the day's plays."""

    __tablename__ = "play_ledger_head"
    __table_args__ = (UniqueConstraint("commune_code", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    commune_code: str = Field(max_length=64)
    day: date = Field(index=True)
    seq: int
    link_sha256: str = Field(max_length=64)


@dataclass(frozen=True)
class DayHead:
    commune_code: str
    day: date
    plays: int
    head_sha256: str


@dataclass(frozen=True)
class DayCheck:
    """A day's chain recomputed from the stored plays: `broken_at` is the first seq whose link differs."""

    commune_code: str
    day: date
    plays: int
    head_sha256: str
    broken_at: int | None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def _netstrings(values: Iterable[str]) -> bytes:
    return b"".join(f"{len(v.encode())}:".encode() + v.encode() + b"," for v in values)


def _utc_ms(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def play_line(play: PlayRecord, cluster_code: str) -> bytes:
    """The bytes of one play in the chain (see the module doc)."""
    return _netstrings(
        [
            play.report_id,
            cluster_code,
            play.commune_code,
            play.item_id,
            play.asset_sha256,
            play.played_sha256 or "",
            _utc_ms(play.scheduled_start),
            _utc_ms(play.started_at),
            _utc_ms(play.ended_at),
            play.outcome,
            play.flag_reason or "",
        ]
    )


def genesis(commune_code: str, day: date) -> str:
    return hashlib.sha256(_netstrings([CHAIN_LABEL, commune_code, day.isoformat()])).hexdigest()


def next_link(previous_sha256: str, line: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(previous_sha256) + line).hexdigest()


def airing_day(play: PlayRecord, zone: ZoneInfo) -> date:
    return play.started_at.astimezone(zone).date()


def seal_plays(session: Session, zone: ZoneInfo, *, limit: int) -> int:
    """Seal up to `limit` plays not yet in the chain, oldest first, and add them to the daily roll-ups
    (`reports.rollup`); flushes, the caller commits.

    Two controllers sealing at once collide on (commune, day, seq): one commit fails and its plays are
    sealed on the next round.
    """
    newest = session.exec(select(func.max(PlayLink.play_id))).one() or 0
    rows = session.exec(
        select(PlayRecord, Device.code)
        .join(Device, col(Device.id) == col(PlayRecord.device_id))
        .outerjoin(PlayLink, col(PlayLink.play_id) == col(PlayRecord.id))
        .where(col(PlayLink.play_id).is_(None), col(PlayRecord.id) > newest - SEAL_WINDOW_IDS)
        .order_by(col(PlayRecord.id))
        .limit(limit)
    ).all()
    heads: dict[tuple[str, date], tuple[int, str]] = {}
    sealed: list[tuple[PlayRecord, date]] = []
    for play, cluster_code in rows:
        assert play.id is not None
        day = airing_day(play, zone)
        key = (play.commune_code, day)
        if key not in heads:
            heads[key] = _head(session, play.commune_code, day)
        seq, link = heads[key]
        seq, link = seq + 1, next_link(link, play_line(play, cluster_code))
        session.add(PlayLink(play_id=play.id, commune_code=play.commune_code, day=day, seq=seq, link_sha256=link))
        heads[key] = (seq, link)
        sealed.append((play, day))
    for (commune_code, day), (seq, link) in heads.items():
        head = session.exec(
            select(ChainHead).where(ChainHead.commune_code == commune_code, ChainHead.day == day)
        ).first() or ChainHead(commune_code=commune_code, day=day, seq=0, link_sha256="")
        if seq > head.seq:
            head.seq, head.link_sha256 = seq, link
            session.add(head)
    roll_up(session, sealed, zone)
    session.flush()
    return len(rows)


def _head(session: Session, commune_code: str, day: date) -> tuple[int, str]:
    last = session.exec(
        select(PlayLink.seq, PlayLink.link_sha256)
        .where(PlayLink.commune_code == commune_code, PlayLink.day == day)
        .order_by(col(PlayLink.seq).desc())
        .limit(1)
    ).first()
    return (last[0], last[1]) if last is not None else (0, genesis(commune_code, day))


def day_heads(session: Session, commune_codes: list[str], first: date, last: date) -> list[DayHead]:
    """Each day's head, for the communes and days (inclusive) that have plays, by commune then day."""
    # Columns, not ORM objects: a province's year is 36,500 heads.
    rows = session.exec(
        select(col(ChainHead.commune_code), col(ChainHead.day), col(ChainHead.seq), col(ChainHead.link_sha256))
        .where(col(ChainHead.commune_code).in_(commune_codes), col(ChainHead.day) >= first, col(ChainHead.day) <= last)
        .order_by(col(ChainHead.commune_code), col(ChainHead.day))
    ).all()
    return [DayHead(code, day, seq, link) for code, day, seq, link in rows]


def verify_day(session: Session, commune_code: str, day: date) -> DayCheck:
    """Recompute the day's chain from the plays as stored now, and compare it with the sealed links."""
    rows = session.exec(
        select(PlayLink, PlayRecord, Device.code)
        .join(PlayRecord, col(PlayRecord.id) == col(PlayLink.play_id))
        .join(Device, col(Device.id) == col(PlayRecord.device_id))
        .where(PlayLink.commune_code == commune_code, PlayLink.day == day)
        .order_by(col(PlayLink.seq))
    ).all()
    link, broken_at = genesis(commune_code, day), None
    for expected_seq, (sealed, play, cluster_code) in enumerate(rows, start=1):
        link = next_link(link, play_line(play, cluster_code))
        if broken_at is None and (sealed.seq != expected_seq or sealed.link_sha256 != link):
            broken_at = expected_seq
    return DayCheck(commune_code, day, len(rows), link, broken_at)
