"""Errors of the device registry and the MQTT link."""

from __future__ import annotations

from audio_library.errors import LoaxaError


class DeviceError(LoaxaError):
    code = "device_error"
    http_status = 400
    message_vi = "Lỗi thiết bị."


class UnknownCommune(DeviceError):
    code = "unknown_commune"
    http_status = 404
    message_vi = "Không tìm thấy xã."


class UnknownProvince(DeviceError):
    code = "unknown_province"
    http_status = 404
    message_vi = "Không tìm thấy tỉnh."


class UnknownDevice(DeviceError):
    code = "unknown_device"
    http_status = 404
    message_vi = "Không tìm thấy cụm loa."


class UnknownHamlet(DeviceError):
    code = "unknown_hamlet"
    http_status = 422
    message_vi = "Không tìm thấy ấp/thôn này trong xã."


class InvalidClusterMetadata(DeviceError):
    code = "invalid_cluster_metadata"
    http_status = 422
    message_vi = "Thông tin cụm loa không hợp lệ."


class DuplicateCode(DeviceError):
    code = "duplicate_code"
    http_status = 409
    message_vi = "Mã này đã được dùng."


class InvalidCode(DeviceError):
    code = "invalid_code"
    http_status = 422
    message_vi = "Mã chỉ gồm chữ không dấu, số, dấu chấm, gạch ngang hoặc gạch dưới (tối đa 64 ký tự)."


class BrokerUnavailable(DeviceError):
    code = "broker_unavailable"
    http_status = 503
    message_vi = "Không kết nối được máy chủ MQTT."


class UnknownAlert(DeviceError):
    code = "unknown_alert"
    http_status = 404
    message_vi = "Không tìm thấy cảnh báo."


class ContentServerUnavailable(DeviceError):
    code = "content_server_unavailable"
    http_status = 503
    message_vi = "Không khởi động được máy chủ tệp (nginx); cụm loa tải nội dung qua bộ điều khiển."


class StreamServerUnavailable(DeviceError):
    code = "stream_server_unavailable"
    http_status = 503
    message_vi = "Máy chủ phát luồng (Icecast) không chạy được."
