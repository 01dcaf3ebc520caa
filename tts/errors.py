"""Errors of speech synthesis.

What a fallback over several engines should do with each:

- `TextRejected`: the text itself is unusable (empty, too long). Every engine would refuse it, so the fallback
  must NOT try another engine; the person who wrote the bulletin has to fix it.
- `LanguageUnsupported`: this engine cannot speak the requested language (espeak-ng has no Khmer voice).
  Another engine may; try the next one.
- `EngineUnavailable`: this engine could not produce speech for this request: network or service failure after
  the bounded retries, a timeout, a missing or crashing program. Another engine may; try the next one.
- `SynthesisFailed`: the base of engine-side failures (`EngineUnavailable` is one). Engines raise
  `EngineUnavailable` for everything a fallback should react to, so catching either works.
"""

from __future__ import annotations

from audio_library.errors import LoaxaError


class TtsError(LoaxaError):
    code = "tts_error"
    http_status = 422
    message_vi = "Không chuyển được văn bản thành giọng nói."


class SynthesisFailed(TtsError):
    """The engine failed; the text may be fine (see `EngineUnavailable`)."""

    code = "synthesis_failed"
    http_status = 502
    message_vi = "Bộ đọc văn bản gặp lỗi, chưa tạo được âm thanh."


class EngineUnavailable(SynthesisFailed):
    """The engine cannot serve this request now (network, service, timeout, missing program): fall back."""

    code = "engine_unavailable"
    http_status = 503
    message_vi = "Bộ đọc văn bản tạm thời không hoạt động (mất mạng hoặc dịch vụ không phản hồi)."


class LanguageUnsupported(TtsError):
    """The engine has no voice for the requested language: another engine may have one."""

    code = "language_unsupported"
    http_status = 422
    message_vi = "Bộ đọc văn bản này không có giọng cho ngôn ngữ đã chọn."


class TextRejected(TtsError):
    """The text itself cannot be spoken (empty, too long): no other engine will do better, do not fall back."""

    code = "text_rejected"
    message_vi = "Văn bản trống hoặc quá dài để đọc."


class NoSpeechEngine(TtsError):
    """Every configured engine was skipped (each reason is in the detail)."""

    code = "no_speech_engine"
    http_status = 503
    message_vi = "Không bộ đọc nào tạo được âm thanh (mất mạng và không có giọng đọc ngoại tuyến phù hợp)."


class InvalidLexiconEntry(TtsError):
    code = "invalid_lexicon_entry"
    http_status = 422
    message_vi = "Mục từ viết tắt không hợp lệ."


class DuplicateLexiconEntry(TtsError):
    code = "duplicate_lexicon_entry"
    http_status = 409
    message_vi = "Chữ viết tắt này đã có trong từ điển."
