"""Errors of live broadcasts, each with its Vietnamese message and stable code."""

from __future__ import annotations

from controller.errors import Conflict, ControllerError, Forbidden, InvalidInput, NotFound


class LiveNotPermitted(Forbidden):
    code = "live_not_permitted"
    message_vi = "Bạn chưa được cấp quyền phát trực tiếp ở địa bàn này."


class LivePreemptNotPermitted(Forbidden):
    code = "live_preempt_not_permitted"
    message_vi = "Bạn không có quyền ngắt chương trình đang phát (phát khẩn cấp hoặc phát chen ngang)."


class LiveBusy(Conflict):
    code = "live_busy"
    message_vi = "Xã đang có người khác phát trực tiếp; vui lòng chờ họ kết thúc."


class LiveSessionNotFound(NotFound):
    code = "live_session_not_found"
    message_vi = "Không tìm thấy phiên phát trực tiếp."


class LiveSessionEnded(Conflict):
    code = "live_session_ended"
    message_vi = "Phiên phát trực tiếp đã kết thúc."


class LiveTargetMissing(InvalidInput):
    code = "live_target_missing"
    message_vi = "Phải chọn nơi phát: xã, nhóm thôn, cụm loa hoặc tỉnh."


class LiveUnavailable(ControllerError):
    code = "live_unavailable"
    http_status = 503
    message_vi = "Máy chủ chưa bật phát trực tiếp (chưa có máy chủ luồng Icecast)."
