"""Reading Roman numerals in headings and terms: ``Chương II``, ``khóa XV``, ``thế kỷ XXI``.

A Roman numeral is converted right after a trigger word, so the pronoun ``I``, a name
or an unknown abbreviation is not turned into a number. Triggers (any case):
``chương``, ``mục``, ``phần``, ``khóa``/``khoá``, ``thế kỷ``/``thế kỉ``, ``quý``,
``thứ``, ``phụ lục``, ``tập``, ``hạng``, ``loại``, ``vùng``, ``đợt``, ``đại hội``,
``kỳ``/``kì``, ``cấp``, ``nhóm``, ``bậc``, ``khu vực``, ``quân khu``, ``giai đoạn``,
``khoản``, ``điều``, ``lần``, ``tiểu mục``, ``mức``, ``vòng``.

Two more shapes need no trigger:

* a numeral of two or more of the letters ``I``, ``V`` and ``X`` (``II``, ``IV``,
  ``XIII``, ``XXI``), which no Vietnamese abbreviation is made of: ``Đảng XIII`` ->
  ``Đảng mười ba``;
* a heading number of ``I``, ``V`` and ``X`` at the start of a line followed by ``.``
  or ``)`` (``I. MỤC ĐÍCH``, ``IV) Tổ chức thực hiện``), read as a capitalised
  cardinal: ``Một. MỤC ĐÍCH``. Letter headings (``A.``, ``C.``) stay letters.

The number is read as a cardinal (``Mục IV`` -> ``mục bốn``, ``khóa XIII`` ->
``khóa mười ba``) except after ``thứ``, where it is an ordinal (``thứ I`` -> ``thứ nhất``,
``thứ IV`` -> ``thứ tư``). The heading words ``Chương``, ``Mục`` and ``Phần`` are
lower-cased (``chương hai``) and ``khoá`` is respelled ``khóa``. ``quý I/2025`` reads
``quý một năm hai nghìn không trăm hai mươi lăm``. A single letter other than ``I``,
``V`` or ``X`` is never taken as a numeral, so ``hạng C`` (a licence class) is left to
``tts.letters`` (``hạng xê``).
"""

import re
from typing import Final

from tts.numbers import Dialect, read_cardinal, read_ordinal, roman_to_int

_TRIGGERS: Final = (
    r"chương|mục|phần|khóa|khoá|thế\s+kỷ|thế\s+kỉ|quý|thứ|phụ\s+lục|tập|hạng|loại|vùng|đợt"
    r"|đại\s+hội|kỳ|kì|cấp|nhóm|bậc|khu\s+vực|quân\s+khu|giai\s+đoạn|khoản|điều|lần|tiểu\s+mục|mức|vòng"
)
# A candidate numeral; the look-ahead lets the regex engine skip to capitals I V X L C D M.
_NUMERAL_RE: Final = re.compile(r"(?=[IVXLCDM])(?<![\w/.-])([IVXLCDM]{1,9})(?:/([0-9]{4}))?(?![\w])")
_TRIGGER_BEFORE_RE: Final = re.compile(rf"(?<![\w])((?i:{_TRIGGERS}))(\s+)$")
_TRIGGER_WINDOW: Final = 24
_LINE_START_RE: Final = re.compile(r"(?:^|\n)[ \t]*$")
_HEADING_END_RE: Final = re.compile(r"[.)][ \t]")
_BARE_BLOCKER_RE: Final = re.compile(r"/|[.,][0-9]")
_BARE_LETTERS: Final = frozenset("IVX")
_LOWERCASED_TRIGGERS: Final = frozenset({"chương", "mục", "phần"})


def _spoken_trigger(trigger: str) -> str:
    lowered = trigger.lower()
    if lowered in _LOWERCASED_TRIGGERS:
        return lowered
    if lowered == "khoá":
        return trigger[0] + "hóa" if trigger[1:] == "hoá" else "khóa"
    return trigger


def _is_heading(text: str, start: int, end: int) -> bool:
    """Whether the numeral at ``start:end`` opens its line and is followed by ``.`` or ``)``."""
    return bool(_HEADING_END_RE.match(text, end)) and bool(_LINE_START_RE.search(text, max(0, start - 9), start))


def expand_roman_numerals(text: str, dialect: Dialect = "north") -> str:
    """Replace Roman numerals after trigger words, in headings and bare ``II``..``XXX``."""
    pieces: list[str] = []
    position = 0
    for match in _NUMERAL_RE.finditer(text):
        numeral, year = match.groups()
        value = roman_to_int(numeral)
        if value is None:
            continue
        start, end = match.start(), match.end()
        only_ivx = _BARE_LETTERS.issuperset(numeral)
        trigger = _TRIGGER_BEFORE_RE.search(text, max(position, start - _TRIGGER_WINDOW), start)
        year_words = f" năm {read_cardinal(int(year), dialect)}" if year is not None else ""
        if trigger is not None and (only_ivx or len(numeral) > 1):
            word, space = trigger.groups()
            ordinal = word.lower() == "thứ"
            words = read_ordinal(value, dialect) if ordinal else read_cardinal(value, dialect)
            start = trigger.start()
            spoken = f"{_spoken_trigger(word)}{space}{words}{year_words}"
        elif not only_ivx:
            continue
        elif year is None and _is_heading(text, start, end):
            words = read_cardinal(value, dialect)
            spoken = words[0].upper() + words[1:]
        elif len(numeral) > 1 and not _BARE_BLOCKER_RE.match(text, end):
            spoken = read_cardinal(value, dialect) + year_words
        else:
            continue
        pieces += [text[position:start], spoken]
        position = end
    if not pieces:
        return text
    pieces.append(text[position:])
    return "".join(pieces)
