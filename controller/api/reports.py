"""Reports: the as-run log of a commune or a province, its daily chain heads, and the check of a day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlmodel import Session

from controller import audit
from controller.accounts import User
from controller.bulletin_scope import require_province
from controller.deps import CurrentUser, ServicesDep, SessionDep, require_commune
from controller.errors import error_responses
from controller.reports import communes_in_scope
from controller.services import Services
from devices.registry import Province, get_commune, get_province
from reports import DayHead, Period, as_run_csv, as_run_rows, day_heads, verify_day

router = APIRouter(tags=["reports"])

First = Annotated[date, Query(alias="from", description="First day (Vietnam time), included.")]
Last = Annotated[date, Query(alias="to", description="Last day (Vietnam time), included.")]

CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The as-run log as CSV (UTF-8 with BOM), one row per play, in chain order.",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


class AsRunPlay(BaseModel):
    seq: int
    cluster_code: str
    item_id: str
    bulletin_id: int | None
    title: str
    asset_sha256: str
    scheduled_start: datetime
    started_at: datetime
    ended_at: datetime
    duration_s: float
    outcome: str
    flag_reason: str | None
    link_sha256: str


class AsRunDay(BaseModel):
    commune_code: str
    day: date
    plays: int
    head_sha256: str = Field(description="The day's last link: what a report covering the day prints.")
    intact: bool = Field(description="The chain recomputed from the stored plays matches the sealed links.")
    broken_at: int | None = Field(description="The first seq whose link no longer matches, if any.")
    rows: list[AsRunPlay]


class DayHeadPublic(BaseModel):
    commune_code: str
    day: date
    plays: int
    head_sha256: str


def _period(services: Services, first: date, last: date) -> Period:
    today = datetime.now(ZoneInfo(services.settings.scheduler.timezone)).date()
    return Period.checked(first, last, today=today)


def _csv(services: Services, codes: list[str], period: Period) -> Iterator[bytes]:
    """Streamed with a session of its own: the request's is closed before the body is sent."""
    zone = ZoneInfo(services.settings.scheduler.timezone)
    with services.sessions() as session:
        rows = as_run_rows(session, codes, period.first, period.last, batch=services.settings.reports.stream_batch)
        yield from as_run_csv(rows, zone)


def _download(
    session: Session, services: Services, user: User, codes: list[str], scope: str, period: Period
) -> StreamingResponse:
    audit.record(session, user, "report.as_run", scope, f"{period.first}..{period.last}")
    session.commit()
    name = f"nhat-ky-phat_{scope.replace(':', '-')}_{period.first}_{period.last}.csv"
    return StreamingResponse(
        _csv(services, codes, period),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/communes/{commune_code}/as-run.csv", response_class=StreamingResponse, responses=CSV_RESPONSE)
def commune_as_run_csv(
    commune_code: str, first: First, last: Last, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> StreamingResponse:
    """Every play the commune's clusters reported on those days, as CSV, streamed (audited)."""
    commune = get_commune(session, commune_code)
    require_commune(session, user, commune)
    period = _period(services, first, last)
    return _download(session, services, user, [commune.code], f"commune:{commune.code}", period)


@router.get("/provinces/{province_code}/as-run.csv", response_class=StreamingResponse, responses=CSV_RESPONSE)
def province_as_run_csv(
    province_code: str, first: First, last: Last, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> StreamingResponse:
    """The province's as-run log (the province's staff and admins), as CSV, streamed (audited)."""
    province: Province = get_province(session, province_code)
    require_province(user, province)
    period = _period(services, first, last)
    codes = communes_in_scope(session, user, province, None)
    return _download(session, services, user, codes, f"province:{province.code}", period)


@router.get("/communes/{commune_code}/as-run", responses=error_responses(422))
def commune_as_run_day(
    commune_code: str,
    session: SessionDep,
    user: CurrentUser,
    services: ServicesDep,
    day: Annotated[date, Query(description="The airing day (Vietnam time).")],
) -> AsRunDay:
    """One day of the commune's as-run log, with its head and whether its chain is intact."""
    commune = get_commune(session, commune_code)
    require_commune(session, user, commune)
    _period(services, day, day)
    check = verify_day(session, commune.code, day)
    rows = [
        AsRunPlay(
            seq=row.seq,
            cluster_code=row.cluster_code,
            item_id=row.item_id,
            bulletin_id=row.bulletin_id,
            title=row.title,
            asset_sha256=row.asset_sha256,
            scheduled_start=row.scheduled_start,
            started_at=row.started_at,
            ended_at=row.ended_at,
            duration_s=row.duration_s,
            outcome=row.outcome,
            flag_reason=row.flag_reason,
            link_sha256=row.link_sha256,
        )
        for row in as_run_rows(session, [commune.code], day, day, batch=services.settings.reports.stream_batch)
    ]
    return AsRunDay(
        commune_code=commune.code,
        day=day,
        plays=check.plays,
        head_sha256=check.head_sha256,
        intact=check.intact,
        broken_at=check.broken_at,
        rows=rows,
    )


@router.get("/communes/{commune_code}/as-run/heads")
def commune_day_heads(
    commune_code: str, first: First, last: Last, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> list[DayHeadPublic]:
    """The head of each day with plays in the period (as sealed): what reports print."""
    commune = get_commune(session, commune_code)
    require_commune(session, user, commune)
    period = _period(services, first, last)
    heads: list[DayHead] = day_heads(session, [commune.code], period.first, period.last)
    return [
        DayHeadPublic(commune_code=h.commune_code, day=h.day, plays=h.plays, head_sha256=h.head_sha256) for h in heads
    ]
