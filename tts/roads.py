"""Reading road names and distance markers: ``Km 12+500``, ``QL1A``, ``ĐT.954``, ``TL 939``.

* A distance marker ``Km N`` or ``Km N+M`` (also ``km``, ``KM``, with or without a space)
  is read ``ki-lô-mét N cộng M``: ``Km 12+500`` -> ``ki-lô-mét mười hai cộng năm trăm``.
  A ``km`` after a number is a unit (``5 km``), not a marker, and is left to ``tts.units``.
* Road codes before a road number: ``QL`` quốc lộ, ``ĐT`` đường tỉnh, ``ĐH`` đường huyện,
  ``TL`` tỉnh lộ, ``HL`` hương lộ, ``ĐCT`` đường cao tốc, with or without a period
  (``QL.91``, ``ĐT 954``, ``ĐT.915B``). ``ĐT`` is otherwise ``điện thoại`` (the lexicon's
  reading), so it is a road only before a number of one to three digits that does not
  start with ``0`` (phone numbers do), is no emergency number (``ĐT 113``) and is not
  followed by more digits.
"""

import re
from typing import Final

ROAD_CODES: Final[dict[str, str]] = {
    "QL": "quốc lộ",
    "ĐT": "đường tỉnh",
    "ĐH": "đường huyện",
    "TL": "tỉnh lộ",
    "HL": "hương lộ",
    "ĐCT": "đường cao tốc",
}
_CODES: Final = "|".join(sorted(ROAD_CODES, key=len, reverse=True))
_ROAD_RE: Final = re.compile(
    rf"(?=[QĐTH])(?<![\w.-])({_CODES})(?:\.\s?|\s)?(?!11[1-5](?![0-9]))(?=[1-9][0-9]{{0,2}}[A-Z]?(?![\w]|[.,:][0-9]))"
)
_MARKER_RE: Final = re.compile(r"(?=[Kk])(?<![\w.])(?<![0-9] )(?:Km|KM|km)\s?(?=[0-9])")


def expand_roads(text: str) -> str:
    """Replace distance markers and road codes with their words (the numbers are read later)."""
    text = _MARKER_RE.sub("ki-lô-mét ", text)
    return _ROAD_RE.sub(lambda match: ROAD_CODES[match.group(1)] + " ", text)
