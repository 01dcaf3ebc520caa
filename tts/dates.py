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
* A bare ``d/m`` (a valid day and month) is a date only in a date context, and is
  otherwise left to the generic reading of ``a/b`` as ``a trên b`` (``hoạt động 24/7``
  -> ``hai mươi tư trên bảy``, ``tỷ lệ 1/3``, ``3/4 dân số``). Date contexts:

  - the word right before it is ``ngày``, ``mồng``, ``mùng``, ``hôm``, a part of the
    day (``sáng``, ``trưa``, ``chiều``, ``tối``, ``đêm``), ``từ``, ``đến``, ``tới``,
    ``hết``, ``trước``, ``sau``, ``vào``, ``dịp``, ``lễ``, ``Tết``, ``nghỉ``, ``mừng``,
    ``(kỷ) niệm``, a street (``đường 30/4``, ``phố``), a weekday (``thứ 2,``,
    ``chủ nhật``);
  - it is in parentheses and closes them or continues with ``,``, ``-`` or ``đến``
    (``(14/7)``, ``(30/4 - 1/5)``);
  - a year follows (``30/4 năm 1975``), or a dash and a full date (``1/1-31/12/2025``);
  - it follows the capitalised name of a day in the same phrase (``Ngày Quốc tế Lao
    động 1/5``, ``Quốc khánh 2/9``, ``Tết Dương lịch 1/1``), and is then read without a
    second ``ngày``: ``Ngày Quốc tế Lao động mồng một tháng năm``;
  - it continues a list or range of dates: right after a date, joined by ``,``,
    ``và``, ``hoặc``, ``đến``, ``tới`` or a dash (``ngày 30/4 và 1/5``,
    ``nghỉ lễ 30/4, 1/5``).

  A dash range of two such dates needs the context before the first one
  (``dịp 30/4 - 1/5``).
* A bare ``d-m`` (``ngày 30-4``, the newspaper style) is usually a range (``2-3
  ngày``), so it is a date only right after ``ngày``, ``mồng``, ``mùng``, ``dịp``,
  ``lễ``, ``Tết``, ``nghỉ``, ``mừng``, ``(kỷ) niệm``, or continuing a list of dates:
  ``dịp 30-4 và 1-5`` -> ``dịp ngày ba mươi tháng tư và ngày mồng một tháng năm``.
