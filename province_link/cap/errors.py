"""Errors of CAP alert intake and confirmation: each has a Vietnamese reason for the province's staff."""

from __future__ import annotations

from province_link.errors import ItemRefused, SourceLinkError


class CapRefused(ItemRefused):
    """An authenticated CAP message that cannot be taken; it is kept as refused, with this reason."""

    code = "cap_alert_refused"
    http_status = 422
    message_vi = "Cảnh báo CAP không hợp lệ."


class CapSignatureInvalid(CapRefused):
    """The source signs its alerts (the province registered its certificate), and this one is not signed by it."""

    code = "cap_signature_invalid"
    http_status = 401
    message_vi = "Cảnh báo CAP thiếu chữ ký số XML hoặc chữ ký không hợp lệ với chứng thư của nguồn."


class CapTooLarge(SourceLinkError):
    code = "cap_alert_too_large"
    http_status = 413
    message_vi = "Cảnh báo CAP quá lớn."


class CapAlertNotFound(SourceLinkError):
    code = "cap_alert_not_found"
    http_status = 404
    message_vi = "Không tìm thấy cảnh báo CAP."


class CapAlertNotPending(SourceLinkError):
    code = "cap_alert_not_pending"
    http_status = 409
    message_vi = "Cảnh báo này không chờ xác nhận (đã phát, đã hủy, bị từ chối hoặc không được phát)."
