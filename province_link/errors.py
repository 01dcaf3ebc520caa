"""Errors of the link with the province's source information system."""

from __future__ import annotations

from audio_library.errors import LoaxaError


class SourceLinkError(LoaxaError):
    code = "source_link_error"
    http_status = 400
    message_vi = "Không nhận được bản tin từ hệ thống thông tin nguồn."


class SourceNotAuthenticated(SourceLinkError):
    """Unknown source, revoked source, missing or wrong signature: nothing is stored."""

    code = "source_not_authenticated"
    http_status = 401
    message_vi = "Hệ thống nguồn không được xác thực: chữ ký không hợp lệ hoặc nguồn chưa được đăng ký."


class ItemRefused(SourceLinkError):
    """An authenticated delivery that cannot be taken; it is kept as refused, with this reason, for staff."""

    code = "source_item_refused"
    http_status = 422
    message_vi = "Bản tin từ nguồn không hợp lệ."


class StaleDelivery(ItemRefused):
    code = "source_delivery_stale"
    http_status = 409
    message_vi = "Bản tin gửi lại quá cũ hoặc đã được nhận (gửi lặp)."


class VersionConflict(ItemRefused):
    code = "source_version_conflict"
    http_status = 409
    message_vi = "Phiên bản này của bản tin đã được nhận với nội dung khác, hoặc đã có phiên bản mới hơn."
