"""Errors of speech synthesis."""

from __future__ import annotations

from audio_library.errors import LoaxaError


class TtsError(LoaxaError):
    code = "tts_error"
    http_status = 422
    message_vi = "Không chuyển được văn bản thành giọng nói."


class SynthesisFailed(TtsError):
    code = "synthesis_failed"
    http_status = 502
    message_vi = "Bộ đọc văn bản gặp lỗi, chưa tạo được âm thanh."


class TextRejected(TtsError):
    code = "text_rejected"
    message_vi = "Văn bản trống hoặc quá dài để đọc."
