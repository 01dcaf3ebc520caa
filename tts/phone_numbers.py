"""Reading telephone numbers and hotlines digit by digit.

Rules:

* A phone number is a run starting with ``0`` (or ``+84``) with 10-11 digits in all,
  written in groups separated by spaces, dots or dashes (``0290 3831 234``,
  ``0912.345.678``) or unseparated (``0912345678``); or a ``1900``/``1800`` service
  number (``1900 1234``). Every digit is read; each written group is followed by a
  comma, which the speech engine turns into a short pause:
  ``không hai chín không, ba tám ba một, hai ba bốn``. Unseparated numbers are grouped
  4-3-3 (10 digits) or 4-4-3 (11 digits). ``+84`` is read ``cộng tám tư``.
* Emergency numbers 111, 112, 113, 114 and 115 are read digit by digit (``một một ba``),
  the way announcers say hotlines, when they look like a hotline:

  - right after a cue such as ``số``, ``gọi``, ``gọi ngay``, ``đường dây nóng``,
    ``tổng đài``, ``hotline``, ``quay số``, ``bấm số``, ``liên hệ``, ``báo``, or the
    name of the service (``Cảnh sát 113``, ``Cứu hỏa 114``, ``Cấp cứu 115``);
  - up to eight words after a strong cue (``gọi``, ``tổng đài``, ``đường dây nóng``,
    ``hotline``, ``quay số``, ``bấm số``) in the same clause (``Tổng đài quốc gia bảo
    vệ trẻ em 111``);
  - as a list after such a cue (``gọi 113, 114 hoặc 115``);
  - alone in parentheses (``(113)``).

  A counted noun right after the number makes it a quantity even then (``tổng đài đã
  nhận 113 cuộc gọi``), and so does no cue at all (``113 hộ`` -> ``một trăm mười ba
  hộ``). ``tổng số``, ``kêu gọi``, ``thông báo`` and ``báo cáo`` are no cues.
* Any other 3-5 digit number right after ``đường dây nóng``, ``tổng đài`` or
  ``hotline`` is read digit by digit as well (``tổng đài 1022``).
"""

import re
from typing import Final

from tts.numbers import read_digits

_END: Final = r"(?![\w]|[.,-]?[0-9])"
_GROUPED_RE: Final = re.compile(r"(?=[+0])(?<![\w.,+])(\+84|0[0-9]{2,3})((?:[ .-][0-9]{2,4}){1,4})" + _END)
_COMPACT_RE: Final = re.compile(r"(?=[+0])(?<![\w.,+])(\+84|0)([0-9]{9,10})" + _END)
_SERVICE_RE: Final = re.compile(r"(?=1)(?<![\w.,])(1[89]00)((?:[ .]?[0-9]{3,4}){1,2})" + _END)
_GROUP_RE: Final = re.compile(r"([ .-])([0-9]+)")
_SEPARATORS_RE: Final = re.compile(r"[ .\-]+")
_DIGIT_RUN_RE: Final = re.compile(r"[0-9]+")

_EMERGENCY: Final = r"11[1-5]"
_EMERGENCY_RE: Final = re.compile(
    rf"(?=1)(?<![\w.,/])({_EMERGENCY}(?:(?:\s*,\s*|\s+(?:và|hoặc|,)\s+){_EMERGENCY})*)(?![\w]|[.,/:][0-9])"
)
_EMERGENCY_CUE_RE: Final = re.compile(
    r"(?i)(?<![\w])(?:(?<!kêu\s)gọi(?:\s+điện(?:\s+thoại)?)?|(?<!tổng\s)số(?:\s+điện\s+thoại)?"
    r"|đường\s+dây\s+nóng|tổng\s+đài|hotline|quay(?:\s+số)?|bấm(?:\s+số)?|liên\s+hệ|(?<!thông\s)báo"
    r"|cảnh\s+sát|cứu\s+hỏa|cứu\s+hoả|cấp\s+cứu|cứu\s+nạn|cứu\s+hộ|chữa\s+cháy)"
    r"(?:\s+(?:ngay|khẩn\s+cấp|đến|tới|cho|số|điện\s+thoại|là|cấp\s+cứu|cứu\s+hỏa|cứu\s+hộ"
    r"|công\s+an|cảnh\s+sát))*\s*:?\s*$"
)
_FAR_CUE_RE: Final = re.compile(
    r"(?i)(?<![\w])(?:(?<!kêu\s)gọi|đường\s+dây\s+nóng|tổng\s+đài|hotline|quay\s+số|bấm\s+số)"
    r"(?:\s+[^\W\d_]+){1,8}\s*:?\s*$"
)
_FAR_LOOKBACK: Final = 80
# Nouns that make the number before them a count, not a hotline (``113 hộ``).
_COUNTED_NOUN_RE: Final = re.compile(
    r"\s+(?:hộ|người|cuộc|lượt|lần|vụ|trường\s+hợp|ca|xã|thôn|ấp|em|học\s+sinh|con|chiếc|cái|nhà|tấn|triệu"
    r"|tỷ|nghìn|ngàn|đồng|ngày|tháng|năm|giờ|phút|km|ha|mét|m|kg)(?![\w])",
    re.IGNORECASE,
)
_HOTLINE_RE: Final = re.compile(r"(?=[0-9])(?<![\w.,/])([0-9]{3,5})(?![\w]|[.,/:][0-9])")
_HOTLINE_CUE_RE: Final = re.compile(r"(?i)(?<![\w])(?:đường\s+dây\s+nóng|tổng\s+đài|hotline)(?:\s+(?:số|là))*\s*:?\s*$")
_LOOKBACK: Final = 40

