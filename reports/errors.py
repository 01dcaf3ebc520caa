"""Errors of reports and the as-run log."""

from __future__ import annotations

from audio_library.errors import LoaxaError


class ReportError(LoaxaError):
    code = "report_error"
    http_status = 422
    message_vi = "Không lập được báo cáo."


class InvalidPeriod(ReportError):
    """An empty, reversed, too long or future period."""

    code = "invalid_period"
    message_vi = "Khoảng thời gian báo cáo không hợp lệ."
