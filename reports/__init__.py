"""Reports for the six-month and annual reviews, from what the nodes reported they played.

So far: the as-run log (`as_run_rows`, `as_run_csv`), sealed in a hash chain per commune and day
(`seal_plays`, `day_heads`, `verify_day`) so that a filed report can be checked against the record.
See docs/reports.md.
"""

from reports.as_run import AsRunRow, as_run_csv, as_run_rows
from reports.errors import InvalidPeriod, ReportError
from reports.ledger import DayCheck, DayHead, PlayLink, day_heads, seal_plays, verify_day
from reports.period import Period
from reports.sealer import PlaySealer
from reports.settings import ReportSettings

__all__ = [
    "AsRunRow",
    "DayCheck",
    "DayHead",
    "InvalidPeriod",
    "Period",
    "PlayLink",
    "PlaySealer",
    "ReportError",
    "ReportSettings",
    "as_run_csv",
    "as_run_rows",
    "day_heads",
    "seal_plays",
    "verify_day",
]