"""

import calendar
import re
from collections.abc import Callable
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
_MAX_DAY: Final = 31
_LEAP_YEAR: Final = 2024

_END: Final = r"(?![\w]|[./-][0-9])"
_DATE_RANGE_RE: Final = re.compile(
    r"(?=[0-9])(?<![\w./,])([0-9]{1,2})/([0-9]{1,2})(?:/([0-9]{4}))?\s*[-–]\s*"
    r"([0-9]{1,2})/([0-9]{1,2})(?:/([0-9]{4}))?" + _END
)
_DAY_RANGE_RE: Final = re.compile(
    r"(?=[0-9])(?<![\w./,])([0-9]{1,2})\s*[-–]\s*([0-9]{1,2})/([0-9]{1,2})(?:/([0-9]{4}))?" + _END
)
_FULL_DATE_RE: Final = re.compile(r"(?=[0-9])(?<![\w./,])([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]{4})" + _END)
_MONTH_YEAR_RE: Final = re.compile(r"(?=[0-9])(?<![\w./,])([0-9]{1,5})/([0-9]{4})" + _END)
_DAY_MONTH_RE: Final = re.compile(r"(?=[0-9])(?<![\w./,])([0-9]{1,2})/([0-9]{1,2})(?![\w/]|[.,-][0-9])")
_DASH_DAY_MONTH_RE: Final = re.compile(
    r"(?=[0-9])(?<![\w./,-])([0-9]{1,2})-([0-9]{1,2})(?![\w/-]|[.,][0-9])(?!\s*tháng\s)"
)
# ``1-5 tháng 6``: a range of days with the month written out after it.
_DAYS_BEFORE_MONTH_RE: Final = re.compile(
    r"(?=[0-9])(?<![\w./,-])([0-9]{1,2})\s*[-–]\s*([0-9]{1,2})(?=\s+(?i:tháng)\s+[0-9]{1,2}(?![0-9]))"
)
_MONTH_RE: Final = re.compile(r"(?=[tT])(?<![\w])(tháng|Tháng|THÁNG)\s+([0-9]{1,2})(?![\w]|[.,/][0-9])")
_DAY_WORD_RE: Final = re.compile(
    r"(?=[nNmM])(?<![\w])(ngày|Ngày|NGÀY|mồng|Mồng|mùng|Mùng)\s+([0-9]{1,2})"
    r"(?=\s+tháng|\s*[,.;:)]|\s*$|\s+(?:và|đến|hoặc|hằng|hàng)(?![\w])|\s*[-–])"
)

_DAY_LEAD_RE: Final = re.compile(r"(?i)(?<![\w])(ngày|mồng|mùng)\s*$")
_DATE_CONTEXT_RE: Final = re.compile(
    r"(?i)(?:(?<![\w])(?:ngày|mồng|mùng|hôm|sáng|trưa|chiều|tối|đêm|từ|đến|tới|hết|trước|sau|vào"
    r"|dịp|lễ|tết|nghỉ|mừng|niệm|đường|phố|nhật|thứ\s+(?:hai|ba|tư|năm|sáu|bảy|[2-7]))\s*,?\s*)$"
)
# A named day written with capitals (``Ngày Quốc tế Lao động 1/5``, ``Quốc khánh 2/9``):
# the date follows the name, which is said instead of ``ngày``.
_UPPER: Final = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_NAMED_DAY_RE: Final = re.compile(
    rf"(?<![\w])(?:(?:Ngày|NGÀY|Tết)\s+[{_UPPER}][^\W\d_]*(?:\s+[^\W\d_]+){{0,7}}|Quốc\s+khánh)\s*$"
)
_NAMED_DAY_LOOKBACK: Final = 72
_OPENER_BEFORE_RE: Final = re.compile(r"(?i)(?<![\w])(?:từ|đến|tới|vào|trong|dịp|trước|sau|hết)\s*$")
# Before a full date (which is a date anyway) the name may be written in lower case too:
# ``Ngày giải phóng miền Nam 30/4/1975``.
_NAMED_DAY_LOWER_RE: Final = re.compile(r"(?<![\w])(?:Ngày|NGÀY)\s+[^\W\d_]+(?:\s+[^\W\d_]+){0,7}\s*$")
# ``d-m`` is far more often a range (``2-3 ngày``), so it needs a word that names a day.
_DASH_DATE_CONTEXT_RE: Final = re.compile(r"(?i)(?<![\w])(?:ngày|mồng|mùng|dịp|lễ|tết|nghỉ|mừng|niệm)\s*$")
# What may follow a parenthesised date: the closing parenthesis, or the list/range going on.
_PARENTHESIS_FOLLOW_RE: Final = re.compile(r"\s*(?:\)|,|[-–]|đến(?![\w]))")
_YEAR_AFTER_RE: Final = re.compile(r"\s+năm\s+[0-9]{4}(?![0-9])")
# A date read just before (``... tháng tư``) and a word joining the next one to it.
_READ_DATE_BEFORE_RE: Final = re.compile(
    r"(?<![\w])tháng\s+(?:một|hai|ba|tư|năm|sáu|bảy|tám|chín|mười(?:\s+một|\s+hai)?)"
    r"(?:\s+năm(?:\s+(?:một|hai|ba|bốn|tư|năm|sáu|bảy|tám|chín|mười|mươi|mốt|lăm|trăm|nghìn|ngàn|không|linh|lẻ))"
    r"{1,10})?\s*(?:,|;|và|hoặc|đến|tới|[-–])\s*$"
)
_READ_DATE_LOOKBACK: Final = 64
_JOINER_RE: Final = re.compile(r"\s*(?:,|;|và|hoặc|đến|tới|[-–])\s*")
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
    ``mồng``: ``đường ba mươi tháng tư``; a named day (``Ngày Quốc tế Lao động 1/5``)
    is read as if ``ngày`` preceded: ``... mồng một tháng năm``.
    """
    before = _before(text, start)
    found = _DAY_LEAD_RE.search(before)
    if found:
        return found.group(1).lower()
    if _STREET_BEFORE_RE.search(before):
        return "mồng"
    return "ngày" if _follows_named_day(text, start) else ""


