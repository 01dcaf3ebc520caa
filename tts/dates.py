"""Reading calendar dates the way a Vietnamese radio announcer does.

Reading decisions:

* A date is read ``ngày <day> tháng <month> năm <year>``. ``ngày`` is added only when
  the text does not already say ``ngày``, ``mồng`` or ``mùng`` right before the date,
  so ``ngày 01/8/2022`` never becomes ``ngày ngày``.
* Days 1-10 are read with ``mồng`` (``ngày mồng một``), the usual announcer style.
  When the text itself says ``mồng``/``mùng``, that word is kept and not doubled.
* Solar months are read as numbers: ``tháng một`` ... ``tháng mười hai``, month 4 being
  ``tháng tư``. ``tháng Giêng``/``tháng Chạp`` belong to the lunar calendar and are
  never produced.
* Years are plain cardinals: 2022 is ``hai nghìn không trăm hai mươi hai``.
* ``d/m/yyyy`` (also written with ``.`` or ``-``) and ``m/yyyy`` are dates whenever
  their values are valid. After ``số``, ``n/yyyy`` is a document number instead
  (``số 113/2024`` -> ``số một trăm mười ba năm hai nghìn ...``), and after ``quý`` it
  is a quarter.
* A bare ``d/m`` is a date only in a date context: right after ``ngày``, ``mồng``,
  ``mùng``, ``hôm``, a part of the day (``sáng``, ``trưa``, ``chiều``, ``tối``,
  ``đêm``), ``từ``, ``đến``, ``hết``, ``trước``, ``sau``, ``vào``, ``dịp``, ``lễ``,
  a street name (``đường 30/4``, ``phố``), a weekday (``thứ 2,``, ``chủ nhật``), or
  inside parentheses ``(14/7)``; or when a dash and a full date follow it
  (``1/1-31/12/2025``). A dash range of two such dates needs the context before the
  first one (``dịp 30/4 - 1/5``). Anything else, such as ``hoạt động 24/7``, is left
  to the generic reading (``hai mươi tư trên bảy``).
"""

import calendar
import re
from typing import Final

from tts.numbers import Dialect, read_cardinal

MONTH_WORDS: Final[dict[int, str]] = {
    1: "một",
    2: "hai",
    3: "ba",
    4: "tư",
    5: "năm",
    6: "sáu",
    7: "bảy",
    8: "tám",
    9: "chín",
    10: "mười",
    11: "mười một",
    12: "mười hai",
}

_MIN_YEAR: Final = 1000
_MAX_YEAR: Final = 2999
_LAST_MOI_DAY: Final = 10
_LEAP_YEAR: Final = 2024

_END: Final = r"(?![\w]|[./-][0-9])"
_DATE_RANGE_RE: Final = re.compile(
    r"(?<![\w./,])([0-9]{1,2})/([0-9]{1,2})(?:/([0-9]{4}))?\s*[-–]\s*"
    r"([0-9]{1,2})/([0-9]{1,2})(?:/([0-9]{4}))?" + _END
)
_DAY_RANGE_RE: Final = re.compile(r"(?<![\w./,])([0-9]{1,2})\s*[-–]\s*([0-9]{1,2})/([0-9]{1,2})(?:/([0-9]{4}))?" + _END)
_FULL_DATE_RE: Final = re.compile(r"(?<![\w./,])([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]{4})" + _END)
_MONTH_YEAR_RE: Final = re.compile(r"(?<![\w./,])([0-9]{1,5})/([0-9]{4})" + _END)
_DAY_MONTH_RE: Final = re.compile(r"(?<![\w./,])([0-9]{1,2})/([0-9]{1,2})(?![\w/]|[.,-][0-9])")
_MONTH_RE: Final = re.compile(r"(?<![\w])(tháng|Tháng|THÁNG)\s+([0-9]{1,2})(?![\w]|[.,/][0-9])")
_DAY_WORD_RE: Final = re.compile(
    r"(?<![\w])(ngày|Ngày|NGÀY|mồng|Mồng|mùng|Mùng)\s+([0-9]{1,2})"
    r"(?=\s+tháng|\s*[,.;:)]|\s*$|\s+(?:và|đến|hoặc|hằng|hàng)(?![\w])|\s*[-–])"
)

_DAY_LEAD_RE: Final = re.compile(r"(?i)(?<![\w])(ngày|mồng|mùng)\s*$")
_DATE_CONTEXT_RE: Final = re.compile(
    r"(?i)(?:(?<![\w])(?:ngày|mồng|mùng|hôm|sáng|trưa|chiều|tối|đêm|từ|đến|hết|trước|sau|vào"
    r"|dịp|lễ|đường|phố|nhật|thứ\s+(?:hai|ba|tư|năm|sáu|bảy|[2-7]))\s*,?\s*)$"
)
_STREET_BEFORE_RE: Final = re.compile(r"(?i)(?<![\w])(?:đường|phố)\s*$")
_SO_BEFORE_RE: Final = re.compile(r"(?i)(?<![\w])số\s*:?\s*$")
_QUARTER_BEFORE_RE: Final = re.compile(r"(?i)(?<![\w])quý\s*$")
_MONTH_BEFORE_RE: Final = re.compile(r"(?i)(?<![\w])tháng\s*$")
_LOOKBACK: Final = 24


def is_valid_date(day: int, month: int, year: int | None = None) -> bool:
    """Whether day/month(/year) is a real calendar date (29/2 passes without a year)."""
    if not 1 <= month <= 12:
        return False
    if year is not None and not _MIN_YEAR <= year <= _MAX_YEAR:
        return False
    last_day = calendar.monthrange(year if year is not None else _LEAP_YEAR, month)[1]
    return 1 <= day <= last_day


