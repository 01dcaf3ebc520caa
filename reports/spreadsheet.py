"""A period report as an XLSX workbook: a cover sheet, then one sheet per table, numbers as numbers."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from reports.period_report import PeriodReport
from reports.tables import report_tables

# Wide enough for a commune's name or a bulletin's title without wrapping most of them; longer text wraps.
MAX_COLUMN_WIDTH = 60


def report_xlsx(report: PeriodReport, zone: ZoneInfo) -> bytes:
    """The workbook's bytes. Cells hold int/float figures (None left empty) so staff can paste and sum."""
    book = Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "Báo cáo"
    bold = Font(bold=True)
    lines: list[tuple[str, str | int]] = [
        ("Báo cáo kết quả phổ biến, giáo dục pháp luật qua hệ thống loa truyền thanh cơ sở", ""),
        ("Phạm vi", report.scope_label),
        ("Tỉnh", report.province_name),
        ("Từ ngày", report.first.strftime("%d/%m/%Y")),
        ("Đến ngày", report.last.strftime("%d/%m/%Y")),
        ("Lập lúc", report.generated_at.astimezone(zone).strftime("%d/%m/%Y %H:%M")),
        ("Mã kiểm tra nhật ký phát (SHA-256)", report.as_run_seal),
        ("Số ngày có nhật ký phát", report.as_run_days),
    ]
    for row, (label, value) in enumerate(lines, start=1):
        cover.cell(row=row, column=1, value=label).font = bold
        cover.cell(row=row, column=2, value=value)
    cover.column_dimensions["A"].width = 40
    cover.column_dimensions["B"].width = 70
    for table in report_tables(report, zone):
        sheet = book.create_sheet(table.sheet[:31])
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True, size=12)
        sheet.append(list(table.headers))
        for cell in sheet[2]:
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for values in table.rows:
            sheet.append(values)
        sheet.freeze_panes = "A3"
        for index, header in enumerate(table.headers, start=1):
            longest = max([len(header)] + [len(str(v[index - 1])) for v in table.rows if v[index - 1] is not None])
            sheet.column_dimensions[get_column_letter(index)].width = min(MAX_COLUMN_WIDTH, max(10, longest + 2))
    heads = book.create_sheet("Nhật ký phát theo ngày")
    heads.append(["Mã xã", "Ngày", "Số lượt phát", "Mã chuỗi cuối ngày (SHA-256)"])
    for cell in heads[1]:
        cell.font = bold
    for head in report.day_heads:
        heads.append([head.commune_code, head.day, head.plays, head.head_sha256])
    heads.column_dimensions["B"].width = 12
    heads.column_dimensions["D"].width = 70
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