def _follows_named_day(text: str, start: int) -> bool:
    """Whether a day's name ends right before ``start``; a word such as ``từ`` in between
    (``Tết Chôl Chnăm Thmây từ 14-16/4``) makes it a plain date again."""
    if _OPENER_BEFORE_RE.search(text, max(0, start - _LOOKBACK), start):
        return False
    return _NAMED_DAY_RE.search(text, max(0, start - _NAMED_DAY_LOOKBACK), start) is not None


def _in_date_context(text: str, start: int, end: int) -> bool:
    before = _before(text, start)
    if _DATE_CONTEXT_RE.search(before):
        return True
    if _READ_DATE_BEFORE_RE.search(text, max(0, start - _READ_DATE_LOOKBACK), start):
        return True
    if _YEAR_AFTER_RE.match(text, end) or _follows_named_day(text, start):
        return True
    return before.rstrip().endswith("(") and _PARENTHESIS_FOLLOW_RE.match(text, end) is not None


def _in_dash_date_context(text: str, start: int, end: int) -> bool:
    if _DASH_DATE_CONTEXT_RE.search(text, max(0, start - _LOOKBACK), start):
        return True
    return _READ_DATE_BEFORE_RE.search(text, max(0, start - _READ_DATE_LOOKBACK), start) is not None


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

    def first_day(text: str, day: int, start: int) -> str:
        """The first day of a range, after whatever day word the text already says."""
        lead = _lead_word(text, start)
        if lead == "ngày":
            return read_day(day, dialect)
        if lead:
            return read_cardinal(day, dialect)
        return "ngày " + read_day(day, dialect)

    def days_before_month(match: re.Match[str]) -> str:
        day1, day2 = int(match.group(1)), int(match.group(2))
        if not 1 <= day1 < day2 <= _MAX_DAY:
            return match.group(0)
        return f"{first_day(match.string, day1, match.start())} đến ngày {read_day(day2, dialect)}"

    def day_range(match: re.Match[str]) -> str:
        day1, day2, month = (int(match.group(i)) for i in (1, 2, 3))
        year = _optional_int(match.group(4))
        context = year is not None or _in_date_context(match.string, match.start(), match.end())
        if not (context and is_valid_date(day1, month, year) and is_valid_date(day2, month, year)):
            return match.group(0)
        first = first_day(match.string, day1, match.start())
        return f"{first} đến {read_date(day2, month, year, dialect, '')}"

    def full_date(match: re.Match[str]) -> str:
        day, month, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
        if not is_valid_date(day, month, year):
            return match.group(0)
        lead = _lead_word(match.string, match.start())
        window_start = max(0, match.start() - _NAMED_DAY_LOOKBACK)
        if not lead and _NAMED_DAY_LOWER_RE.search(match.string, window_start, match.start()):
            lead = "ngày"
        return read_date(day, month, year, dialect, lead)

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

    def day_months(text: str, pattern: re.Pattern[str], in_context: Callable[[str, int, int], bool]) -> str:
        # A loop rather than ``sub`` so that a date can make the next one in a list a date.
        pieces: list[str] = []
        position = 0
        previous_end = -1
        for match in pattern.finditer(text):
            day, month = int(match.group(1)), int(match.group(2))
            continues_list = previous_end >= 0 and _JOINER_RE.fullmatch(text, previous_end, match.start()) is not None
            if not is_valid_date(day, month) or not (continues_list or in_context(text, match.start(), match.end())):
                continue
            pieces.append(text[position : match.start()])
            pieces.append(read_date(day, month, None, dialect, _lead_word(text, match.start())))
            position = previous_end = match.end()
        if not pieces:
            return text
        pieces.append(text[position:])
        return "".join(pieces)

    def month_word(match: re.Match[str]) -> str:
        month = int(match.group(2))
        if not 1 <= month <= 12:
            return match.group(0)
        return f"{match.group(1)} {read_month(month)}"

    def day_word(match: re.Match[str]) -> str:
        day = int(match.group(2))
        if not 1 <= day <= _MAX_DAY:
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
        (_DAYS_BEFORE_MONTH_RE, days_before_month, False),
    ):
        if has_slash or not needs_slash:
            text = pattern.sub(replace, text)
    if has_slash:
        text = day_months(text, _DAY_MONTH_RE, _in_date_context)
    if "-" in text:
        text = day_months(text, _DASH_DAY_MONTH_RE, _in_dash_date_context)
    text = _MONTH_RE.sub(month_word, text)
    return _DAY_WORD_RE.sub(day_word, text)
