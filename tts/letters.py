"""Vietnamese letter names, and the reading of letters that stand alone in a text.

Letter names follow the spelling taught in Vietnamese schools and used on air, with the
broadcaster's names for the four letters Vietnamese borrowed (``F`` ``ép``, ``J``
``gi``, ``W`` ``vê kép``, ``Z`` ``dét``); ``G`` is ``gờ``, as in ``4G`` (``bốn gờ``),
and ``Y`` is ``i dài``.

Single letters:

* A capital letter standing alone (no letter or digit on either side, no apostrophe
  after it as in ``K'Bang``) is a label, a class or an initial: ``hạng C`` -> ``hạng
  xê``, ``phụ lục B`` -> ``phụ lục bê``, ``khu A`` -> ``khu a``, ``ông Nguyễn Văn B``
  -> ``ông Nguyễn Văn bê``. Vietnamese syllables always carry a vowel, so a lone
  consonant is never a word; of the vowels only ``Y`` reads differently from its
  letter name, and ``Y`` before ``tế``, ``học``, ``khoa``, ``sĩ``, ``dược``, ``bác``
  ... is the first syllable of a compound (``Sở Y tế``, ``Y học``) and is left alone.
* After ``điểm`` (a point of a legal article) a lower-case letter, or a list of them
  joined by commas, ``và``, ``hoặc`` or ``đến``, is spelled: ``điểm b`` -> ``điểm bê``,
  ``điểm đ`` -> ``điểm đê``, ``điểm a, b và c`` -> ``điểm a, bê và xê``. ``điểm y tế``
  (a health post) is not a point ``y``.
"""

import re
from typing import Final

LETTER_NAMES: Final[dict[str, str]] = {
    "A": "a",
    "B": "bê",
    "C": "xê",
    "D": "dê",
    "Đ": "đê",
    "E": "e",
    "F": "ép",
    "G": "gờ",
    "H": "hát",
    "I": "i",
    "J": "gi",
    "K": "ca",
    "L": "e-lờ",
    "M": "em-mờ",
    "N": "en-nờ",
    "O": "o",
    "P": "pê",
    "Q": "quy",
    "R": "e-rờ",
    "S": "ét-xì",
    "T": "tê",
    "U": "u",
    "V": "vê",
    "W": "vê kép",
    "X": "ích-xì",
    "Y": "i dài",
    "Z": "dét",
}

_SINGLE_CAPITAL_RE: Final = re.compile(r"(?=[A-ZĐ])(?<![\w'’])[A-ZĐ](?![\w'’])")
# Words that make ``Y`` the first syllable of a compound (``Sở Y tế``), not a letter.
_Y_COMPOUND_RE: Final = re.compile(r"\s+(?:tế|học|khoa|sĩ|dược|đức|bác|tá|lệnh|bạ|án)(?![\w])")
_POINT_LETTER: Final = r"(?:[a-xzđ]|y(?!\s+[^\W\d_]))(?![\w'’])"
_POINT_LIST_RE: Final = re.compile(
    rf"(?=[đĐ])(?<![\w])((?i:điểm)\s+)({_POINT_LETTER}(?:\s*(?:,|và|hoặc|đến|-|–)\s*{_POINT_LETTER})*)"
)
_LOWER_LETTER_RE: Final = re.compile(r"(?<![\w])[a-zđ](?![\w])")


def spell_letters(letters: str) -> str:
    """Spell capital letters with their Vietnamese names: ``VN`` -> ``vê en-nờ``."""
    return " ".join(LETTER_NAMES.get(char, char.lower()) for char in letters)


def expand_single_letters(text: str) -> str:
    """Spell lone capital letters and the letters of legal points (see module docstring)."""

    def point_list(match: re.Match[str]) -> str:
        letters = _LOWER_LETTER_RE.sub(lambda found: spell_letters(found.group(0).upper()), match.group(2))
        return match.group(1) + letters

    def capital(match: re.Match[str]) -> str:
        letter = match.group(0)
        if letter == "Y" and _Y_COMPOUND_RE.match(match.string, match.end()):
            return letter
        return LETTER_NAMES[letter]

    if "điểm" in text or "Điểm" in text or "ĐIỂM" in text:
        text = _POINT_LIST_RE.sub(point_list, text)
    return _SINGLE_CAPITAL_RE.sub(capital, text)
