"""Reading registration numbers: fishing vessels (``CM-91234-TS``) and vehicle plates (``68B1-123.45``).

A fishing vessel's number is its province code, a serial and ``TS`` (thủy sản), joined by
dashes (``KG-92567-TS``): the codes are spelled and the serial read digit by digit, as
the border guard reads it on the radio: ``ca gờ chín hai năm sáu bảy tê ét-xì``.

A vehicle plate is a two-digit province number, a series (letters, maybe a digit) and a
serial of four or five digits, often written ``123.45``: the province number is read as
a number, the series spelled, and the serial digit by digit after a short pause:
``68B1-123.45`` -> ``sáu mươi tám bê một, một hai ba bốn năm``.
"""

import re
from typing import Final

from tts.letters import spell_letters
from tts.numbers import Dialect, read_cardinal, read_digits

_VESSEL_RE: Final = re.compile(r"(?=[A-ZĐ])(?<![\w-])([A-ZĐ]{2,3})-([0-9]{4,6})-(TS)(?![\w-])")
_PLATE_RE: Final = re.compile(
    r"(?=[0-9])(?<![\w.,-])([0-9]{2})([A-ZĐ]{1,2})([0-9]?)-([0-9]{3}\.[0-9]{2}|[0-9]{4,5})(?![\w]|[.,][0-9])"
)


def expand_registrations(text: str, dialect: Dialect = "north") -> str:
    """Replace vessel numbers and vehicle plates with their readings."""

    def vessel(match: re.Match[str]) -> str:
        province, serial, sector = match.groups()
        return f"{spell_letters(province)} {read_digits(serial)} {spell_letters(sector)}"

    def plate(match: re.Match[str]) -> str:
        province, series, series_digit, serial = match.groups()
        words = f"{read_cardinal(int(province), dialect)} {spell_letters(series)}"
        if series_digit:
            words += " " + read_digits(series_digit)
        return f"{words}, {read_digits(serial)}"

    if "-" not in text:
        return text
    text = _VESSEL_RE.sub(vessel, text)
    return _PLATE_RE.sub(plate, text)
