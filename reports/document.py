"""A period report as a PDF laid out as a Vietnamese administrative report (Nghị định 30/2020/NĐ-CP):
issuing body and national motto, number and date line, title, numbered sections of tables, the as-run
log's check hashes, recipients and signature block. HTML and CSS in `reports/templates`, drawn by
WeasyPrint with the DejaVu fonts (every Vietnamese diacritic)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from importlib.resources import files
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape

from reports.period_report import PeriodReport
from reports.tables import Cell, Table, report_tables

HEADING = "Kết quả phổ biến, giáo dục pháp luật qua hệ thống loa truyền thanh cơ sở"
ROMAN = ["II", "III", "IV", "V", "VI", "VII", "VIII"]
# Which tables go in which numbered section, after "I. Tổng hợp" (the comparison).
SECTIONS: list[tuple[str, tuple[str, ...]]] = [
    ("Nội dung tuyên truyền", ("content_by_field", "content_by_language", "content_by_origin")),
    (
        "Kết quả phát sóng",
        (
            "airing_by_commune",
            "airing_by_priority",
            "airing_by_field",
            "airing_by_language",
            "relays",
            "missed",
        ),
    ),
    ("Phát khẩn cấp", ("emergencies",)),
    ("Phủ sóng nội dung của tỉnh", ("reach",)),
    ("Tình trạng hệ thống", ("communes", "clusters", "alerts")),
]


@dataclass(frozen=True)
class Letterhead:
    """What the issuing office fills in: its name (one line per row), the number, place and signer."""

    issuer_lines: tuple[str, ...]
    place: str
    number: str = "........./BC-UBND"
    signer_title: str = "NGƯỜI LẬP BÁO CÁO"
    signer_name: str = ""
    recipients: tuple[str, ...] = field(default=("Sở Tư pháp",))
    issued: date | None = None


def _num(value: Cell, sign: bool = False) -> str:
    """A figure in Vietnamese notation: dot for thousands, comma for decimals; empty when unknown."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    plus = "+" if sign else ""
    text = f"{value:{plus},.1f}" if isinstance(value, float) else f"{value:{plus},}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


_environment = Environment(loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(["html"]))


def report_html(report: PeriodReport, letterhead: Letterhead, zone: ZoneInfo) -> str:
    tables = {t.key: t for t in report_tables(report, zone)}
    sections = []
    for number, (title, keys) in zip(ROMAN, SECTIONS, strict=False):
        chosen: list[Table] = [tables[k] for k in keys]
        sections.append({"number": number, "title": title, "tables": chosen})
    issued = letterhead.issued or report.generated_at.astimezone(zone).date()
    return _environment.get_template("report.html").render(
        report=report,
        heading=HEADING,
        css=files("reports").joinpath("templates/report.css").read_text(encoding="utf-8"),
        issuer_lines=letterhead.issuer_lines,
        number=letterhead.number,
        place=letterhead.place,
        issued=issued,
        sections=sections,
        seal_number=ROMAN[len(sections)],
        recipients=letterhead.recipients,
        signer_title=letterhead.signer_title,
        signer_name=letterhead.signer_name,
        generated=report.generated_at.astimezone(zone).strftime("%H:%M ngày %d/%m/%Y"),
        num=_num,
    )


def report_pdf(report: PeriodReport, letterhead: Letterhead, zone: ZoneInfo) -> bytes:
    """The PDF's bytes. WeasyPrint is imported here: it loads Pango, which only this needs."""
    from weasyprint import HTML

    pdf = HTML(string=report_html(report, letterhead, zone)).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
