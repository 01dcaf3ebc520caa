"""What people read for the codes the system stores: roles, bulletin states, priorities, outcomes."""

from __future__ import annotations

from devices.proof_of_play import FLAG_LABELS

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

DEVICE_STATES = {
    "online": "Đang hoạt động",
    "degraded": "Có sự cố",
    "offline": "Mất kết nối",
    "unknown": "Chưa kết nối",
}

# A letter on the map next to the colour, so that a state is never told by colour alone.
STATE_LETTERS = {"online": "H", "degraded": "S", "offline": "M", "unknown": "?"}

PROBLEMS = {
    "amplifier_fault": "Bộ khuếch đại lỗi",
    "speaker_line": "Đường dây loa hở/chập",
    "low_storage": "Bộ nhớ sắp đầy",
    "clock_drift": "Lệch đồng hồ",
    "high_temperature": "Nhiệt độ cao",
}

ALERT_SEVERITIES = {"critical": "Nghiêm trọng", "warning": "Cảnh báo"}

AMPLIFIER = {"ok": "Bình thường", "fault": "Lỗi"}

SPEAKER_LINE = {"ok": "Bình thường", "open": "Hở mạch", "short": "Chập mạch", "unknown": "Không rõ"}

NETWORK_TYPES = {"4g": "4G", "3g": "3G", "wifi": "Wi-Fi", "ethernet": "Mạng dây (Ethernet)", "unknown": "Không rõ"}

PLAY_OUTCOMES = {"played": "Đã phát", "missed": "Bỏ lỡ", "failed": "Lỗi phát"}

# Why a play report is not counted as proof of play (devices/proof_of_play.py).
PLAY_FLAGS = FLAG_LABELS

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
    "device.update": "Sửa thông tin cụm loa",
    "device.revoke": "Thu hồi cụm loa",
    "hamlet.add": "Thêm ấp/thôn",
    "user.create": "Tạo người dùng",
    "user.password_change": "Đổi mật khẩu",
    "user.password_reset": "Đặt lại mật khẩu người dùng",
    "user.logout_all": "Đăng xuất khỏi mọi nơi",
    "user.deactivate": "Khoá tài khoản",
    "user.activate": "Mở khoá tài khoản",
    "user.delete": "Xoá người dùng",
    "source.register": "Đăng ký hệ thống nguồn",
    "source.item": "Nhận bản tin từ hệ thống nguồn",
    "source.approval": "Đặt duyệt tại nguồn",
    "source.approve": "Duyệt tại nguồn",
}

SOURCE_OUTCOMES = {"accepted": "Đã nhận", "duplicate": "Gửi lặp (đã có)", "refused": "Bị từ chối"}
