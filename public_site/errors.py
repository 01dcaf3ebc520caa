"""What the public site refuses, with the Vietnamese a villager reads."""

from __future__ import annotations

import math

from audio_library.errors import LoaxaError


class PublicSiteError(LoaxaError):
    code = "public_site_error"


class PublicNotFound(PublicSiteError):
    """No such commune or bulletin on the public site: unknown, not public, not approved, not aired, or
    another place's. The same answer for each, so an id tells nothing about what is behind it."""

    code = "not_found"
    http_status = 404
    message_vi = "Không tìm thấy bản tin hoặc trang này trên trang nghe lại."


class InvalidPublicQuery(PublicSiteError):
    code = "invalid_request"
    http_status = 422
    message_vi = "Yêu cầu tìm kiếm không hợp lệ."


class PageOutOfRange(PublicSiteError):
    code = "not_found"
    http_status = 404
    message_vi = "Không có trang này trong danh sách bản tin."


class TooManyRequests(PublicSiteError):
    code = "too_many_requests"
    http_status = 429
    message_vi = "Có quá nhiều yêu cầu từ địa chỉ của bạn. Vui lòng thử lại sau ít phút."

    def __init__(self, retry_after_s: float) -> None:
        seconds = max(1, math.ceil(retry_after_s))
        super().__init__(
            f"public site: too many requests, retry after {seconds} s",
            message_vi=f"Có quá nhiều yêu cầu từ địa chỉ của bạn. Vui lòng thử lại sau {seconds} giây.",
        )
        self.retry_after_s = seconds
        self.headers = {"Retry-After": str(seconds)}
