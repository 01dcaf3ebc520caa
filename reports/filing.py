"""Reports of closed periods, generated once the period has settled and kept as they were made.

A filed report stores its figures (the `PeriodReport` as JSON) with the as-run seal of the days it covers,
so the files drawn from it later are the same figures, whatever happens to the data since. Making it
again (late proof of play from a node that was offline, a corrected cluster) adds a new **version** that
says what changed against the last one; a version that would change nothing is not added.

Which periods: every closed month, half-year (1/1-30/6, 1/7-31/12) and year, for the whole province and for
each commune, once `settle_days` have passed after the period's last day (nodes hold their reports while
offline and send them when back).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from audio_library.timestamps import UtcDateTime
from devices.registry import Commune, Province
from reports.figures import build_report
from reports.period import Period
from reports.period_report import PeriodReport, Scope
from reports.periodic import Periodic
from reports.sealer import PlaySealer
from reports.settings import ReportSettings
from reports.tables import report_tables

KIND_LABELS = {"month": "Tháng", "half": "6 tháng", "year": "Năm"}
TOTAL_LABELS = {
    "bulletins_written": "Bản tin soạn mới",
    "bulletins_approved": "Bản tin được duyệt",
    "planned": "Lượt phát theo lịch",
    "aired": "Lượt phát đã phát",
    "aired_pct": "Tỷ lệ đã phát (%)",
    "plays": "Lượt phát",
    "airtime_minutes": "Thời lượng phát (phút)",
    "emergencies": "Lệnh phát khẩn cấp",
    "clusters": "Cụm loa",
    "mean_uptime_pct": "Thời gian hoạt động trung bình (%)",
    "failed_plays": "Lượt phát lỗi",
    "alerts": "Cảnh báo",
}


class FiledReport(SQLModel, table=True):
    """One version of the report of one scope and closed period."""

    __tablename__ = "filed_report"
    __table_args__ = (UniqueConstraint("scope_key", "first", "last", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    scope_key: str = Field(max_length=80, index=True, description="province:<code> or commune:<code>")
    province_id: int = Field(foreign_key="province.id", index=True)
    commune_id: int | None = Field(default=None, foreign_key="commune.id", index=True)
    kind: str = Field(max_length=8, description="month, half or year")
    first: date
    last: date
    version: int
    generated_at: datetime = Field(sa_type=UtcDateTime)
    generated_by: str = Field(default="", max_length=64, description="Empty when made on schedule.")
    as_run_seal: str = Field(max_length=64)
    figures: str = Field(sa_type=Text, description="The PeriodReport as JSON, as it was made.")
    changes: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))

    def report(self) -> PeriodReport:
        return PeriodReport.model_validate_json(self.figures)


class Change(BaseModel):
    """One difference between a version and the one before it."""

    what: str
    before: str
    after: str


@dataclass(frozen=True)
class ClosedPeriod:
    kind: str
    period: Period


def closed_periods(today: date, settle_days: int) -> list[ClosedPeriod]:
    """The latest month, half-year and year whose last day is at least `settle_days` before `today`."""
    cutoff = today - timedelta(days=settle_days)
    month_end = cutoff if cutoff == _month_end(cutoff) else cutoff.replace(day=1) - timedelta(days=1)
    year_end = cutoff if (cutoff.month, cutoff.day) == (12, 31) else date(cutoff.year - 1, 12, 31)
    half_end = max(year_end, date(cutoff.year, 6, 30)) if cutoff >= date(cutoff.year, 6, 30) else year_end
    half_first = date(half_end.year, 1, 1) if half_end.month == 6 else date(half_end.year, 7, 1)
    return [
        ClosedPeriod("month", Period(month_end.replace(day=1), month_end)),
        ClosedPeriod("half", Period(half_first, half_end)),
        ClosedPeriod("year", Period(date(year_end.year, 1, 1), year_end)),
    ]


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def scope_key(scope: Scope) -> str:
    if scope.whole_province:
        return f"province:{scope.province.code}"
    assert len(scope.communes) == 1
    return f"commune:{scope.communes[0].code}"


def _cells(report: PeriodReport, zone: ZoneInfo) -> dict[str, tuple[str, list[list[Any]]]]:
    return {t.key: (t.title, t.rows) for t in report_tables(report, zone) if t.key != "comparison"}


def changes_between(before: PeriodReport, after: PeriodReport, zone: ZoneInfo) -> list[Change]:
    """What a new version changes: each headline figure, each table that differs, and the as-run seal."""
    found = []
    for key, label in TOTAL_LABELS.items():
        old, new = getattr(before.totals, key), getattr(after.totals, key)
        if old != new:
            found.append(Change(what=label, before=str(old), after=str(new)))
    old_tables, new_tables = _cells(before, zone), _cells(after, zone)
    for key, (title, rows) in new_tables.items():
        old_rows = old_tables.get(key, (title, []))[1]
        if old_rows != rows:
            changed = sum(1 for row in rows if row not in old_rows) + sum(1 for row in old_rows if row not in rows)
            found.append(Change(what=f"Bảng «{title}»", before=f"{len(old_rows)} dòng", after=f"{changed} dòng khác"))
    if before.as_run_seal != after.as_run_seal:
        found.append(Change(what="Mã kiểm tra nhật ký phát", before=before.as_run_seal, after=after.as_run_seal))
    return found


def latest_version(session: Session, key: str, period: Period) -> FiledReport | None:
    return session.exec(
        select(FiledReport)
        .where(FiledReport.scope_key == key, FiledReport.first == period.first, FiledReport.last == period.last)
        .order_by(col(FiledReport.version).desc())
        .limit(1)
    ).first()


def file_report(
    session: Session,
    scope: Scope,
    kind: str,
    period: Period,
    *,
    zone: ZoneInfo,
    now: datetime,
    working_uptime_pct: float,
    by: str = "",
) -> FiledReport | None:
    """Make the report and keep it as a new version, unless it would change nothing; the caller commits."""
    key = scope_key(scope)
    report = build_report(session, scope, period, zone=zone, now=now, working_uptime_pct=working_uptime_pct)
    previous = latest_version(session, key, period)
    changes: list[Change] = []
    if previous is not None:
        changes = changes_between(previous.report(), report, zone)
        if not changes:
            return None
    assert scope.province.id is not None
    filed = FiledReport(
        scope_key=key,
        province_id=scope.province.id,
        commune_id=None if scope.whole_province else scope.communes[0].id,
        kind=kind,
        first=period.first,
        last=period.last,
        version=1 if previous is None else previous.version + 1,
        generated_at=now,
        generated_by=by,
        as_run_seal=report.as_run_seal,
        figures=report.model_dump_json(),
        changes=[json.loads(c.model_dump_json()) for c in changes],
    )
    session.add(filed)
    return filed


def scopes_of(session: Session, province: Province) -> list[Scope]:
    """The whole province, then each of its communes."""
    communes = tuple(
        session.exec(select(Commune).where(Commune.province_id == province.id).order_by(col(Commune.code)))
    )
    return [Scope(province, communes, whole_province=True)] + [
        Scope(province, (commune,), whole_province=False) for commune in communes
    ]


# Told of each version filed, in its transaction (the controller sends it up to the province's sources).
FiledHook = Callable[[Session, FiledReport], None]


class ReportFiler:
    """Files the reports of closed periods that are not filed yet, every `filing_interval_s`."""

    def __init__(
        self,
        sessions: Callable[[], Session],
        settings: ReportSettings,
        zone: ZoneInfo,
        *,
        sealer: PlaySealer | None = None,
        on_filed: FiledHook | None = None,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._zone = zone
        # Seals (and rolls up) what the nodes reported up to now before a round, so a filed report counts it.
        self._sealer = sealer
        self._on_filed = on_filed
        self._worker = Periodic(
            "report-filer",
            lambda: self.file_due(datetime.now(self._zone)),
            interval_s=settings.filing_interval_s,
            first_delay_s=settings.filing_first_delay_s,
        )
        self._stop = self._worker.stopping

    def start(self) -> None:
        self._worker.start()

    def stop(self) -> None:
        self._worker.stop()

    def file_due(self, now: datetime) -> int:
        """File every closed period's report that has no version yet, one transaction each; how many."""
        filed = 0
        if self._sealer is not None:
            self._sealer.seal_once()
        today = now.astimezone(self._zone).date()
        with self._sessions() as session:
            provinces = list(session.exec(select(Province).order_by(col(Province.code))))
        for province in provinces:
            for closed in closed_periods(today, self._settings.filing_settle_days):
                with self._sessions() as session:
                    scopes = scopes_of(session, province)
                for scope in scopes:
                    if self._stop.is_set():
                        return filed
                    with self._sessions() as session:
                        if latest_version(session, scope_key(scope), closed.period) is not None:
                            continue
                        made = file_report(
                            session,
                            scope,
                            closed.kind,
                            closed.period,
                            zone=self._zone,
                            now=now,
                            working_uptime_pct=self._settings.working_uptime_pct,
                        )
                        if made is not None and self._on_filed is not None:
                            session.flush()
                            self._on_filed(session, made)
                        try:
                            session.commit()
                        except IntegrityError:  # another controller filed it first
                            session.rollback()
                            continue
                        filed += made is not None
        return filed
