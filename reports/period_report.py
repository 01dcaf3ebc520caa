"""What a period report holds: its tables as typed rows, with the Vietnamese labels people read.

The same model is the API's JSON, each table one sheet of the XLSX and one section of the PDF and CSV.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pydantic import BaseModel

from devices.registry import Commune, Province

PRIORITY_LABELS = {"normal": "Thông thường", "priority": "Ưu tiên", "emergency": "Khẩn cấp"}
# Airtime by priority: the bulletins' priorities, and live broadcasts from the console in a row of their own
# (shown only for a period that had any).
AIRING_LABELS = {**PRIORITY_LABELS, "live": "Phát trực tiếp", "relay": "Tiếp sóng"}
# A relay of an external stream (VOV, the province's station; `schedules.stream_source`): its airtime is a row
# of its own ("Tiếp sóng") in airtime by priority, never "Thông thường" as well.
RELAY_TOTAL_LABEL = "Tổng cộng"
LANGUAGE_LABELS = {"vi": "Tiếng Việt", "km": "Tiếng Khmer"}
ORIGIN_LABELS = {"commune": "Xã soạn", "province": "Chương trình của tỉnh", "recording": "Bản ghi âm"}
MISSED_LABELS = {
    "failed": "Lỗi khi phát",
    "interrupted": "Bị ngắt giữa chừng",
    "cancelled": "Đã hủy",
    "offline": "Cụm loa mất kết nối cả ngày",
    "no_report": "Không có báo cáo phát",
}
ALERT_LABELS = {
    "offline": "Mất kết nối",
    "amplifier_fault": "Lỗi bộ khuếch đại",
    "speaker_line": "Lỗi đường dây loa",
    "commune_down": "Nhiều cụm loa của xã mất kết nối",
    "failed_to_play": "Không phát được theo lịch",
    "identity_contested": "Danh tính cụm loa bị tranh chấp",
    "suspect_report": "Báo cáo phát không khớp",
    "low_storage": "Bộ nhớ sắp đầy",
    "clock_drift": "Lệch đồng hồ",
    "high_temperature": "Nhiệt độ cao",
}
UNKNOWN_SOUND = "Âm thanh khác (chuông, lệnh phát)"


@dataclass(frozen=True)
class Scope:
    """What a report covers: some communes of one province (all of them for a province report)."""

    province: Province
    communes: tuple[Commune, ...]
    whole_province: bool

    @property
    def label(self) -> str:
        if self.whole_province:
            return f"Tỉnh {self.province.name}"
        return ", ".join(c.name for c in self.communes)


class ContentRow(BaseModel):
    key: str
    label: str
    written: int = 0
    submitted: int = 0
    approved: int = 0
    rejected: int = 0


class AiringByCommune(BaseModel):
    commune_code: str
    commune_name: str
    planned: int
    aired: int
    aired_pct: float | None
    plays: int
    minutes: float
    failed: int


class AiringRow(BaseModel):
    key: str
    label: str
    plays: int
    minutes: float


class RelayRow(BaseModel):
    """Relays of one stream source (or, `source` "Tổng cộng", of all): what the clusters' reports say aired."""

    source: str
    # Relay slots a cluster aired (a cluster × a relay slot with any of the stream on air).
    slots: int
    # Minutes the stream was actually on air: the sum of the reports' `relayed_ms` (fill while it was down excluded).
    minutes: float
    # Times the stream dropped during those slots (each filled with silence or a stock message).
    interruptions: int


class MissedRow(BaseModel):
    reason: str
    label: str
    count: int


class EmergencyRow(BaseModel):
    order_id: int
    commune_code: str
    title: str
    issued_at: datetime
    first_on_air: datetime | None
    seconds_to_air: float | None
    clusters_targeted: int
    clusters_aired: int
    cancelled: bool


class ReachRow(BaseModel):
    bulletin_id: int
    title: str
    commune_code: str
    commune_name: str
    clusters: int
    clusters_aired: int
    share_pct: float | None


class ClusterRow(BaseModel):
    code: str
    name: str
    commune_code: str
    uptime_pct: float | None
    failed_plays: int


class CommuneSystemRow(BaseModel):
    commune_code: str
    commune_name: str
    clusters: int
    working: int
    working_pct: float | None


class AlertRow(BaseModel):
    kind: str
    label: str
    opened: int
    acknowledged: int
    mean_minutes_to_ack: float | None


class Totals(BaseModel):
    bulletins_written: int
    bulletins_approved: int
    planned: int
    aired: int
    aired_pct: float | None
    plays: int
    airtime_minutes: float
    emergencies: int
    clusters: int
    mean_uptime_pct: float | None
    failed_plays: int
    alerts: int


class ComparisonRow(BaseModel):
    key: str
    label: str
    current: int | float | None
    previous: int | float | None
    change: int | float | None


COMPARED = {
    "bulletins_written": "Bản tin soạn mới",
    "bulletins_approved": "Bản tin được duyệt",
    "planned": "Lượt phát theo lịch (cụm loa × mục)",
    "aired": "Lượt phát đã phát",
    "aired_pct": "Tỷ lệ đã phát (%)",
    "airtime_minutes": "Thời lượng phát (phút)",
    "emergencies": "Lệnh phát khẩn cấp",
    "clusters": "Cụm loa",
    "mean_uptime_pct": "Thời gian hoạt động trung bình (%)",
    "failed_plays": "Lượt phát lỗi",
    "alerts": "Cảnh báo",
}


class DayHeadRow(BaseModel):
    commune_code: str
    day: date
    plays: int
    head_sha256: str


class CommuneSeal(BaseModel):
    commune_code: str
    days: int
    seal_sha256: str


class PeriodReport(BaseModel):
    """A period report's figures; every table is one sheet of the XLSX and one section of the PDF."""

    province_code: str
    province_name: str
    scope_label: str
    commune_codes: list[str]
    first: date
    last: date
    generated_at: datetime
    totals: Totals
    previous_first: date
    previous_last: date
    comparison: list[ComparisonRow]
    content_by_field: list[ContentRow]
    content_by_language: list[ContentRow]
    content_by_origin: list[ContentRow]
    airing_by_commune: list[AiringByCommune]
    airing_by_priority: list[AiringRow]
    airing_by_field: list[AiringRow]
    # Airtime by the language of what was played (a bulletin's own, a version in another language, a stock
    # message's; "" for other sounds). Empty in reports filed before it existed.
    airing_by_language: list[AiringRow] = []
    # Relays per stream source, then their total; empty for a period without relays (and in reports filed
    # before they existed).
    relays: list[RelayRow] = []
    missed: list[MissedRow]
    emergencies: list[EmergencyRow]
    reach: list[ReachRow]
    clusters: list[ClusterRow]
    communes: list[CommuneSystemRow]
    alerts: list[AlertRow]
    day_heads: list[DayHeadRow]
    commune_seals: list[CommuneSeal]
    as_run_seal: str
    as_run_days: int


def compare(current: Totals, previous: Totals) -> list[ComparisonRow]:
    """Each headline figure beside the previous period's, with the change (None when either is unknown)."""
    rows = []
    for key, label in COMPARED.items():
        now_value = getattr(current, key)
        before = getattr(previous, key)
        change = (
            None
            if now_value is None or before is None
            else now_value - before
            if isinstance(now_value, int) and isinstance(before, int)
            else round(float(now_value) - float(before), 1)
        )
        rows.append(ComparisonRow(key=key, label=label, current=now_value, previous=before, change=change))
    return rows