_LOCAL_LENGTHS: Final = (10, 11)
_SERVICE_LENGTHS: Final = (8, 10)
_COMPACT_GROUPS: Final[dict[int, tuple[int, ...]]] = {
    8: (4, 4),
    9: (3, 3, 3),
    10: (4, 3, 3),
    11: (4, 4, 3),
}


def _read_groups(groups: list[str]) -> str:
    return ", ".join(read_digits(group) for group in groups if group)


def _split(digits: str) -> list[str]:
    sizes = _COMPACT_GROUPS.get(len(digits), (len(digits),))
    groups: list[str] = []
    position = 0
    for size in sizes:
        groups.append(digits[position : position + size])
        position += size
    return groups


def read_phone_number(written: str) -> str:
    """Read a phone number digit by digit, pausing (comma) between its written groups."""
    prefix = ""
    if written.startswith("+84"):
        prefix = "cộng tám tư, "
        written = written[3:]
    groups = [group for group in _SEPARATORS_RE.split(written.strip()) if group]
    if len(groups) == 1:
        groups = _split(groups[0])
    return prefix + _read_groups(groups)


def _digit_count(head: str, groups: list[str]) -> int:
    local_head = "0" if head == "+84" else head
    return len(local_head) + sum(len(group) for group in groups)


def expand_phone_numbers(text: str) -> str:
    """Replace phone and service numbers with their digit-by-digit reading."""

    def grouped(match: re.Match[str]) -> str:
        head = match.group(1)
        pieces = _GROUP_RE.findall(match.group(2))
        for count in range(len(pieces), 0, -1):
            groups = [digits for _, digits in pieces[:count]]
            if _digit_count(head, groups) in _LOCAL_LENGTHS:
                rest = "".join(sep + digits for sep, digits in pieces[count:])
                return read_phone_number(" ".join([head, *groups])) + rest
        return match.group(0)

    def compact(match: re.Match[str]) -> str:
        head, digits = match.group(1), match.group(2)
        if head == "+84":
            return "cộng tám tư, " + _read_groups(_split(digits))
        if len(head + digits) not in _LOCAL_LENGTHS:
            return match.group(0)
        return _read_groups(_split(head + digits))

    def service(match: re.Match[str]) -> str:
        groups = [match.group(1), *_SEPARATORS_RE.split(match.group(2).strip())]
        groups = [group for group in groups if group]
        if sum(len(group) for group in groups) not in _SERVICE_LENGTHS:
            return match.group(0)
        return _read_groups(groups)

    text = _GROUPED_RE.sub(grouped, text)
    text = _COMPACT_RE.sub(compact, text)
    return _SERVICE_RE.sub(service, text)


def _is_parenthesised(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - _LOOKBACK) : start].rstrip()
    return before.endswith("(") and text[end : end + _LOOKBACK].lstrip().startswith(")")


def expand_hotlines(text: str) -> str:
    """Read emergency and hotline numbers digit by digit when the context says so."""

    def emergency(match: re.Match[str]) -> str:
        text, start, end = match.string, match.start(), match.end()
        if _COUNTED_NOUN_RE.match(text, end):
            return match.group(0)
        before = text[max(0, start - _LOOKBACK) : start]
        cued = _EMERGENCY_CUE_RE.search(before) or _FAR_CUE_RE.search(text, max(0, start - _FAR_LOOKBACK), start)
        if not (cued or _is_parenthesised(text, start, end)):
            return match.group(0)
        return _DIGIT_RUN_RE.sub(lambda number: read_digits(number.group(0)), match.group(0))

    def hotline(match: re.Match[str]) -> str:
        before = match.string[max(0, match.start() - _LOOKBACK) : match.start()]
        if not _HOTLINE_CUE_RE.search(before):
            return match.group(0)
        return read_digits(match.group(1))

    if "11" in text:
        text = _EMERGENCY_RE.sub(emergency, text)
    return _HOTLINE_RE.sub(hotline, text)
