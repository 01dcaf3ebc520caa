"""Reading Roman numerals in headings and terms: ``Chương II``, ``khóa XV``, ``thế kỷ XXI``.

A Roman numeral is converted only right after a trigger word, so the pronoun ``I``, a
name or an unknown abbreviation is never turned into a number. Triggers (any case):
``chương``, ``mục``, ``phần``, ``khóa``/``khoá``, ``thế kỷ``/``thế kỉ``, ``quý``,
``thứ``, ``phụ lục``, ``tập``, ``hạng``, ``loại``, ``vùng``, ``đợt``, ``đại hội``,
``kỳ``/``kì``, ``cấp``.

The number is read as a cardinal (``Mục IV`` -> ``mục bốn``, ``khóa XIII`` ->
``khóa mười ba``) except after ``thứ``, where it is an ordinal (``thứ I`` -> ``thứ nhất``,
``thứ IV`` -> ``thứ tư``). The heading words ``Chương``, ``Mục`` and ``Phần`` are
lower-cased (``chương hai``) and ``khoá`` is respelled ``khóa``. ``quý I/2025`` reads
``quý một năm hai nghìn không trăm hai mươi lăm``. A single letter other than ``I``,
``V`` or ``X`` is never taken as a numeral, so ``hạng C`` (a licence class) stays.
"""

import re
from typing import Final

from tts.numbers import Dialect, read_cardinal, read_ordinal, roman_to_int

_TRIGGERS: Final = (
    r"chương|mục|phần|khóa|khoá|thế\s+kỷ|thế\s+kỉ|quý|thứ|phụ\s+lục|tập|hạng|loại|vùng|đợt"
    r"|đại\s+hội|kỳ|kì|cấp"
)
_ROMAN_AFTER_TRIGGER_RE: Final = re.compile(
    rf"(?<![\w])((?i:{_TRIGGERS}))(\s+)([IVXLCDM]{{2,}}|[IVX])(?:/([0-9]{{4}}))?(?![\w])"
)
_LOWERCASED_TRIGGERS: Final = frozenset({"chương", "mục", "phần"})


def _spoken_trigger(trigger: str) -> str:
    lowered = trigger.lower()
    if lowered in _LOWERCASED_TRIGGERS:
        return lowered
    if lowered == "khoá":
        return trigger[0] + "hóa" if trigger[1:] == "hoá" else "khóa"
    return trigger


def expand_roman_numerals(text: str, dialect: Dialect = "north") -> str:
    """Replace Roman numerals that follow a trigger word with their Vietnamese reading."""

    def replace(match: re.Match[str]) -> str:
        trigger, space, numeral, year = match.groups()
        value = roman_to_int(numeral)
        if value is None:
            return match.group(0)
        ordinal = trigger.lower() == "thứ"
        words = read_ordinal(value, dialect) if ordinal else read_cardinal(value, dialect)
        spoken = f"{_spoken_trigger(trigger)}{space}{words}"
        if year is not None:
            spoken += f" năm {read_cardinal(int(year), dialect)}"
        return spoken

    return _ROMAN_AFTER_TRIGGER_RE.sub(replace, text)
