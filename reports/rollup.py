"""Daily roll-ups of proof of play, kept by the sealer in the transaction that seals the plays.

Reports over months read these instead of millions of plays: `play_day` counts plays and airtime per
commune, airing day (Vietnam time), sound, kind of item and outcome; `cluster_day` reports per cluster,
day, kind and outcome; `unplayed_item` the planned items a cluster reported failed or interrupted and never
played whole; `sound_reach` remembers, per sound and
cluster, the first and last time the cluster played it (the reach of a province bulletin). Flagged reports
are not proof of play and are never rolled up. A play is rolled up exactly once: with its place in the
as-run chain, in the same transaction (`reports.ledger.seal_plays`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import UniqueConstraint, func
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, Session, SQLModel, col, delete, select

from audio_library.timestamps import UtcDateTime
from devices.proof_of_play import PlayRecord

COMMAND, EMERGENCY, ITEM = "command", "emergency", "item"
# A live broadcast from the console (`live-{session}`, protocol 1.6): airtime, never planned.
LIVE = "live"
# Classes of plays no schedule planned: counted as airtime, never as planned items aired or missed.
UNPLANNED = (COMMAND, LIVE)


class PlayDay(SQLModel, table=True):
    __tablename__ = "play_day"
    __table_args__ = (UniqueConstraint("commune_code", "day", "asset_sha256", "item_class", "outcome"),)

    id: int | None = Field(default=None, primary_key=True)
    commune_code: str = Field(max_length=64)
    day: date = Field(index=True)
    asset_sha256: str = Field(max_length=64)
    item_class: str = Field(max_length=12, description="item (scheduled), emergency or command (play_now)")
    outcome: str = Field(max_length=16)
    plays: int
    seconds: float


class RelayDay(SQLModel, table=True):
    """Relays of external streams per commune, airing day and stream (`asset_sha256`: the sha256 of the
    source's URL, `devices.protocol.stream_asset_sha256`): what no `play_day` row says, how long the stream was
    actually on air (the reports' `relayed_ms`) and how often it dropped."""

    __tablename__ = "relay_day"
    __table_args__ = (UniqueConstraint("commune_code", "day", "asset_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    commune_code: str = Field(max_length=64)
    day: date = Field(index=True)
    asset_sha256: str = Field(max_length=64)
    slots: int = Field(description="Relay reports with any of the stream on air (relayed_ms > 0).")
    relayed_ms: int
    interruptions: int


class ClusterDay(SQLModel, table=True):
    """Reports per cluster, airing day, kind of item and outcome: failures per cluster, and what a cluster
    reported on a day it was never up (it plays offline and reports when back)."""

    __tablename__ = "cluster_day"
    __table_args__ = (UniqueConstraint("device_id", "day", "item_class", "outcome"),)

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="device.id")
    day: date = Field(index=True)
    item_class: str = Field(max_length=12)
    outcome: str = Field(max_length=16)
    plays: int


class UnplayedItem(SQLModel, table=True):
    """A planned cluster-item reported failed or interrupted and not (yet) reported played whole: why planned
    items never aired, without reading the plays. A played report of the same item removes it."""

    __tablename__ = "unplayed_item"
    __table_args__ = (UniqueConstraint("device_id", "item_id", "scheduled_start"),)

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="device.id")
    item_id: str = Field(max_length=64)
    scheduled_start: datetime = Field(sa_type=UtcDateTime)
    commune_code: str = Field(max_length=64)
    day: date = Field(index=True, description="The scheduled start's day, in Vietnam time.")
    failed: bool = Field(description="Some report of it failed (a failure outranks an interruption).")


class SoundReach(SQLModel, table=True):
    __tablename__ = "sound_reach"
    __table_args__ = (UniqueConstraint("asset_sha256", "device_id"),)

    id: int | None = Field(default=None, primary_key=True)
    asset_sha256: str = Field(max_length=64)
    device_id: int = Field(foreign_key="device.id", index=True)
    first_at: datetime = Field(sa_type=UtcDateTime)
    last_at: datetime = Field(sa_type=UtcDateTime)
    plays: int


def item_class(item_id: str) -> str:
    """What kind of item a play was: a command's (`cmd-...`), an emergency's (`e<order>`), a live broadcast's
    (`live-...`), or scheduled."""
    if item_id.startswith("cmd-"):
        return COMMAND
    if item_id.startswith("live-"):
        return LIVE
    if item_id.startswith("e") and item_id[1:].isdigit():
        return EMERGENCY
    return ITEM


def _insert(session: Session, model: type[SQLModel]) -> Any:
    """An INSERT that can say ON CONFLICT DO UPDATE, in the session's database's own words."""
    if session.get_bind().dialect.name == "postgresql":
        return postgres_insert(model)
    return sqlite_insert(model)


def roll_up(session: Session, plays: Iterable[tuple[PlayRecord, date]], zone: ZoneInfo) -> None:
    """Add the plays (each with its airing day) to the roll-ups; flushes nothing else, the caller commits."""
    plays = list(plays)
    _track_unplayed(session, [play for play, _ in plays], zone)
    days: dict[tuple[str, date, str, str, str], list[float]] = {}
    clusters: dict[tuple[int, date, str, str], int] = {}
    reach: dict[tuple[str, int], list[Any]] = {}
    relays: dict[tuple[str, date, str], list[int]] = {}
    for play, day in plays:
        if play.flag_reason is not None:
            continue
        if play.relayed_ms is not None and item_class(play.item_id) == ITEM:  # a live broadcast's is not a relay
            relayed = relays.setdefault((play.commune_code, day, play.asset_sha256), [0, 0, 0])
            relayed[0] += play.relayed_ms > 0
            relayed[1] += play.relayed_ms
            relayed[2] += len(play.interruptions or [])
        key = (play.commune_code, day, play.asset_sha256, item_class(play.item_id), play.outcome)
        counts = days.setdefault(key, [0, 0.0])
        counts[0] += 1
        counts[1] += (play.ended_at - play.started_at).total_seconds()
        cluster_key = (play.device_id, day, key[3], play.outcome)
        clusters[cluster_key] = clusters.get(cluster_key, 0) + 1
        if play.outcome == "played":
            seen = reach.setdefault((play.asset_sha256, play.device_id), [play.started_at, play.started_at, 0])
            seen[0], seen[1], seen[2] = min(seen[0], play.started_at), max(seen[1], play.started_at), seen[2] + 1
    if days:
        insert = _insert(session, PlayDay)
        statement = insert.values(
            [
                {
                    "commune_code": commune,
                    "day": day,
                    "asset_sha256": sha,
                    "item_class": kind,
                    "outcome": outcome,
                    "plays": int(counts[0]),
                    "seconds": round(counts[1], 3),
                }
                for (commune, day, sha, kind, outcome), counts in sorted(days.items())
            ]
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["commune_code", "day", "asset_sha256", "item_class", "outcome"],
                set_={
                    "plays": PlayDay.plays + statement.excluded.plays,
                    "seconds": PlayDay.seconds + statement.excluded.seconds,
                },
            )
        )
    if relays:
        insert = _insert(session, RelayDay)
        statement = insert.values(
            [
                {
                    "commune_code": commune,
                    "day": day,
                    "asset_sha256": sha,
                    "slots": slots,
                    "relayed_ms": relayed_ms,
                    "interruptions": interruptions,
                }
                for (commune, day, sha), (slots, relayed_ms, interruptions) in sorted(relays.items())
            ]
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["commune_code", "day", "asset_sha256"],
                set_={
                    "slots": RelayDay.slots + statement.excluded.slots,
                    "relayed_ms": RelayDay.relayed_ms + statement.excluded.relayed_ms,
                    "interruptions": RelayDay.interruptions + statement.excluded.interruptions,
                },
            )
        )
    if clusters:
        insert = _insert(session, ClusterDay)
        statement = insert.values(
            [
                {"device_id": device, "day": day, "item_class": kind, "outcome": outcome, "plays": count}
                for (device, day, kind, outcome), count in sorted(clusters.items())
            ]
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["device_id", "day", "item_class", "outcome"],
                set_={"plays": ClusterDay.plays + statement.excluded.plays},
            )
        )
    if reach:
        insert = _insert(session, SoundReach)
        statement = insert.values(
            [
                {"asset_sha256": sha, "device_id": device, "first_at": first, "last_at": last, "plays": count}
                for (sha, device), (first, last, count) in sorted(reach.items())
            ]
        )
        least, greatest = (
            (func.least, func.greatest) if session.get_bind().dialect.name == "postgresql" else (func.min, func.max)
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["asset_sha256", "device_id"],
                set_={
                    "first_at": least(SoundReach.first_at, statement.excluded.first_at),
                    "last_at": greatest(SoundReach.last_at, statement.excluded.last_at),
                    "plays": SoundReach.plays + statement.excluded.plays,
                },
            )
        )


