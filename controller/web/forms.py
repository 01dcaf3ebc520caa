"""Turning form input into the API's models, and their validation errors into Vietnamese sentences."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError

FIELD_NAMES = {
    "title": "Tiêu đề",
    "body": "Nội dung",
    "topic": "Chủ đề",
    "legal_field": "Lĩnh vực pháp luật",
    "legal_refs": "Căn cứ pháp lý",
    "priority": "Mức ưu tiên",
    "dialect": "Giọng đọc",
    "language": "Ngôn ngữ",
    "valid_from": "Hiệu lực từ",
    "valid_until": "Hiệu lực đến",
    "commune_code": "Nơi phát",
    "bulletin_id": "Bản tin",
    "slot_rank": "Khung giờ",
    "slot_name": "Tên khung giờ",
    "at": "Giờ phát",
    "start_time": "Bắt đầu",
    "end_time": "Kết thúc",
    "from_day": "Từ ngày",
    "until_day": "Đến ngày",
    "starts_at": "Thời điểm phát",
    "reason": "Lý do",
    "username": "Tên đăng nhập",
    "password": "Mật khẩu",
    "current_password": "Mật khẩu hiện tại",
    "new_password": "Mật khẩu mới",
    "role": "Vai trò",
    "code": "Mã",
    "name": "Tên",
    "latitude": "Vĩ độ",
    "longitude": "Kinh độ",
    "horn_count": "Số loa",
    "amplifier_watts": "Công suất âm ly",
    "installed_on": "Ngày lắp đặt",
    "network_type": "Loại mạng",
    "hamlet": "Ấp/thôn",
}


def _problem(error_type: str, context: dict[str, object]) -> str:
    if error_type == "string_too_short" and int(str(context.get("min_length", 1))) > 1:
        return f"quá ngắn (ít nhất {context.get('min_length')} ký tự)"
    if error_type in ("string_too_short", "missing", "too_short"):
        return "không được để trống"
    if error_type == "string_too_long":
        return f"quá dài (tối đa {context.get('max_length')} ký tự)"
    if error_type == "too_long":
        return f"quá nhiều mục (tối đa {context.get('max_length')})"
    if error_type.startswith(("datetime", "date")):
        return "ngày giờ không hợp lệ"
    if error_type == "string_pattern_mismatch":
        return "chỉ gồm chữ thường không dấu, số và . _ - (3–64 ký tự)"
    return "giá trị không hợp lệ"


def messages_vi(exc: ValidationError) -> list[str]:
    """One sentence per problem, naming the field as the form labels it."""
    out = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        out.append(f"{FIELD_NAMES.get(field, field)}: {_problem(error['type'], dict(error.get('ctx') or {}))}.")
    return out


def optional_datetime(value: str) -> str | None:
    """A `datetime-local` field: empty means not given."""
    return value.strip() or None


def lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def to_local_input(moment: datetime | None, zone: str) -> str:
    """A stored time as a `datetime-local` value in the commune's time zone."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M:%S")
