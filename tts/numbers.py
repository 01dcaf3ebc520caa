"""Reading numbers aloud in Vietnamese, the way a radio announcer does.

Cardinal rules (``read_cardinal``):

* digits 0-9: không, một, hai, ba, bốn, năm, sáu, bảy, tám, chín;
* tens digit 1 is ``mười``, tens digit 2-9 is ``<digit> mươi``;
* after ``mươi`` a unit 1 is ``mốt``, 4 is ``tư`` and 5 is ``lăm``; after ``mười``
  only 5 changes, so 11 is ``mười một``, 14 ``mười bốn`` and 15 ``mười lăm``;
* a zero tens digit after a hundreds digit is ``linh`` (north) or ``lẻ`` (south):
  105 is ``một trăm linh năm``;
* a group of three digits that follows a non-zero higher group is read in full, with
  ``không trăm`` when its hundreds digit is zero: 1.005.000 is
  ``một triệu không trăm linh năm nghìn``; all-zero groups are skipped, so
  1.000.000.000 is ``một tỷ``;
* scale words are ``nghìn`` (north) / ``ngàn`` (south), ``triệu`` and ``tỷ``;
  above ``tỷ`` they compound (10^12 is ``một nghìn tỷ``).

Decimals use ``phẩy``; the fractional part keeps its leading zeros (each read
``không``) and the rest is read as a cardinal when it has at most three digits,
digit by digit otherwise: 2,5 is ``hai phẩy năm``, 0,25 ``không phẩy hai mươi lăm``,
3,05 ``ba phẩy không năm``.

A proper fraction with a denominator of at most 10, written ``a/b``, is read with
``phần`` and the denominator 4 as ``tư``: ``1/2`` is ``một phần hai``, ``3/4`` ``ba
phần tư``, ``1/10`` ``một phần mười``. Larger or improper ones are ratios (``24/7``) and
are left to the caller.

Written number literals follow Vietnamese conventions: ``.`` groups thousands
(``4.000.000``) and ``,`` marks decimals (``2,5``). A ``.`` not followed by exactly
three digits is taken as an English-style decimal point, and ``4,000,000`` (two or
more comma groups of three) as English-style thousands.
"""

import re
from typing import Final, Literal

Dialect = Literal["north", "south"]

DIGIT_WORDS: Final[tuple[str, ...]] = (
    "không",
    "một",
    "hai",
    "ba",
    "bốn",
    "năm",
    "sáu",
    "bảy",
    "tám",
    "chín",
)

# A written number: English-style thousands, Vietnamese thousands with an optional
# decimal part, or a plain run of digits with an optional decimal part. Callers must
# guard the start with ``(?<![0-9])``.
NUMBER_PATTERN: Final[str] = (
    r"(?:[0-9]{1,3}(?:,[0-9]{3}){2,}(?![0-9]|,[0-9])"
    r"|[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?(?![0-9])"
    r"|[0-9]+(?:[.,][0-9]+)?)"
)

_BILLION: Final = 1_000_000_000
_MAX_CARDINAL_DIGITS: Final = 18
_VN_THOUSANDS_RE: Final = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?")
_EN_THOUSANDS_RE: Final = re.compile(r"[0-9]{1,3}(?:,[0-9]{3}){2,}")
_ROMAN_RE: Final = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_ROMAN_VALUES: Final = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_FRACTION_RE: Final = re.compile(r"([0-9]{1,2})\s?/\s?([0-9]{1,2})")
_MAX_FRACTION_DENOMINATOR: Final = 10
_ORDINAL_RE: Final = re.compile(r"(?=[tT])(?<![\w])([Tt]hứ|THỨ)\s+([0-9]{1,3})(?![\w]|[.,:/][0-9])")


def thousand_word(dialect: Dialect) -> str:
    """Return the scale word for 10^3 in ``dialect`` (``nghìn`` or ``ngàn``)."""
    return "ngàn" if dialect == "south" else "nghìn"


def _zero_tens_word(dialect: Dialect) -> str:
    return "lẻ" if dialect == "south" else "linh"


