"""What was planned to air, per commune and day, rolled up once the day is over.

`published_item` holds every item each commune's playlists ever carried, with the clusters it was sent to,
but it is pruned after `published_item_retention_days` and a half-year of it is hundreds of thousands of
rows. Reports count planned cluster-items from `planned_day` instead: per commune, day (Vietnam time) and
cluster, the number of distinct items (id and start) planned; `cluster_code` is empty for items sent to
every cluster of the commune (multiplied by the clusters the commune had in the report's period).

An item's clusters are the union over all the rows of its id and start (published with two sounds, or
widened by a later version); sent to every cluster once, it is every cluster's.

Days are rolled up in order, each once, by the sealer (`reports.sealer`) when they are `SETTLE_DAYS` old;
`rollup_mark` remembers the last day rolled up. Days after it are counted from `published_item` itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import UniqueConstraint, update
from sqlalchemy import select as sa_select
from sqlmodel import Field, Session, SQLModel, col

from schedules.published_item import PublishedItem

EVERY_CLUSTER = ""
PLANNED = "planned"
# A day is rolled up only when it ended two days ago. A playlist version carries items from the current
# moment on, so an item that started late yesterday can still be re-published (and widened to a new
# cluster) just after midnight; no version ever touches a day that ended more than a day ago.
SETTLE_DAYS = 2


class PlannedDay(SQLModel, table=True):
    __tablename__ = "planned_day"
    __table_args__ = (UniqueConstraint("commune_id", "day", "cluster_code"),)

    id: int | None = Field(default=None, primary_key=True)
    commune_id: int = Field(foreign_key="commune.id")
    day: date = Field(index=True)
    cluster_code: str = Field(max_length=64, description="A cluster's code, or '' for every cluster of the commune.")
    items: int


class RollupMark(SQLModel, table=True):
    """The last day a roll-up of days covers, by roll-up name."""

    __tablename__ = "rollup_mark"

    name: str = Field(primary_key=True, max_length=32)
    through_day: date


class RollupCollision(Exception):
    """Another controller rolled up the same days first; the caller rolls back."""


PlannedCounts = Counter[tuple[int, date, str]]


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def planned_through(session: Session) -> date | None:
    """The last day `planned_day` covers (None: none yet)."""
    mark = session.get(RollupMark, PLANNED)
    return mark.through_day if mark is not None else None


def count_published(
    session: Session, commune_ids: Iterable[int] | None, start: datetime | None, end: datetime, zone: ZoneInfo
) -> PlannedCounts:
    """Distinct planned items per (commune, local day, cluster or '') among items published to start in
    [start, end) (from the first when `start` is None), of the communes (None: every commune)."""
    query: Any = sa_select(
        col(PublishedItem.commune_id),
        col(PublishedItem.item_id),
        col(PublishedItem.starts_at),
        col(PublishedItem.clusters),
    ).where(col(PublishedItem.starts_at) < end)
    if commune_ids is not None:
        query = query.where(col(PublishedItem.commune_id).in_(list(commune_ids)))
    if start is not None:
        query = query.where(col(PublishedItem.starts_at) >= start)
    targets: dict[tuple[int, str, datetime], set[str] | None] = {}
    for commune_id, item_id, starts_at, listed in session.execute(query.execution_options(yield_per=5000)):
        key = (commune_id, item_id, starts_at)
        if key in targets and targets[key] is None:
            continue
        if listed is None:
            targets[key] = None
        else:
            known = targets.setdefault(key, set())
            assert known is not None
            known.update(listed)
    counts: PlannedCounts = Counter()
    for (commune_id, _, starts_at), clusters in targets.items():
        day = starts_at.astimezone(zone).date()
        for code in (EVERY_CLUSTER,) if clusters is None else clusters:
            counts[(commune_id, day, code)] += 1
    return counts


def roll_up_planned(session: Session, zone: ZoneInfo, *, today: date) -> int:
    """Roll up every day not rolled up yet that ended `SETTLE_DAYS` before `today`; how many rows were
    written. Flushes; the caller commits. Raises `RollupCollision` when another controller moved the mark
    meanwhile (nothing of this call may then be committed)."""
    through = today - timedelta(days=SETTLE_DAYS)
    done = planned_through(session)
    if done is not None and done >= through:
        return 0
    start = _midnight(done + timedelta(days=1), zone) if done is not None else None
    counts = count_published(session, None, start, _midnight(through + timedelta(days=1), zone), zone)
    rows = [
        PlannedDay(commune_id=commune_id, day=day, cluster_code=code, items=items)
        for (commune_id, day, code), items in sorted(counts.items())
    ]
    session.add_all(rows)
    if done is None:
        session.add(RollupMark(name=PLANNED, through_day=through))
        session.flush()
    else:
        moved = session.execute(
            update(RollupMark)
            .where(col(RollupMark.name) == PLANNED, col(RollupMark.through_day) == done)
            .values(through_day=through)
        )
        if getattr(moved, "rowcount", 0) != 1:
            raise RollupCollision(f"planned days were rolled up past {done} by another controller")
        session.flush()
    return len(rows)


def rolled_planned(
    session: Session, commune_ids: list[int], first: date, last: date
) -> Iterator[tuple[int, date, str, int]]:
    """The rolled-up planned items of the communes from `first` to `last` (commune, day, cluster or '', items)."""
    # Columns, not ORM objects: a province's half-year is 18,000 rows and more.
    rows = session.execute(
        sa_select(
            col(PlannedDay.commune_id), col(PlannedDay.day), col(PlannedDay.cluster_code), col(PlannedDay.items)
        ).where(col(PlannedDay.commune_id).in_(commune_ids), col(PlannedDay.day) >= first, col(PlannedDay.day) <= last)
    )
    yield from ((int(commune_id), day, str(code), int(items)) for commune_id, day, code, items in rows)


def planned_counts(
    session: Session, commune_ids: list[int], first: date, last: date, zone: ZoneInfo
) -> Iterator[tuple[int, date, str, int]]:
    """Planned items of the communes per day and cluster ('' every cluster) from `first` to `last`: the
    roll-up for the days it covers, `published_item` for the rest."""
    through = planned_through(session)
    if through is not None and through >= first:
        yield from rolled_planned(session, commune_ids, first, min(last, through))
    live_first = first if through is None else max(first, through + timedelta(days=1))
    if live_first <= last:
        live = count_published(
            session, commune_ids, _midnight(live_first, zone), _midnight(last + timedelta(days=1), zone), zone
        )
        for (commune_id, day, code), items in live.items():
            yield commune_id, day, code, items
