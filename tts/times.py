"""Reading clock times: ``14h30``, ``7h``, ``6h00``, ``13:04``, ``7h30-11h``.

A time is read ``<hours> giờ [<minutes> phút [<seconds> giây]]``; zero minutes are not
read (``6h00`` is ``sáu giờ``) and minutes keep no leading zero (``7h05`` is
``bảy giờ năm phút``). ``Nh`` without minutes may be a duration, so up to three hour
digits are accepted there (``72h`` is ``bảy mươi hai giờ``); with minutes or in the
``HH:MM`` shape the hour must be 0-24 and the minutes 0-59, otherwise the text is left
for the generic number reading. Two times joined by a dash are read ``A đến B``.
The south writes ``g`` for ``giờ``: ``19g30`` is a time like ``19h30``; ``17g`` alone is
one only beside a word of time (``lúc 17g``, ``5g sáng``), since ``500g`` is grams.
Written-out forms such as ``7 giờ 05 phút`` need no special rule: the generic number
reading already turns them into ``bảy giờ năm phút``.
"""

import re
from typing import Final

from tts.numbers import Dialect, read_cardinal

_CLOCK: Final = (
    r"[0-9]{1,3}[hH](?:[0-9]{2})?(?:ph|p|')?|[0-9]{1,2}g(?:[0-9]{2})?(?:ph|p|')?|[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?"
)
_TIME_RE: Final = re.compile(rf"(?=[0-9])(?<![\w.,:/])({_CLOCK})(?:\s*[-–]\s*({_CLOCK}))?(?![\w:]|[.,][0-9])")
_CLOCK_PARTS_RE: Final = re.compile(r"([0-9]{1,3})[hHg]([0-9]{2})?(?:ph|p|')?|([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")
# ``5g`` alone is as often five grams as five o'clock: it is a time only next to one of these words.
_BARE_G_BEFORE_RE: Final = re.compile(r"(?i)(?<![\w])(?:lúc|từ|đến|tới|vào|khoảng|trước|sau|hồi|và|hoặc|đúng|tầm)\s*$")
_BARE_G_AFTER_RE: Final = re.compile(r"(?i)\s*(?:[-–]|(?:sáng|trưa|chiều|tối|đêm|ngày|hôm|hằng|mỗi|cùng)(?![\w]))")
_BARE_G_LOOKBACK: Final = 12
_MAX_HOUR: Final = 24
_MAX_MINUTE: Final = 59


def read_clock(hours: int, minutes: int = 0, seconds: int = 0, dialect: Dialect = "north") -> str:
    """Read a time of day: ``read_clock(14, 30)`` is ``mười bốn giờ ba mươi phút``."""
    words = f"{read_cardinal(hours, dialect)} giờ"
    if minutes or seconds:
        words += f" {read_cardinal(minutes, dialect)} phút"
    if seconds:
        words += f" {read_cardinal(seconds, dialect)} giây"
    return words


def _parse_clock(written: str) -> tuple[int, int, int] | None:
    """Hours, minutes and seconds of one written time, or None when it is not a time."""
    parts = _CLOCK_PARTS_RE.fullmatch(written)
    if parts is None:
        return None
    if parts.group(1) is not None:
        hours = int(parts.group(1))
        if parts.group(2) is None:
            return hours, 0, 0
        minutes, seconds = int(parts.group(2)), 0
    else:
        hours, minutes = int(parts.group(3)), int(parts.group(4))
        seconds = int(parts.group(5)) if parts.group(5) is not None else 0
    if hours > _MAX_HOUR or minutes > _MAX_MINUTE or seconds > _MAX_MINUTE:
        return None
    return hours, minutes, seconds


def _is_bare_g(written: str) -> bool:
    return written.endswith("g")


def _bare_g_is_time(match: re.Match[str]) -> bool:
    """Whether ``Ng`` (the southern way of writing ``Nh``) stands where a time of day would."""
    text, start = match.string, match.start()
    before = text[max(0, start - _BARE_G_LOOKBACK) : start]
    if _BARE_G_BEFORE_RE.search(before):
        return True
    return bool(_BARE_G_AFTER_RE.match(text, match.end()))


def expand_times(text: str, dialect: Dialect = "north") -> str:
    """Replace written clock times (and dash ranges of them) with their spoken form."""

    def replace(match: re.Match[str]) -> str:
        first = _parse_clock(match.group(1))
        if first is None or (_is_bare_g(match.group(1)) and not _bare_g_is_time(match)):
            return match.group(0)
        spoken = read_clock(*first, dialect=dialect)
        if match.group(2) is None:
            return spoken
        second = _parse_clock(match.group(2))
        if second is None:
            return match.group(0)
        return f"{spoken} đến {read_clock(*second, dialect=dialect)}"

    return _TIME_RE.sub(replace, text)
