"""Reading the abbreviated prefixes of Vietnamese addresses: ``P. 5``, ``Q. Ninh Kiều``, ``H. Tân Châu``.

Addresses in bulletins shorten the administrative unit before a place's name or number:
``P.`` phường, ``Q.`` quận, ``H.`` huyện, ``X.`` xã, ``TT.`` thị trấn, ``TX.``/``Tx.`` thị
xã, ``TP.``/``Tp.`` thành phố, ``KP.`` khu phố, ``KV.`` khu vực, ``Ấp``/``ấp`` stays a word.
The prefix is read as its word only where an address puts it: written with its period,
not glued to a word before it, and followed by a place's name (a capital letter) or, for
the units that are numbered (``P.``, ``Q.``, ``KP.``, ``KV.``), by a number:
``P. 5, Q. 10`` -> ``phường 5, quận 10`` (the numbers are read later). ``Tp.HCM`` and
``TP.Cần Thơ`` need no space. A one-letter prefix could be a person's initial (``Nguyễn
Văn H.``), so it is not taken right after a capitalised word that could be part of a name
(``Văn``, ``Thị``); after a lower-case word, an abbreviation (``UBND P. 8``), a comma or at
the start of a line it is the unit.
"""

import re
from typing import Final

ADDRESS_PREFIXES: Final[dict[str, str]] = {
    "P": "phường",
    "Q": "quận",
    "H": "huyện",
    "X": "xã",
    "TT": "thị trấn",
    "TX": "thị xã",
    "Tx": "thị xã",
    "TP": "thành phố",
    "Tp": "thành phố",
    "KP": "khu phố",
    "KV": "khu vực",
}
_NUMBERED: Final = frozenset({"P", "Q", "KP", "KV"})
_UPPER: Final = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_KEYS: Final = "|".join(sorted(ADDRESS_PREFIXES, key=len, reverse=True))
_PREFIX_RE: Final = re.compile(rf"(?=[PQHXTK])(?<![\w.])({_KEYS})\.[ \t]?(?=([0-9])|[{_UPPER}])")
# A capitalised word right before a one-letter prefix: it may be a name, and the letter its initial.
_NAME_BEFORE_RE: Final = re.compile(rf"(?<![\w])[{_UPPER}][^\W\d_{_UPPER}]+\s+$")
_LEAD_WINDOW: Final = 24


def expand_address_prefixes(text: str) -> str:
    """Replace address prefixes (``P.``, ``Q.``, ``H.``, ``TT.`` ...) with their words."""

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if match.group(2) is not None and key not in _NUMBERED:
            return match.group(0)
        if len(key) == 1:
            before = match.string[max(0, match.start() - _LEAD_WINDOW) : match.start()]
            if _NAME_BEFORE_RE.search(before):
                return match.group(0)
        return ADDRESS_PREFIXES[key] + " "

    return _PREFIX_RE.sub(replace, text)
