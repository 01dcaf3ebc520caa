"""Errors of the audio library, and `LoaxaError`, the root of every loaxa error.

The root lives here because audio_library is the lowest layer: every other package may import it.
"""

from __future__ import annotations


class LoaxaError(Exception):
    """Base of every error loaxa raises on purpose.

    `code` is stable for programs; `message_vi` is what a person reads (the web layer shows it);
    `http_status` is how the API reports it.
    """

    code = "loaxa_error"
    http_status = 500
    message_vi = "Đã có lỗi xảy ra."

    def __init__(self, detail: str = "", *, message_vi: str | None = None) -> None:
        super().__init__(detail or self.code)
        self.detail = detail
        if message_vi is not None:
            self.message_vi = message_vi


class AudioError(LoaxaError):
    code = "audio_error"
    http_status = 422
    message_vi = "Không xử lý được tệp âm thanh."


class AudioToolMissing(AudioError):
    code = "audio_tool_missing"
    http_status = 503
    message_vi = "Máy chủ thiếu công cụ xử lý âm thanh (ffmpeg)."


class InvalidAudio(AudioError):
    code = "invalid_audio"
    message_vi = "Tệp âm thanh bị hỏng hoặc không đúng định dạng."


class AssetNotFound(AudioError):
    code = "asset_not_found"
    http_status = 404
    message_vi = "Không tìm thấy tệp âm thanh."


class UnsupportedAudioFormat(InvalidAudio):
    code = "unsupported_audio_format"
    http_status = 415
    message_vi = "Định dạng tệp không được hỗ trợ; hãy dùng MP3, WAV, M4A hoặc OGG."


class AudioTooLong(InvalidAudio):
    code = "audio_too_long"
    message_vi = "Tệp âm thanh dài quá giới hạn cho phép."


class AudioTooLarge(InvalidAudio):
    code = "audio_too_large"
    http_status = 413
    message_vi = "Tệp âm thanh vượt quá dung lượng cho phép."


class SilentAudio(InvalidAudio):
    code = "silent_audio"
    message_vi = "Tệp âm thanh không có tiếng (chỉ có khoảng lặng)."
