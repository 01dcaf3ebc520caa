"""Reports for the six-month and annual reviews, from what the nodes reported they played.

A period report (`build_report` over a `Scope` and `Period`: `PeriodReport`) and its files
(`report_xlsx`, `report_csv`, `report_pdf` under a `Letterhead`); the as-run log (`as_run_rows`,
`as_run_csv`), sealed in a hash chain per commune and day (`seal_plays`, `day_heads`, `verify_day`) so that
a filed report can be checked against the record. See docs/reports.md.
"""

from reports.as_run import AsRunRow, as_run_csv, as_run_rows
from reports.csv_export import report_csv
from reports.document import Letterhead, report_pdf
from reports.errors import InvalidPeriod, ReportError
from reports.figures import build_report, seal_heads
from reports.ledger import DayCheck, DayHead, PlayLink, day_heads, seal_plays, verify_day
from reports.period import Period
from reports.period_report import PeriodReport, Scope
from reports.sealer import PlaySealer
from reports.settings import ReportSettings
from reports.spreadsheet import report_xlsx

__all__ = [
    "AsRunRow",
    "DayCheck",
    "DayHead",
    "InvalidPeriod",
    "Letterhead",
    "Period",
    "PeriodReport",
    "PlayLink",
    "PlaySealer",
    "ReportError",
    "ReportSettings",
    "Scope",
    "as_run_csv",
    "as_run_rows",
    "build_report",
    "day_heads",
    "report_csv",
    "report_pdf",
    "report_xlsx",
    "seal_heads",
    "seal_plays",
    "verify_day",
]
