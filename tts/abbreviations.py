"""The abbreviation lexicon and the spelling of unknown capital-letter tokens.

Lexicon:

* The built-in lexicon is ``tts/data/abbreviations.json`` (an object mapping an
  abbreviation to its spoken expansion), read once through ``importlib.resources``.
  A caller's lexicon (a province's own abbreviations) extends it and wins on conflicts.
* Abbreviations match whole tokens, case-sensitively, longest first (``UBMTTQ`` before
  ``MTTQ``, ``GD&ĐT`` before ``ĐT``). A token must not touch a letter or digit before
  it, nor a letter after it; a digit right after is allowed and gets a space
  (``QL1A`` -> ``quốc lộ 1A``). Keys ending in ``.`` (``TP.``) give back the period
  when it ended a sentence.
* Expansion is repeated (at most three rounds) so an expansion that itself uses
  abbreviations is read in full.
* A definition in parentheses right after the words it abbreviates (``Ủy ban nhân
  dân (UBND)``) is dropped, so the announcer does not say the name twice, also when the
  words say it the southern way (``dịch tả heo châu Phi (ASF)``, the lexicon saying ``lợn``).

Entries worth knowing: ``IUU`` is spelled the Vietnamese way, ``i-u-u`` (the long
English name is never read out on air); ``OTP`` is ``ô tê pê``; ``COVID-19`` is
``cô-vít mười chín``; ``CN`` is ``chủ nhật``; ``VNĐ`` is ``đồng``; ``CP`` is ``Chính
phủ`` except in ``Công ty CP`` (``cổ phần``); ``NĐ``, ``QĐ``, ``NQ`` are the document
types; ``V/v`` (a letter's subject line) is ``về việc``. ``TT`` is deliberately
absent: it means ``thông tư`` only inside document numbers (handled by
``tts.legal_refs``) and is otherwise too ambiguous, so it is spelled ``tê tê``.

Letters:

* Unknown all-capital tokens of 2-8 letters are spelled with the Vietnamese letter
  names of ``tts.letters`` (``XYZ`` -> ``ích-xì i dài dét``); single letters are
  ``tts.letters``' business. The exception is an all-capital headline: a token that
  is a plausible Vietnamese syllable written without diacritics and stands next to
  another all-capital word (``TIN VẮN``) is lower-cased instead of spelled, and an
  all-capital word with Vietnamese diacritics (``VẮN``, ``ĐÍCH``) is never an
  abbreviation and is lower-cased too: ``TIN VẮN`` -> ``tin vắn``.
* Tokens mixing capitals and digits (``B2``, ``F0``, ``H5N1``, ``4G``, ``PM2.5``) spell
  their letters and read their digit groups as numbers; ``4G/5G`` is read
  ``bốn gờ, năm gờ``. A group of four or more digits is a serial and is read digit by
  digit, and so is such a number written after an unknown capital code, unless it
  could be a year: ``IR50404`` and ``IR 50404`` are ``i e-rờ năm không bốn không
  bốn``, ``OM 5451`` is ``o em-mờ năm bốn năm một``, ``APEC 2017`` keeps its year.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from types import MappingProxyType
from typing import Final

from tts.letters import LETTER_NAMES, spell_letters
from tts.numbers import Dialect, read_digits, read_number_literal

__all__ = [
    "LETTER_NAMES",
    "Lexicon",
    "build_lexicon",
    "expand_letter_tokens",
    "load_builtin_lexicon",
    "spell_letters",
]

_PACKAGE: Final = __name__.rpartition(".")[0] or "tts"
_DATA_FILE: Final = "data/abbreviations.json"
_MAX_ROUNDS: Final = 3

_CAPS_TOKEN_RE: Final = re.compile(r"(?=[A-ZĐ])(?<![\w])([A-ZĐ]{2,8})(?![\w])")
_MIXED_TOKEN_RE: Final = re.compile(
    r"(?=[A-ZĐ0-9])(?<![\w])((?:[A-ZĐ]+[0-9]+|[0-9]+[A-ZĐ]+)[A-ZĐ0-9]*(?:[.,][0-9]+)?)(?![\w])"
)
# An unknown capital code then a long number: a product or variety name (``OM 5451``).
_CODE_SERIAL_RE: Final = re.compile(r"(?=[A-ZĐ])(?<![\w])([A-ZĐ]{2,8}) ([0-9]{4,6})(?![\w]|[.,/-][0-9])")
_MIN_SERIAL_DIGITS: Final = 4
_MIN_YEAR: Final = 1000
_MAX_YEAR: Final = 2100
_MIXED_PART_RE: Final = re.compile(r"[A-ZĐ]+|[0-9]+(?:[.,][0-9]+)?")
_SLASHED_MIXED_RE: Final = re.compile(r"(?<=[0-9][A-Z])/(?=[0-9][A-Z](?![\w]))")
_SYLLABLE_RE: Final = re.compile(
    r"(?:NGH|NG|NH|CH|GH|GI|KH|PH|TH|TR|QU|[BCDĐGHKLMNPRSTVX])?[AEIOUY]{1,3}(?:NG|NH|CH|[CMNPT])?"
)
_PREVIOUS_WORD_RE: Final = re.compile(r"(\S+)\s+$")
_NEXT_WORD_RE: Final = re.compile(r"^\s+(\S+)")
_WORD_EDGE_PUNCTUATION: Final = "\"'“”‘’()[],.;:!?-–"
_NEIGHBOUR_WINDOW: Final = 40
_WORD_CHAR_RE: Final = re.compile(r"\w")
_UPPER_MARKED: Final = "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_MARKED_CAPITAL_WORD_RE: Final = re.compile(
    rf"(?=[A-ZĐ{_UPPER_MARKED}]{{2}})(?<![\w])[A-ZĐ]*[{_UPPER_MARKED}][A-ZĐ{_UPPER_MARKED}]*(?![\w])"
)
# Southern words that a lexicon expansion (written the northern way) says differently.
SOUTHERN_WORDS: Final[dict[str, str]] = {"heo": "lợn", "trái": "quả", "bắp": "ngô", "thơm": "dứa", "khóm": "dứa"}
_SOUTHERN_WORD_RE: Final = re.compile(r"(?<![\w])(?:heo|trái|bắp|thơm|khóm)(?![\w])")
_DEFINITION_RE: Final = re.compile(r"[ \t]*\([ \t]*([^\s()]{1,24})[ \t]*\)")


def _as_northern(words: str) -> str:
    """``words`` with southern words in their northern form, to compare a definition with its expansion."""
    return _SOUTHERN_WORD_RE.sub(lambda match: SOUTHERN_WORDS[match.group(0)], words)


@lru_cache(maxsize=1)
def _builtin_entries() -> Mapping[str, str]:
    raw = files(_PACKAGE).joinpath(_DATA_FILE).read_text(encoding="utf-8")
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise TypeError(f"{_DATA_FILE} must hold a JSON object")
    entries = {str(key): str(value) for key, value in data.items()}
    return MappingProxyType(entries)


def load_builtin_lexicon() -> dict[str, str]:
    """Return a fresh copy of the built-in lexicon (abbreviation -> expansion)."""
    return dict(_builtin_entries())


def _key_pattern(key: str) -> str:
    """The key, escaped, with the end-of-token check its last character calls for."""
    pattern = re.escape(key)
    if key[-1].isalpha():
        pattern += r"(?![^\W\d_])"
    elif key[-1].isalnum():
        pattern += r"(?![\w])"
    return pattern


def _lexicon_pattern(keys: list[str]) -> str:
    """One alternation of ``keys`` (longest first) matching whole tokens only.

    The start-of-token look-behind and a first-character filter are hoisted in front of
    the alternation, so most positions of a text are rejected after one test.
    """
    word_keys = [key for key in keys if _WORD_CHAR_RE.match(key)]
    other_keys = [key for key in keys if not _WORD_CHAR_RE.match(key)]
    parts = []
    if word_keys:
        firsts = "".join(sorted({re.escape(key[0]) for key in word_keys}))
        alternatives = "|".join(_key_pattern(key) for key in word_keys)
        parts.append(rf"(?=[{firsts}])(?<![\w])(?:{alternatives})")
    parts += [_key_pattern(key) for key in other_keys]
    return "|".join(parts)


@dataclass(frozen=True)
class Lexicon:
    """A merged abbreviation lexicon with its compiled whole-token matcher."""

    entries: Mapping[str, str]
    pattern: re.Pattern[str] | None

    def expand(self, text: str) -> str:
        """Replace every lexicon abbreviation in ``text`` with its expansion.

        A parenthesised abbreviation right after its own expansion, as in ``Ủy ban nhân
        dân (UBND)``, is dropped rather than read twice.
        """
        if self.pattern is None:
            return text
        if "(" in text:
            text = _DEFINITION_RE.sub(self._drop_definition, text)
        for _ in range(_MAX_ROUNDS):
            expanded = self.pattern.sub(self._replace, text)
            if expanded == text:
                break
            text = expanded
        return text

    def _drop_definition(self, match: re.Match[str]) -> str:
        spoken = self.entries.get(match.group(1))
        if spoken is None:
            return match.group(0)
        before = match.string[max(0, match.start() - len(spoken) - 8) : match.start()]
        if _as_northern(" ".join(before.split()).lower()).endswith(_as_northern(spoken.lower())):
            return ""
        return match.group(0)

    def _replace(self, match: re.Match[str]) -> str:
        key = match.group(0)
        spoken = self.entries[key]
        following = match.string[match.end() : match.end() + 2]
        if key.endswith("."):
            rest = following.lstrip()
            if not rest or not rest[0].isalnum():
                return spoken + "."
            if not following[:1].isspace():
                return spoken + " "
        elif following[:1].isalnum():
            return spoken + " "
        return spoken


@lru_cache(maxsize=64)
def _compile(items: tuple[tuple[str, str], ...]) -> Lexicon:
    entries = {key: value for key, value in items if key}
    if not entries:
        return Lexicon(MappingProxyType({}), None)
    keys = sorted(entries, key=lambda key: (-len(key), key))
    pattern = re.compile(_lexicon_pattern(keys))
    return Lexicon(MappingProxyType(entries), pattern)


def build_lexicon(extra: Mapping[str, str] | None = None) -> Lexicon:
    """The built-in lexicon extended (and overridden) by ``extra``; compiled and cached."""
    if not extra:
        return _builtin_lexicon()
    merged = dict(_builtin_entries())
    merged.update(extra)
    return _compile(tuple(sorted(merged.items())))


@lru_cache(maxsize=1)
def _builtin_lexicon() -> Lexicon:
    return _compile(tuple(sorted(_builtin_entries().items())))


def _neighbour_is_capitalised(word: str | None) -> bool:
    if word is None:
        return False
    word = word.strip(_WORD_EDGE_PUNCTUATION)
    return len(word) >= 2 and word.isupper()


def _in_capital_run(text: str, start: int, end: int) -> bool:
    previous = _PREVIOUS_WORD_RE.search(text[max(0, start - _NEIGHBOUR_WINDOW) : start])
    following = _NEXT_WORD_RE.search(text[end : end + _NEIGHBOUR_WINDOW])
    return _neighbour_is_capitalised(previous.group(1) if previous else None) or (
        _neighbour_is_capitalised(following.group(1) if following else None)
    )


def _read_code_digits(digits: str, dialect: Dialect) -> str:
    """Digits of a code: a long plain run is a serial (digit by digit), a short one a number."""
    if len(digits) >= _MIN_SERIAL_DIGITS and digits.isdigit():
        return read_digits(digits)
    return read_number_literal(digits, dialect)


def _read_mixed(token: str, dialect: Dialect) -> str:
    words = []
    for part in _MIXED_PART_RE.findall(token):
        if part[0].isdigit():
            words.append(_read_code_digits(part, dialect))
        else:
            words.append(spell_letters(part))
    return " ".join(words)


def expand_letter_tokens(text: str, dialect: Dialect = "north") -> str:
    """Spell unknown capital tokens and read capital-digit tokens (see module docstring)."""

    def capitals(match: re.Match[str]) -> str:
        token = match.group(1)
        if _SYLLABLE_RE.fullmatch(token) and _in_capital_run(match.string, match.start(), match.end()):
            return token.lower()
        return spell_letters(token)

    def serial(match: re.Match[str]) -> str:
        number = match.group(2)
        if _MIN_YEAR <= int(number) <= _MAX_YEAR:
            return match.group(0)
        return f"{match.group(1)} {read_digits(number)}"

    text = _SLASHED_MIXED_RE.sub(", ", text)
    text = _CODE_SERIAL_RE.sub(serial, text)
    text = _MIXED_TOKEN_RE.sub(lambda match: _read_mixed(match.group(1), dialect), text)
    text = _CAPS_TOKEN_RE.sub(capitals, text)
    return _MARKED_CAPITAL_WORD_RE.sub(lambda match: match.group(0).lower(), text)