def _track_unplayed(session: Session, plays: list[PlayRecord], zone: ZoneInfo) -> None:
    """Keep `unplayed_item` up to date with the planned items (not commands) among the plays."""
    planned = [p for p in plays if p.flag_reason is None and item_class(p.item_id) not in UNPLANNED]
    played = {(p.device_id, p.item_id, p.scheduled_start) for p in planned if p.outcome == "played"}
    for device_id, item_id, scheduled_start in played:
        session.execute(
            delete(UnplayedItem).where(
                col(UnplayedItem.device_id) == device_id,
                col(UnplayedItem.item_id) == item_id,
                col(UnplayedItem.scheduled_start) == scheduled_start,
            )
        )
    unplayed: dict[tuple[int, str, datetime], PlayRecord] = {}
    failed: set[tuple[int, str, datetime]] = set()
    for play in planned:
        key = (play.device_id, play.item_id, play.scheduled_start)
        if play.outcome == "played" or key in played:
            continue
        unplayed.setdefault(key, play)
        if play.outcome == "failed":
            failed.add(key)
    for key, play in unplayed.items():
        device_id, item_id, scheduled_start = key
        # Played whole in an earlier batch: not unplayed (one lookup through ix_play_record_device_start).
        if (
            session.exec(
                select(PlayRecord.id)
                .where(
                    PlayRecord.device_id == device_id,
                    PlayRecord.scheduled_start == scheduled_start,
                    PlayRecord.item_id == item_id,
                    PlayRecord.outcome == "played",
                    col(PlayRecord.flag_reason).is_(None),
                )
                .limit(1)
            ).first()
            is not None
        ):
            continue
        statement = _insert(session, UnplayedItem).values(
            device_id=device_id,
            item_id=item_id,
            scheduled_start=scheduled_start,
            commune_code=play.commune_code,
            day=scheduled_start.astimezone(zone).date(),
            failed=key in failed,
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["device_id", "item_id", "scheduled_start"],
                set_={"failed": UnplayedItem.failed | statement.excluded.failed},
            )
        )