def read_day(day: int, dialect: Dialect = "north") -> str:
    """Read a day of the month, with ``mồng`` for days 1-10 (``mồng năm``)."""
    words = read_cardinal(day, dialect)
    return f"mồng {words}" if day <= _LAST_MOI_DAY else words


def read_month(month: int) -> str:
    """Read a solar month number as spoken after ``tháng`` (4 is ``tư``)."""
    return MONTH_WORDS[month]


def read_date(
    day: int,
    month: int,
    year: int | None = None,
    dialect: Dialect = "north",
    lead: str = "",
) -> str:
    """Read a date; ``lead`` is the word already before it (``ngày``, ``mồng``) or ``""``.

    With ``lead=""`` the result starts with ``ngày``; after ``ngày`` it starts with the
    day (``mồng một``); after ``mồng``/``mùng`` with the bare day number.
    """
    if lead in ("mồng", "mùng"):
        day_words = read_cardinal(day, dialect)
    elif lead == "ngày":
        day_words = read_day(day, dialect)
    else:
        day_words = "ngày " + read_day(day, dialect)
    words = f"{day_words} tháng {read_month(month)}"
    if year is not None:
        words += f" năm {read_cardinal(year, dialect)}"
    return words


def _before(text: str, start: int) -> str:
    return text[max(0, start - _LOOKBACK) : start]


def _lead_word(text: str, start: int) -> str:
    """The day word (``ngày``/``mồng``/``mùng``) the text puts right before ``start``.

    A street named after a date (``đường 30/4``) takes the bare day number, as after
    ``mồng``: ``đường ba mươi tháng tư``.
    """
    before = _before(text, start)
    found = _DAY_LEAD_RE.search(before)
    if found:
        return found.group(1).lower()
    return "mồng" if _STREET_BEFORE_RE.search(before) else ""


def _in_date_context(text: str, start: int, end: int) -> bool:
    before = _before(text, start)
    if _DATE_CONTEXT_RE.search(before):
        return True
    return before.rstrip().endswith("(") and text[end : end + 2].lstrip().startswith(")")


def _optional_int(value: str | None) -> int | None:
    return int(value) if value is not None else None


def expand_dates(text: str, dialect: Dialect = "north") -> str:
    """Replace written dates, months and days with their spoken form."""

    def date_range(match: re.Match[str]) -> str:
        day1, month1, day2, month2 = (int(match.group(i)) for i in (1, 2, 4, 5))
        year1, year2 = _optional_int(match.group(3)), _optional_int(match.group(6))
        if not (is_valid_date(day1, month1, year1) and is_valid_date(day2, month2, year2)):
            return match.group(0)
        if year2 is None and not _in_date_context(match.string, match.start(), match.end()):
            return match.group(0)
        first = read_date(day1, month1, year1, dialect, _lead_word(match.string, match.start()))
        second = read_date(day2, month2, year2, dialect, "")
        return f"{first} đến {second}"

    def day_range(match: re.Match[str]) -> str:
        day1, day2, month = (int(match.group(i)) for i in (1, 2, 3))
        year = _optional_int(match.group(4))
        context = year is not None or _in_date_context(match.string, match.start(), match.end())
        if not (context and is_valid_date(day1, month, year) and is_valid_date(day2, month, year)):
            return match.group(0)
        lead = _lead_word(match.string, match.start())
        if lead == "ngày":
            first = read_day(day1, dialect)
        elif lead:
            first = read_cardinal(day1, dialect)
        else:
            first = "ngày " + read_day(day1, dialect)
        return f"{first} đến {read_date(day2, month, year, dialect, '')}"

    def full_date(match: re.Match[str]) -> str:
        day, month, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
        if not is_valid_date(day, month, year):
            return match.group(0)
        return read_date(day, month, year, dialect, _lead_word(match.string, match.start()))

    def month_year(match: re.Match[str]) -> str:
        number, year = int(match.group(1)), int(match.group(2))
        before = _before(match.string, match.start())
        year_words = read_cardinal(year, dialect)
        if _SO_BEFORE_RE.search(before) or _QUARTER_BEFORE_RE.search(before):
            return f"{read_cardinal(number, dialect)} năm {year_words}"
        if not (1 <= number <= 12 and _MIN_YEAR <= year <= _MAX_YEAR):
            return match.group(0)
        prefix = "" if _MONTH_BEFORE_RE.search(before) else "tháng "
        return f"{prefix}{read_month(number)} năm {year_words}"

    def day_month(match: re.Match[str]) -> str:
        day, month = int(match.group(1)), int(match.group(2))
        if not is_valid_date(day, month) or not _in_date_context(match.string, match.start(), match.end()):
            return match.group(0)
        return read_date(day, month, None, dialect, _lead_word(match.string, match.start()))

    def month_word(match: re.Match[str]) -> str:
        month = int(match.group(2))
        if not 1 <= month <= 12:
            return match.group(0)
        return f"{match.group(1)} {read_month(month)}"

    def day_word(match: re.Match[str]) -> str:
        day = int(match.group(2))
        if not 1 <= day <= 31:
            return match.group(0)
        lead = match.group(1)
        if lead.lower() == "ngày":
            return f"{lead} {read_day(day, dialect)}"
        return f"{lead} {read_cardinal(day, dialect)}"

    has_slash = "/" in text
    for pattern, replace, needs_slash in (
        (_DATE_RANGE_RE, date_range, True),
        (_DAY_RANGE_RE, day_range, True),
        (_FULL_DATE_RE, full_date, False),
        (_MONTH_YEAR_RE, month_year, True),
        (_DAY_MONTH_RE, day_month, True),
        (_MONTH_RE, month_word, False),
        (_DAY_WORD_RE, day_word, False),
    ):
        if has_slash or not needs_slash:
            text = pattern.sub(replace, text)
    return text
