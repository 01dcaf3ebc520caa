"""Reading quantities with units, money, percentages, temperatures and ranges.

Rules:

* A number directly followed (with at most one space) by a unit symbol is read as the
  number then the unit's name: ``15m`` -> ``mười lăm mét``, ``500.000đ`` ->
  ``năm trăm nghìn đồng``, ``15%`` -> ``mười lăm phần trăm``, ``30°C`` ->
  ``ba mươi độ xê``. Unit names follow the hyphenated Vietnamese spelling used by
  broadcasters (``ki-lô-mét``, ``ki-lô-gam``, ``héc-ta``, ``mi-li-gam``).
* Symbol-per-symbol units use ``trên`` (``km/h`` -> ``ki-lô-mét trên giờ``); money and
  percentages per something use ``một`` (``30.000đ/kg`` ->
  ``ba mươi nghìn đồng một ki-lô-gam``, ``đồng/tháng`` -> ``đồng một tháng``).
* Single-letter symbols (``m``, ``g``, ``l``, ``V``, ``W``) are only units after a
  number; unambiguous ones (``km``, ``kg``, ``m²``, ``°C`` ...) are also expanded on
  their own. ``độ C`` is read ``độ xê``; a minus sign before a temperature is ``âm``.
* Spelled-out Latin unit words are respelled the broadcaster way (``miligam`` ->
  ``mi-li-gam``).
* Two numbers joined by a dash form a range read with ``đến``: ``2-3 ngày`` ->
  ``hai đến ba ngày``, ``2021-2025``, ``15-20%``.
"""

import re
from collections.abc import Iterable
from typing import Final

from tts.numbers import NUMBER_PATTERN, Dialect, read_number_literal

UNIT_WORDS: Final[dict[str, str]] = {
    "km/h": "ki-lô-mét trên giờ",
    "km²": "ki-lô-mét vuông",
    "km2": "ki-lô-mét vuông",
    "m²": "mét vuông",
    "m2": "mét vuông",
    "m³": "mét khối",
    "m3": "mét khối",
    "cm²": "xen-ti-mét vuông",
    "cm2": "xen-ti-mét vuông",
    "cm³": "xen-ti-mét khối",
    "cm3": "xen-ti-mét khối",
    "km": "ki-lô-mét",
    "m": "mét",
    "cm": "xen-ti-mét",
    "mm": "mi-li-mét",
    "kg": "ki-lô-gam",
    "g": "gam",
    "mg": "mi-li-gam",
    "µg": "mi-crô-gam",
    "μg": "mi-crô-gam",
    "ha": "héc-ta",
    "l": "lít",
    "ml": "mi-li-lít",
    "°C": "độ xê",
    "℃": "độ xê",
    "°F": "độ ép",
    "°": "độ",
    "%": "phần trăm",
    "đ": "đồng",
    "₫": "đồng",
    "VNĐ": "đồng",
    "VND": "đồng",
    "vnđ": "đồng",
    "USD": "đô la Mỹ",
    "kW": "ki-lô-oát",
    "kWh": "ki-lô-oát giờ",
    "MW": "mê-ga-oát",
    "W": "oát",
    "kV": "ki-lô-vôn",
    "V": "vôn",
    "MB": "mê-ga-bai",
    "GB": "gi-ga-bai",
    "Mbps": "mê-ga-bít trên giây",
    "mmHg": "mi-li-mét thủy ngân",
}

# Symbols that may follow a ``/`` after a unit, with their spoken names.
DENOMINATOR_WORDS: Final[dict[str, str]] = {
    "h": "giờ",
    "s": "giây",
    "km": "ki-lô-mét",
    "m": "mét",
    "m²": "mét vuông",
    "m2": "mét vuông",
    "m³": "mét khối",
    "m3": "mét khối",
    "ha": "héc-ta",
    "kg": "ki-lô-gam",
    "g": "gam",
    "l": "lít",
    "ml": "mi-li-lít",
}

_PER_ITEM_UNITS: Final = frozenset({"%", "đ", "₫", "VNĐ", "VND", "vnđ", "USD"})
_BARE_UNITS: Final = ("mmHg", "km/h", "km²", "km2", "m²", "m³", "m2", "m3", "km", "kg", "mg", "cm", "mm", "°C", "℃")

LATIN_UNIT_WORDS: Final[dict[str, str]] = {
    "miligam": "mi-li-gam",
    "mililít": "mi-li-lít",
    "mililit": "mi-li-lít",
    "kilôgam": "ki-lô-gam",
    "kilogam": "ki-lô-gam",
    "kilôgram": "ki-lô-gam",
    "kilogram": "ki-lô-gam",
    "kilômét": "ki-lô-mét",
    "kilômet": "ki-lô-mét",
    "kilomét": "ki-lô-mét",
    "kilomet": "ki-lô-mét",
    "xentimét": "xen-ti-mét",
    "centimét": "xen-ti-mét",
    "centimet": "xen-ti-mét",
    "milimét": "mi-li-mét",
    "milimet": "mi-li-mét",
    "hecta": "héc-ta",
    "hécta": "héc-ta",
}


