"""What people read for the codes the system stores: roles, bulletin states, priorities, outcomes."""

from __future__ import annotations

ROLES = {
    "admin": "Quản trị viên",
    "monitor": "Giám sát cấp tỉnh",
    "officer": "Cán bộ biên tập xã",
    "approver": "Người duyệt",
}

BULLETIN_STATUSES = {
    "draft": "Bản nháp",
    "pending": "Chờ duyệt",
    "approved": "Đã duyệt",
    "rejected": "Bị từ chối",
}

PRIORITIES = {
    "normal": "Thông thường",
    "priority": "Ưu tiên",
    "emergency": "Khẩn cấp",
}

DIALECTS = {"north": "Giọng miền Bắc", "south": "Giọng miền Nam"}

LANGUAGES = {"vi": "Tiếng Việt", "km": "Tiếng Khmer"}

DEVICE_STATES = {"online": "Đang hoạt động", "offline": "Mất kết nối", "unknown": "Chưa kết nối"}

PLAY_OUTCOMES = {"played": "Đã phát", "missed": "Bỏ lỡ", "failed": "Lỗi phát"}

AUDIO_SOURCES = {"speech": "Giọng đọc tự động", "recording": "Bản ghi âm tải lên"}


def label(table: dict[str, str], code: object) -> str:
    """The Vietnamese label, or the code itself for a value this release does not know."""
    return table.get(str(code), str(code))


AUDIT_ACTIONS = {
    "bulletin.create": "Soạn bản tin",
    "bulletin.submit": "Gửi duyệt",
    "bulletin.edit": "Sửa bản tin",
    "bulletin.approve": "Duyệt bản tin",
    "bulletin.reject": "Từ chối bản tin",
    "bulletin.recording": "Tải lên bản ghi âm",
    "bulletin.recording_removed": "Bỏ bản ghi âm",
    "broadcast.create": "Lên lịch phát",
    "broadcast.cancel": "Huỷ lịch phát",
    "emergency.issue": "Phát khẩn cấp",
    "emergency.cancel": "Kết thúc phát khẩn cấp",
    "chime.set": "Đặt nhạc hiệu",
    "chime.remove": "Bỏ nhạc hiệu",
    "lexicon.add": "Thêm chữ viết tắt",
    "lexicon.delete": "Xoá chữ viết tắt",
    "device.add": "Thêm cụm loa",
    "user.create": "Tạo người dùng",
}
