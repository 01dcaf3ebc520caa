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


class InvalidSlot(ScheduleError):
    code = "invalid_slot"
    http_status = 422
    message_vi = "Khung giờ phát không hợp lệ."


class SlotOverlap(ScheduleError):
    code = "slot_overlap"
    http_status = 422
    message_vi = "Hai khung giờ phát của xã bị trùng nhau."


class QuietHoursViolation(ScheduleError):
    code = "quiet_hours"
    http_status = 422
    message_vi = "Thời điểm phát nằm trong giờ yên lặng; chỉ tin khẩn cấp được phát."


class InvalidRecurrence(ScheduleError):
    code = "invalid_recurrence"
    http_status = 422
    message_vi = "Quy tắc lặp lịch phát không hợp lệ."


class RepeatExceedsSlot(InvalidRecurrence):
    code = "repeat_exceeds_slot"
    message_vi = "Số lần phát lặp lại vượt quá khung giờ phát."


class SlotOverfull(ScheduleError):
    code = "slot_overfull"
    http_status = 422
    message_vi = "Khung giờ phát không đủ thời lượng cho tất cả các mục."

    def __init__(
        self, detail: str = "", *, message_vi: str | None = None, overflowing: tuple[tuple[str, float], ...] = ()
    ) -> None:
        super().__init__(detail, message_vi=message_vi)
        # (item_id, seconds its end passes the slot's end) of every item that does not fit, in slot order.
        self.overflowing = overflowing


class AudioMissing(ScheduleError):
    code = "audio_missing"
    http_status = 422
    message_vi = "Mục phát chưa có tệp âm thanh."


class UnknownTarget(ScheduleError):
    code = "unknown_target"
    http_status = 422
    message_vi = "Không tìm thấy địa bàn nhận tin (tỉnh, xã, nhóm thôn hoặc cụm loa)."


class ProgramOverlap(PlaylistConflict):
    code = "program_overlap"
    message_vi = "Chương trình bị trùng giờ với một chương trình khác trên cùng cụm loa."


class NotEmergency(ScheduleError):
    code = "not_emergency"
    http_status = 422
    message_vi = "Chỉ bản tin mức khẩn cấp mới được phát khẩn cấp."


class EmergencyNotFound(ScheduleError):
    code = "emergency_not_found"
    http_status = 404
    message_vi = "Không tìm thấy lệnh phát khẩn cấp."


class NotCleared(ScheduleError):
    """Audio that is not the approved content of the commune it would play in (`schedules.clearance`)."""

    code = "audio_not_cleared"
    http_status = 403
    message_vi = "Chỉ được phát âm thanh của bản tin đã được duyệt cho xã này."


class UnknownLegalField(ScheduleError):
    code = "unknown_legal_field"
    http_status = 422
    message_vi = "Lĩnh vực pháp luật không có trong danh mục."


class StockNotFound(ScheduleError):
    code = "stock_not_found"
    http_status = 404
    message_vi = "Không tìm thấy bản tin mẫu này trong thư viện."


class UnknownStockKey(ScheduleError):
    code = "unknown_stock_key"
    http_status = 422
    message_vi = (
        "Loại bản tin mẫu không hợp lệ (chỉ có: bão, lũ lụt, cháy, sơ tán, hết nguy hiểm, phát thử không tiếng)."
    )


class UnknownStockLanguage(ScheduleError):
    code = "unknown_stock_language"
    http_status = 422
    message_vi = "Ngôn ngữ này chưa có trong danh sách ngôn ngữ của thư viện bản tin mẫu."


class StockAudioMissing(ScheduleError):
    code = "stock_audio_missing"
    http_status = 422
    message_vi = "Bản tin mẫu chưa có âm thanh: hãy tạo giọng đọc hoặc tải lên bản ghi âm trước khi duyệt."


class StockNeedsRecording(ScheduleError):
    code = "stock_needs_recording"
    http_status = 422
    message_vi = "Không có bộ đọc ngoại tuyến nào đọc được ngôn ngữ này: hãy tải lên bản ghi âm do người đọc."