def _alternation(keys: Iterable[str]) -> str:
    """Regex alternation of ``keys``, longest first so that ``km/h`` wins over ``km``."""
    return "|".join(re.escape(key) for key in sorted(keys, key=len, reverse=True))


_UNIT_RE: Final = re.compile(
    rf"(?=[0-9])(?<![0-9.,])(?<![0-9]/)({NUMBER_PATTERN})\s?({_alternation(UNIT_WORDS)})"
    rf"(?:/({_alternation(DENOMINATOR_WORDS)})(?![\w]))?(?![\w])"
)
_BARE_UNIT_RE: Final = re.compile(rf"(?=[kmc°℃])(?<![\w])({_alternation(_BARE_UNITS)})(?![\w])")
_DEGREE_C_RE: Final = re.compile(r"(?=đ)(?<![\w])độ\s+C(?![\w])")
_NEGATIVE_TEMPERATURE_RE: Final = re.compile(r"(?=[-−–])(?<![\w.,])[-−–]\s?(?=[0-9][0-9.,]*\s?(?:°|℃|độ(?![\w])))")
_PER_WORD_RE: Final = re.compile(
    rf"(?<![\w])(đồng|phần trăm|{_alternation(set(UNIT_WORDS.values()))})"
    r"((?:/[^\W\d_]+)+)"
)
_HECTARE_RE: Final = re.compile(r"(?<![\w])ha(?![\w])")
_LATIN_UNIT_RE: Final = re.compile(rf"(?i)(?=[kmxch])(?<![\w])({_alternation(LATIN_UNIT_WORDS)})(?![\w])")
# ``3 triệu đ``: the currency sign after a scale word.
_SCALED_DONG_RE: Final = re.compile(r"(?<![\w])(nghìn|ngàn|triệu|tỷ|tỉ)\s?[đ₫](?![\w])")
# ``cấp 7-8`` (wind force, a level): both ends keep the word, ``cấp bảy đến cấp tám``.
_LEVEL_RANGE_RE: Final = re.compile(
    r"(?=[cC])(?<![\w])([cC]ấp)\s+([0-9]{1,2})\s?[-–]\s?([0-9]{1,2})(?![\w]|[.,/-][0-9])"
)
# Three or more numbers joined by dashes are no range but a list (a fertiliser's ``20-20-15``).
_DASH_LIST_RE: Final = re.compile(r"(?=[0-9])(?<![\w.,/-])[0-9]{1,3}(?:-[0-9]{1,3}){2,}(?![\w]|[.,/-][0-9])")
_RANGE_RE: Final = re.compile(rf"(?=[0-9])(?<![\w.,/-])({NUMBER_PATTERN})\s?[-–—]\s?(?=[0-9])")


def read_quantity(number: str, unit: str, dialect: Dialect = "north") -> str:
    """Read a written number followed by a unit symbol from ``UNIT_WORDS``."""
    return f"{read_number_literal(number, dialect)} {UNIT_WORDS[unit]}"


def expand_units(text: str, dialect: Dialect = "north") -> str:
    """Replace numbers with units, money, percentages and temperatures by their reading."""

    def quantity(match: re.Match[str]) -> str:
        number, unit, denominator = match.group(1), match.group(2), match.group(3)
        spoken = read_quantity(number, unit, dialect)
        if denominator is None:
            return spoken
        joiner = "một" if unit in _PER_ITEM_UNITS else "trên"
        return f"{spoken} {joiner} {DENOMINATOR_WORDS[denominator]}"

    def per_word(match: re.Match[str]) -> str:
        per = match.group(2).replace("/", " một ")
        return match.group(1) + _HECTARE_RE.sub("héc-ta", per)

    text = _LATIN_UNIT_RE.sub(lambda found: LATIN_UNIT_WORDS[found.group(1).lower()], text)
    text = _SCALED_DONG_RE.sub(r"\1 đồng", text)
    if "-" in text or "−" in text or "–" in text:
        text = _NEGATIVE_TEMPERATURE_RE.sub("âm ", text)
    text = _UNIT_RE.sub(quantity, text)
    if "độ" in text:
        text = _DEGREE_C_RE.sub("độ xê", text)
    text = _BARE_UNIT_RE.sub(lambda found: UNIT_WORDS[found.group(1)], text)
    return _PER_WORD_RE.sub(per_word, text) if "/" in text else text


def expand_ranges(text: str) -> str:
    """Turn the dash of a numeric range into ``đến``: ``2-3 ngày`` -> ``2 đến 3 ngày``.

    ``cấp 7-8`` repeats the word (``cấp 7 đến cấp 8``), and three or more numbers joined by
    dashes are a list read with pauses (``20-20-15`` -> ``20, 20, 15``).
    """
    if "-" not in text and "–" not in text and "—" not in text:
        return text
    text = _LEVEL_RANGE_RE.sub(lambda match: f"{match.group(1)} {match.group(2)} đến cấp {match.group(3)}", text)
    text = _DASH_LIST_RE.sub(lambda match: match.group(0).replace("-", ", "), text)
    return _RANGE_RE.sub(lambda match: f"{match.group(1)} đến ", text)