def _read_triple(value: int, full: bool, dialect: Dialect) -> list[str]:
    """Read 1..999; ``full`` forces the hundreds (``không trăm``) for inner groups."""
    hundreds, rest = divmod(value, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if full or hundreds:
        words += [DIGIT_WORDS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if words:
                words.append(_zero_tens_word(dialect))
            words.append(DIGIT_WORDS[units])
    elif tens == 1:
        words.append("mười")
        if units == 5:
            words.append("lăm")
        elif units:
            words.append(DIGIT_WORDS[units])
    else:
        words += [DIGIT_WORDS[tens], "mươi"]
        if units == 1:
            words.append("mốt")
        elif units == 4:
            words.append("tư")
        elif units == 5:
            words.append("lăm")
        elif units:
            words.append(DIGIT_WORDS[units])
    return words


def _cardinal_words(value: int, full: bool, dialect: Dialect) -> list[str]:
    """Words for ``value`` > 0; ``full`` means a non-zero higher group precedes it."""
    if value >= _BILLION:
        high, low = divmod(value, _BILLION)
        words = [*_cardinal_words(high, full, dialect), "tỷ"]
        if low:
            words += _cardinal_words(low, True, dialect)
        return words
    groups = (value // 1_000_000, (value // 1000) % 1000, value % 1000)
    scales = ("triệu", thousand_word(dialect), "")
    words = []
    for group, scale in zip(groups, scales, strict=False):
        if group == 0:
            continue
        words += _read_triple(group, full or bool(words), dialect)
        if scale:
            words.append(scale)
    return words


def read_cardinal(value: int, dialect: Dialect = "north") -> str:
    """Read an integer as a cardinal; negative values are prefixed with ``âm``."""
    if value < 0:
        return "âm " + read_cardinal(-value, dialect)
    if value == 0:
        return DIGIT_WORDS[0]
    return " ".join(_cardinal_words(value, False, dialect))


def read_digits(digits: str) -> str:
    """Read every decimal digit of ``digits`` separately; other characters are ignored."""
    return " ".join(DIGIT_WORDS[int(char)] for char in digits if char.isdecimal())


def read_ordinal(value: int, dialect: Dialect = "north") -> str:
    """Read the word that follows ``thứ``: 1 is ``nhất``, 4 is ``tư``, others cardinal."""
    if value == 1:
        return "nhất"
    if value == 4:
        return "tư"
    return read_cardinal(value, dialect)


def read_integer_digits(digits: str, dialect: Dialect = "north") -> str:
    """Read a run of digits written without separators.

    Codes rather than quantities (four or more digits with a leading zero, or more
    than 18 digits) are read digit by digit; anything else as a cardinal, so ``05``
    is ``năm``.
    """
    if (len(digits) >= 4 and digits.startswith("0")) or len(digits) > _MAX_CARDINAL_DIGITS:
        return read_digits(digits)
    return read_cardinal(int(digits), dialect)


def read_fraction_digits(digits: str, dialect: Dialect = "north") -> str:
    """Read the digits after the decimal comma (see the module docstring)."""
    stripped = digits.lstrip("0")
    words = [DIGIT_WORDS[0]] * (len(digits) - len(stripped))
    if stripped:
        if len(stripped) <= 3:
            words.append(read_cardinal(int(stripped), dialect))
        else:
            words.append(read_digits(stripped))
    return " ".join(words)


def split_number_literal(literal: str) -> tuple[str, str | None]:
    """Split a written number into its integer digits and its decimal digits (or None)."""
    if _EN_THOUSANDS_RE.fullmatch(literal):
        return literal.replace(",", ""), None
    if _VN_THOUSANDS_RE.fullmatch(literal):
        integer, _, fraction = literal.partition(",")
        return integer.replace(".", ""), fraction or None
    for mark in (",", "."):
        if mark in literal:
            integer, _, fraction = literal.partition(mark)
            return integer, fraction
    return literal, None


def read_number_literal(literal: str, dialect: Dialect = "north") -> str:
    """Read a written number such as ``4.000.000``, ``1.250``, ``2,5`` or ``05``."""
    integer, fraction = split_number_literal(literal)
    if fraction is None:
        if "." in literal or "," in literal:
            return read_cardinal(int(integer), dialect)
        return read_integer_digits(integer, dialect)
    integer_words = read_cardinal(int(integer), dialect) if integer else DIGIT_WORDS[0]
    return f"{integer_words} phẩy {read_fraction_digits(fraction, dialect)}"


def read_fraction(written: str, dialect: Dialect = "north") -> str | None:
    """Read ``a/b`` as ``a phần b`` when it is a proper fraction with ``b`` <= 10, else None."""
    match = _FRACTION_RE.fullmatch(written)
    if match is None:
        return None
    numerator, denominator = int(match.group(1)), int(match.group(2))
    if not 0 < numerator < denominator <= _MAX_FRACTION_DENOMINATOR:
        return None
    denominator_words = "tư" if denominator == 4 else read_cardinal(denominator, dialect)
    return f"{read_cardinal(numerator, dialect)} phần {denominator_words}"


def roman_to_int(numeral: str) -> int | None:
    """Value of a well-formed upper-case Roman numeral, or None if it is not one."""
    if not numeral or not _ROMAN_RE.fullmatch(numeral):
        return None
    total = 0
    previous = 0
    for char in reversed(numeral):
        value = _ROMAN_VALUES[char]
        if value < previous:
            total -= value
        else:
            total += value
            previous = value
    return total


def expand_ordinals(text: str, dialect: Dialect = "north") -> str:
    """Read ``thứ N`` (weekdays and ordinals): ``thứ 2`` -> ``thứ hai``, ``thứ 1`` -> ``thứ nhất``.

    Weekdays run from ``thứ 2`` to ``thứ 7`` and read exactly like the ordinals, so
    one rule serves both: ``thứ 4`` is ``thứ tư`` and ``lần thứ 14`` ``lần thứ mười bốn``.
    """

    def replace(match: re.Match[str]) -> str:
        return f"{match.group(1)} {read_ordinal(int(match.group(2)), dialect)}"

    return _ORDINAL_RE.sub(replace, text)