class StockOnAir(ScheduleError):
    code = "stock_on_air"
    http_status = 409
    message_vi = (
        "Bản tin mẫu này đang được phát khẩn cấp trên cụm loa: chưa thể thay đổi hay gỡ khỏi thư viện, "
        "hãy thử lại khi phát xong."
    )


class StockNotApproved(ScheduleError):
    code = "stock_not_approved"
    http_status = 422
    message_vi = "Bản tin mẫu này chưa được duyệt nên chưa có trên cụm loa."


class SeriesNotFound(ScheduleError):
    code = "series_not_found"
    http_status = 404
    message_vi = "Không tìm thấy bộ sách nói."


class ChapterNotInSeries(ScheduleError):
    code = "chapter_not_in_series"
    http_status = 404
    message_vi = "Bản tin này không phải là một chương của bộ sách nói."


class DuplicateChapter(ScheduleError):
    code = "duplicate_chapter"
    message_vi = "Bản tin này đã là một chương của bộ sách nói."


class ForeignChapter(ScheduleError):
    code = "foreign_chapter"
    http_status = 422
    message_vi = "Chỉ thêm được bản tin của cùng xã (hoặc của tỉnh, với bộ sách nói của xã) vào bộ sách nói này."


class InvalidChapterOrder(ScheduleError):
    code = "invalid_chapter_order"
    http_status = 422
    message_vi = "Thứ tự chương không hợp lệ: hãy liệt kê mỗi chương của bộ sách nói đúng một lần."


class TranslationNotFound(ScheduleError):
    code = "translation_not_found"
    http_status = 404
    message_vi = "Bản tin không có bản dịch bằng ngôn ngữ này."


class UnknownTranslationLanguage(ScheduleError):
    code = "unknown_translation_language"
    http_status = 422
    message_vi = "Ngôn ngữ này chưa có trong danh sách ngôn ngữ của hệ thống (hiện có: tiếng Việt, tiếng Khmer)."


class TranslationSameLanguage(ScheduleError):
    code = "translation_same_language"
    http_status = 422
    message_vi = "Bản dịch phải bằng ngôn ngữ khác với ngôn ngữ của chính bản tin."


class EmptyTranslation(ScheduleError):
    code = "empty_translation"
    http_status = 422
    message_vi = "Bản dịch trống: hãy nhập tiêu đề và nội dung, hoặc tải lên bản ghi âm."


class TranslationNeedsRecording(ScheduleError):
    code = "translation_needs_recording"
    http_status = 422
    message_vi = (
        "Không có bộ đọc nào đọc được ngôn ngữ này lúc này (khi mất mạng không có giọng đọc ngoại tuyến): "
        "hãy tải lên bản ghi âm do người đọc."
    )


class TranslationNotApproved(ScheduleError):
    code = "translation_not_approved"
    http_status = 422
    message_vi = "Bản tin chưa có bản bằng ngôn ngữ này được duyệt và có âm thanh: chưa đặt lịch phát riêng được."


class StreamSourceNotFound(ScheduleError):
    code = "stream_source_not_found"
    http_status = 404
    message_vi = "Không tìm thấy nguồn tiếp sóng."


class StreamSourceExists(ScheduleError):
    code = "stream_source_exists"
    http_status = 409
    message_vi = "Đã có nguồn tiếp sóng mang tên này."


class StreamSourceInUse(ScheduleError):
    code = "stream_source_in_use"
    http_status = 409
    message_vi = "Nguồn tiếp sóng đang được dùng trong chương trình phát; hãy gỡ khỏi chương trình trước."


class StreamUnreachable(ScheduleError):
    code = "stream_unreachable"
    http_status = 422
    message_vi = "Không kết nối được tới địa chỉ luồng phát; hãy kiểm tra địa chỉ và thử lại."


class StreamNotAudio(ScheduleError):
    code = "stream_not_audio"
    http_status = 422
    message_vi = "Địa chỉ này không phát âm thanh MP3, AAC hay Ogg/Opus; hãy nhập địa chỉ luồng phát thanh."


class InvalidRelay(ScheduleError):
    code = "invalid_relay"
    http_status = 422
    message_vi = "Mục tiếp sóng không hợp lệ."
