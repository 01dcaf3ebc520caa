"""A period report as one CSV file: each table under its title, separated by an empty line.

UTF-8 with a byte-order mark, so that Excel shows the Vietnamese diacritics.
"""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from reports.period_report import PeriodReport
from reports.tables import report_tables


def report_csv(report: PeriodReport, zone: ZoneInfo) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Báo cáo", report.scope_label, report.first.isoformat(), report.last.isoformat()])
    writer.writerow(["Mã kiểm tra nhật ký phát (SHA-256)", report.as_run_seal])
    for table in report_tables(report, zone):
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.headers)
        writer.writerows([["" if v is None else v for v in row] for row in table.rows])
    return "\ufeff".encode() + out.getvalue().encode()
