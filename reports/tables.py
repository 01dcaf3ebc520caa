"""A period report as titled tables of cells: what the XLSX, CSV and PDF each lay out in their own way.

Cells stay numbers (int, float) or None where a figure is unknown, so a spreadsheet can sum them; dates
and times are shown in Vietnam time as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from reports.period_report import PRIORITY_LABELS, ContentRow, PeriodReport

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    headers: tuple[str, ...]
    rows: list[list[Cell]]
    # Short enough for an XLSX sheet name (at most 31 characters).
    sheet: str


def _time(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M:%S") if moment is not None else ""


def _content(key: str, title: str, sheet: str, rows: list[ContentRow]) -> Table:
    """A table of bulletins written, submitted, approved and rejected, by one grouping."""
    headers = ("Nhóm", "Soạn mới", "Gửi duyệt", "Được duyệt", "Bị từ chối")
    cells: list[list[Cell]] = [[r.label, r.written, r.submitted, r.approved, r.rejected] for r in rows]
    return Table(key, title, headers, cells, sheet)


def report_tables(report: PeriodReport, zone: ZoneInfo) -> list[Table]:
    """Every table of the report, in the order the PDF prints them."""
    airing_headers = ("Nhóm", "Lượt phát", "Thời lượng (phút)")
    return [
        Table(
            "comparison",
            f"So sánh với kỳ trước ({report.previous_first:%d/%m/%Y} – {report.previous_last:%d/%m/%Y})",
            ("Chỉ tiêu", "Kỳ này", "Kỳ trước", "Thay đổi"),
            [[r.label, r.current, r.previous, r.change] for r in report.comparison],
            "So sánh kỳ trước",
        ),
        _content(
            "content_by_field", "Nội dung theo lĩnh vực pháp luật", "Nội dung theo lĩnh vực", report.content_by_field
        ),
        _content("content_by_language", "Nội dung theo ngôn ngữ", "Nội dung theo ngôn ngữ", report.content_by_language),
        _content("content_by_origin", "Nội dung theo nguồn", "Nội dung theo nguồn", report.content_by_origin),
        Table(
            "airing_by_commune",
            "Phát sóng theo xã (kế hoạch và đã phát, theo báo cáo của cụm loa)",
            ("Mã xã", "Xã", "Kế hoạch", "Đã phát", "Tỷ lệ (%)", "Lượt phát", "Thời lượng (phút)", "Lượt lỗi"),
            [
                [r.commune_code, r.commune_name, r.planned, r.aired, r.aired_pct, r.plays, r.minutes, r.failed]
                for r in report.airing_by_commune
            ],
            "Phát sóng theo xã",
        ),
        Table(
            "airing_by_priority",
            "Phát sóng theo mức ưu tiên",
            airing_headers,
            [[PRIORITY_LABELS.get(r.key, r.label), r.plays, r.minutes] for r in report.airing_by_priority],
            "Theo mức ưu tiên",
        ),
        Table(
            "airing_by_field",
            "Phát sóng theo lĩnh vực pháp luật",
            airing_headers,
            [[r.label, r.plays, r.minutes] for r in report.airing_by_field],
            "Phát sóng theo lĩnh vực",
        ),
        Table(
            "airing_by_language",
            "Phát sóng theo ngôn ngữ (theo báo cáo phát của cụm loa)",
            airing_headers,
            [[r.label, r.plays, r.minutes] for r in report.airing_by_language],
            "Phát sóng theo ngôn ngữ",
        ),
        Table(
            "relays",
            "Tiếp sóng đài phát thanh (theo báo cáo phát của cụm loa)",
            (
                "Nguồn tiếp sóng",
                "Lượt tiếp sóng (cụm loa × khung giờ)",
                "Thời lượng tiếp sóng (phút)",
                "Số lần gián đoạn",
            ),
            [[r.source, r.slots, r.minutes, r.interruptions] for r in report.relays],
            "Tiếp sóng",
        ),
        Table(
            "missed",
            "Lượt theo kế hoạch chưa phát được và lý do",
            ("Lý do", "Số lượt"),
            [[r.label, r.count] for r in report.missed],
            "Chưa phát được",
        ),
        Table(
            "emergencies",
            "Phát khẩn cấp: từ lệnh đến lúc lên sóng",
            (
                "Lệnh",
                "Mã xã",
                "Bản tin",
                "Giờ ra lệnh",
                "Giờ lên sóng",
                "Sau (giây)",
                "Cụm nhận",
                "Cụm đã phát",
                "Đã hủy",
            ),
            [
                [
                    r.order_id,
                    r.commune_code,
                    r.title,
                    _time(r.issued_at, zone),
                    _time(r.first_on_air, zone),
                    r.seconds_to_air,
                    r.clusters_targeted,
                    r.clusters_aired,
                    "có" if r.cancelled else "",
                ]
                for r in report.emergencies
            ],
            "Khẩn cấp",
        ),
        Table(
            "reach",
            "Mức phủ sóng nội dung của tỉnh",
            ("Bản tin", "Mã xã", "Xã", "Số cụm loa", "Cụm đã phát", "Tỷ lệ (%)"),
            [
                [r.title, r.commune_code, r.commune_name, r.clusters, r.clusters_aired, r.share_pct]
                for r in report.reach
            ],
            "Phủ sóng nội dung tỉnh",
        ),
        Table(
            "communes",
            "Hệ thống theo xã",
            ("Mã xã", "Xã", "Số cụm loa", "Cụm hoạt động tốt", "Tỷ lệ (%)"),
            [[r.commune_code, r.commune_name, r.clusters, r.working, r.working_pct] for r in report.communes],
            "Hệ thống theo xã",
        ),
        Table(
            "clusters",
            "Thời gian hoạt động từng cụm loa",
            ("Mã cụm loa", "Tên", "Mã xã", "Thời gian hoạt động (%)", "Lượt phát lỗi"),
            [[r.code, r.name, r.commune_code, r.uptime_pct, r.failed_plays] for r in report.clusters],
            "Cụm loa",
        ),
        Table(
            "alerts",
            "Cảnh báo theo loại",
            ("Loại", "Số cảnh báo", "Đã xác nhận", "Thời gian xác nhận TB (phút)"),
            [[r.label, r.opened, r.acknowledged, r.mean_minutes_to_ack] for r in report.alerts],
            "Cảnh báo",
        ),
    ]
