"""Errors of bulletins, broadcasts and playlists."""

from __future__ import annotations

from audio_library.errors import LoaxaError


class ScheduleError(LoaxaError):
    code = "schedule_error"
    http_status = 409
    message_vi = "Không thực hiện được thao tác lịch phát."


class BulletinNotFound(ScheduleError):
    code = "bulletin_not_found"
    http_status = 404
    message_vi = "Không tìm thấy bản tin."


class InvalidTransition(ScheduleError):
    code = "invalid_transition"
    message_vi = "Bản tin không ở trạng thái cho phép thao tác này."


class SelfApproval(ScheduleError):
    code = "self_approval"
    http_status = 403
    message_vi = "Không được tự duyệt bản tin do chính mình soạn."


class NotApproved(ScheduleError):
    code = "not_approved"
    message_vi = "Chỉ bản tin đã được duyệt mới được lên lịch phát."


class NotInValidity(ScheduleError):
    code = "outside_validity"
    http_status = 422
    message_vi = "Thời điểm phát nằm ngoài thời hạn hiệu lực của bản tin."


class InvalidValidityWindow(ScheduleError):
    code = "invalid_validity_window"
    http_status = 422
    message_vi = "Thời hạn hiệu lực không hợp lệ: ngày hết hiệu lực phải sau ngày bắt đầu."


class StartInPast(ScheduleError):
    code = "start_in_past"
    http_status = 422
    message_vi = "Thời điểm phát đã qua."


class PlaylistConflict(ScheduleError):
    code = "playlist_conflict"
    message_vi = "Lịch phát bị trùng giờ với một mục khác."
