"""Daily uptime per cluster: seconds up (online or degraded) per local day (Asia/Ho_Chi_Minh).

Uptime is integrated from the state transitions in `health_event`, never accumulated by adding sweep
intervals: a sum of intervals would double-count with two controller instances and lose time while the
controller is down, while the integral over transitions is the same whoever computes it, however often.
A day's total is therefore derived data: today's is computed on request, and past days are written
once to `uptime_day` (the history) by the sweep after local midnight (an idempotent upsert).

A transition that spans midnight is split at local midnight; a cluster never heard from (no events)
has 0 s; a day before the cluster's first event has no row.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Index, func, text
from sqlmodel import Field, Session, SQLModel, UniqueConstraint, col, select

from devices.health import UP_STATES, HealthEvent

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class UptimeDay(SQLModel, table=True):
    __tablename__ = "uptime_day"
    __table_args__ = (
        UniqueConstraint("device_id", "day"),
        # The days a cluster was never up (a report's dark days): a few in a hundred.
        Index(
            "ix_uptime_day_dark", "device_id", "day", postgresql_where=text("up_s <= 0"), sqlite_where=text("up_s <= 0")
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="device.id", index=True)
    day: date = Field(index=True)
    up_s: int


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The local day's start and end, as UTC instants."""
    start = datetime.combine(day, time(0), LOCAL_TZ)
    end = datetime.combine(day + timedelta(days=1), time(0), LOCAL_TZ)
    return start.astimezone(UTC), end.astimezone(UTC)


def local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def up_seconds(state_before: str | None, events: Sequence[tuple[datetime, str]], start: datetime, end: datetime) -> int:
    """Seconds in [start, end) spent in an up state.

    `state_before`: the state at `start` (from the last transition before it; None if none).
    `events`: transitions (at, state) in time order; those outside [start, end) are ignored.
    """
    total = 0.0
    state = state_before
    since = start
    for at, new_state in events:
        if at < start:
            state = new_state
            continue
        if at >= end:
            break
        if state in UP_STATES:
            total += (at - since).total_seconds()
        state, since = new_state, at
    if state in UP_STATES:
        total += (end - since).total_seconds()
    return round(total)


def device_up_seconds(session: Session, device_id: int, start: datetime, end: datetime) -> int:
    """`up_seconds` of one cluster over [start, end), from its stored transitions."""
    before = session.exec(
        select(HealthEvent.state)
        .where(HealthEvent.device_id == device_id, col(HealthEvent.at) < start)
        .order_by(col(HealthEvent.at).desc(), col(HealthEvent.id).desc())
        .limit(1)
    ).first()
    rows = session.exec(
        select(HealthEvent.at, HealthEvent.state)
        .where(HealthEvent.device_id == device_id, col(HealthEvent.at) >= start, col(HealthEvent.at) < end)
        .order_by(col(HealthEvent.at), col(HealthEvent.id))
    ).all()
    return up_seconds(before, [(at, state) for at, state in rows], start, end)


def finalize_days(session: Session, device_ids: Sequence[int], now: datetime, max_days: int = 7) -> int:
    """Write `uptime_day` rows for past local days that have none yet (up to `max_days` back); commits.

    Days before a cluster's first transition are skipped. Returns the number of rows written.
    """
    today = local_day(now)
    written = 0
    for device_id in device_ids:
        first = session.exec(
            select(HealthEvent.at).where(HealthEvent.device_id == device_id).order_by(col(HealthEvent.at)).limit(1)
        ).first()
        if first is None:
            continue
        done = {
            row.day
            for row in session.exec(
                select(UptimeDay).where(
                    UptimeDay.device_id == device_id, col(UptimeDay.day) >= today - timedelta(days=max_days)
                )
            )
        }
        day = max(local_day(first), today - timedelta(days=max_days))
        while day < today:
            if day not in done:
                start, end = day_bounds(day)
                session.add(
                    UptimeDay(device_id=device_id, day=day, up_s=device_up_seconds(session, device_id, start, end))
                )
                written += 1
            day += timedelta(days=1)
    session.commit()
    return written


def devices_up_seconds(session: Session, device_ids: Collection[int], start: datetime, end: datetime) -> dict[int, int]:
    """`device_up_seconds` for many clusters in two queries (a dashboard over a province's clusters)."""
    ids = list(device_ids)
    if not ids:
        return {}
    latest_before = (
        select(HealthEvent.device_id, func.max(HealthEvent.at).label("at"))
        .where(col(HealthEvent.device_id).in_(ids), col(HealthEvent.at) < start)
        .group_by(col(HealthEvent.device_id))
        .subquery()
    )
    before: dict[int, str] = {}
    for device_id, state in session.exec(
        select(HealthEvent.device_id, HealthEvent.state)
        .join(
            latest_before,
            (col(HealthEvent.device_id) == latest_before.c.device_id) & (col(HealthEvent.at) == latest_before.c.at),
        )
        .order_by(col(HealthEvent.id))
    ).all():
        before[device_id] = state  # equal times: the later row wins, as in `device_up_seconds`
    events: dict[int, list[tuple[datetime, str]]] = {}
    for device_id, at, state in session.exec(
        select(HealthEvent.device_id, HealthEvent.at, HealthEvent.state)
        .where(col(HealthEvent.device_id).in_(ids), col(HealthEvent.at) >= start, col(HealthEvent.at) < end)
        .order_by(col(HealthEvent.at), col(HealthEvent.id))
    ).all():
        events.setdefault(device_id, []).append((at, state))
    return {i: up_seconds(before.get(i), events.get(i, []), start, end) for i in ids}
