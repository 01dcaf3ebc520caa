"""Text normalization for Vietnamese speech: written bulletin text in, spoken words out.

``normalize`` returns what a trained Vietnamese radio announcer would read aloud: no
digits and no raw abbreviations remain. It runs these passes, in order; each domain
module documents its own reading decisions:

0. preparation: Unicode NFC, plain spaces, list bullets (``- ``, ``+ ``, ``• `` at the start
   of a line) dropped, lettered items (``a) ``) spelled, ``#12``/``№ 12`` -> ``số 12``,
   ``v.v.`` -> ``vân vân``;
1. web and e-mail addresses (``tts.leftovers``), vessel numbers and vehicle plates
   (``tts.registrations``), address prefixes such as ``P. 5``, ``H. Tân Châu``
   (``tts.addresses``), road codes and distance markers such as ``QL1A``, ``ĐT.954``,
   ``Km 12+500`` (``tts.roads``), then legal document numbers (``tts.legal_refs``), which
   need the raw issuer codes;
2. the abbreviation lexicon (``tts.abbreviations``), early so that ``COVID-19``,
   ``VNĐ`` or ``ĐT:`` are words before any number is read;
3. phone numbers and hotlines (``tts.phone_numbers``), dates (``tts.dates``) and clock
   times (``tts.times``, also the southern ``19g30``);
4. article references (``tts.legal_refs``), Roman numerals after trigger words
   (``tts.roman_numerals``) and ``thứ N`` ordinals and weekdays (``tts.numbers``);
5. ``a x b`` -> ``a nhân b``, numeric ranges (``cấp 7-8`` -> ``cấp bảy đến cấp tám``; a
   dash list ``20-20-15`` is read with pauses), then quantities with units, money and
   percentages (``tts.units``);
6. capital-digit tokens and unknown capital abbreviations, spelled letter by letter;
7. every remaining number (``tts.numbers``): a proper fraction ``a/b`` with ``b`` at
   most 10 is read ``a phần b`` (``2/3`` -> ``hai phần ba``, ``3/4`` -> ``ba phần tư``);
   any other ``a/b`` outside dates, and ``a:b`` that is no clock time (a map scale
   ``1:2000``), are read ``a trên b`` (``24/7`` -> ``hai mươi tư trên bảy``, ``24/24``);
   ``nghìn``/``ngàn`` written after a number follows the dialect; a chain such as
   ``1.2.3`` that is no thousands grouping is read with ``chấm``;
8. signs: ``+`` -> ``cộng``, ``&`` -> ``và``, ``~`` -> ``khoảng``, ``%`` -> ``phần trăm``,
   ``‰`` -> ``phần nghìn`` (south ``phần ngàn``), ``±`` -> ``cộng trừ``, ``=`` -> ``bằng``,
   ``<``/``>`` -> ``nhỏ hơn``/``lớn hơn``, ``×`` -> ``nhân``, ``½`` -> ``một phần hai``;
   a ``/`` still left joins words, not numbers: before a noun of time or measure it
   means "per" and is read ``một`` (``3 lần/ngày`` -> ``ba lần một ngày``, ``tấn/ha``
   -> ``tấn một héc-ta``, ``con/m²`` -> ``con một mét vuông``); ``và/hoặc`` is ``và
   hoặc``; between other words it separates alternatives and becomes a short pause
   (``Nam/Nữ`` -> ``Nam, Nữ``); anywhere else it is dropped;
9. lone letters (``hạng C``, ``điểm b``; ``tts.letters``), last so that letters freed
   by the passes above (``A/B``) are spelled too;
10. leftovers (``tts.leftovers``): a digit still left is read digit by digit, a symbol
    still left is dropped, and both, with foreign-shaped words, are reported as
    ``ReadingIssue``s (``read_aloud``) for the officer's preview; then spaces are
    collapsed within each line and blank lines dropped; punctuation, which drives the
    pauses, is kept.

Dialects: ``north`` says ``nghìn`` and ``linh``; ``south`` says ``ngàn`` and ``lẻ``.
"""

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from tts.abbreviations import (
    build_lexicon,
    expand_letter_tokens,
    load_builtin_lexicon,
    spell_letters,
)
from tts.addresses import expand_address_prefixes
from tts.dates import expand_dates
from tts.leftovers import ReadingIssue, expand_web_addresses, secure_leftovers
from tts.legal_refs import expand_article_references, expand_document_numbers
from tts.letters import LETTER_NAMES, expand_single_letters
from tts.numbers import (
    NUMBER_PATTERN,
    Dialect,
    expand_ordinals,
    read_fraction,
    read_number_literal,
    thousand_word,
)
from tts.phone_numbers import expand_hotlines, expand_phone_numbers
from tts.registrations import expand_registrations
from tts.roads import expand_roads
from tts.roman_numerals import expand_roman_numerals
from tts.times import expand_times
from tts.units import expand_ranges, expand_units

__all__ = ["NormalizationError", "Reading", "ReadingIssue", "load_builtin_lexicon", "normalize", "read_aloud"]

_DIALECTS: Final = ("north", "south")

_SPACE_LIKE_RE: Final = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\t\f\v]")
_ZERO_WIDTH_RE: Final = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
_ETCETERA_RE: Final = re.compile(r"(?=v)(?<![\w])v\.v\.(?:\.\.|…)?")
# A list bullet at the start of a line (``- ``, ``+ ``, ``• ``): a layout mark, not a word.
_BULLET_RE: Final = re.compile(r"(?m)^[ \t]*[-+•*·▪►‣◦–—][ \t]+")
# A lettered list item (``a) ``, ``b) ``): the letter is spelled and followed by a pause.
_LIST_LETTER_RE: Final = re.compile(r"(?m)^([ \t]*)([a-zđ])\)[ \t]+")
# ``#12``, ``№ 15``: the number sign is ``số``.
_NUMBER_SIGN_RE: Final = re.compile(r"(?<![\w])[#№]\s?(?=[0-9])")
_SLASH_BEFORE_NUMBER_RE: Final = re.compile(r"(?=/)(?<=[^\W\d_])/(?=\s?[0-9])")
_MULTIPLY_RE: Final = re.compile(r"(?=[ x×])(?<=[0-9])\s?[x×]\s?(?=[0-9])")
_NUMBER_SEPARATOR: Final = r"(?:\s?/\s?|:)"
_GENERIC_NUMBER_RE: Final = re.compile(
    rf"(?=[0-9])(?<![0-9])({NUMBER_PATTERN}(?:{_NUMBER_SEPARATOR}{NUMBER_PATTERN})*)(\s+(?:nghìn|ngàn)(?![\w]))?"
)
_NUMBER_SEPARATOR_RE: Final = re.compile(_NUMBER_SEPARATOR)
_DOTTED_CHAIN_RE: Final = re.compile(r"(?=[0-9])(?<![0-9.,])[0-9]{1,3}(?:\.[0-9]{1,3}){2,}(?![0-9]|[.,][0-9])")
_THOUSANDS_RE: Final = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+")
# Signs read as words; the padding spaces are collapsed by the clean-up pass.
_SIGN_WORDS: Final[tuple[tuple[str, str], ...]] = (
    ("+", " cộng "),
    ("&", " và "),
    ("~", " khoảng "),
    ("≈", " xấp xỉ "),
    ("≥", " lớn hơn hoặc bằng "),
    ("≤", " nhỏ hơn hoặc bằng "),
    ("%", " phần trăm "),
    ("°", " độ "),
    ("℃", " độ "),
    ("±", " cộng trừ "),
    ("=", " bằng "),
    ("->", " đến "),
    ("→", " đến "),
    ("<", " nhỏ hơn "),
    (">", " lớn hơn "),
    ("×", " nhân "),
    ("½", " một phần hai "),
    ("¼", " một phần tư "),
    ("¾", " ba phần tư "),
    ("№", " số "),
)
_PER_NOUN_SLASH_RE: Final = re.compile(
    r"(?=[\s/])(?<=[^\W\d_])\s*/\s*(ngày|tuần|tháng|quý|năm|giờ|phút|người|hộ|lượt|lần|con|chiếc|ha|héc-ta|sào"
    r"|tấn|suất|buổi|xã|thôn|ấp|khẩu|học\s+sinh|em|công|giạ|chục|trái|bao|bộ|viên|liều|lít|ki-lô-gam"
    r"|mét\s+vuông|mét\s+khối|mét|ki-lô-mét)(?![\w-])"
)
_AND_OR_RE: Final = re.compile(r"(?i)(?=v)(?<![\w])(và)\s*/\s*(hoặc)(?![\w])")
_SLASHES_RE: Final = re.compile(r"\s*/+\s*")
_SPACES_RE: Final = re.compile(r" {2,}")
_SPACE_BEFORE_PUNCT_RE: Final = re.compile(r" +([,.;:!?…)\]])")
_SPACE_AFTER_OPEN_RE: Final = re.compile(r"([(\[]) +")


class NormalizationError(ValueError):
    """Raised for unusable arguments: non-text input, an unknown dialect or lexicon entry."""


def _check_arguments(text: object, dialect: object, lexicon: object) -> None:
    if not isinstance(text, str):
        raise NormalizationError(f"text must be a str, not {type(text).__name__}")
    if dialect not in _DIALECTS:
        raise NormalizationError(f"dialect must be 'north' or 'south', not {dialect!r}")
    if lexicon is not None:
        if not isinstance(lexicon, Mapping):
            raise NormalizationError("lexicon must be a mapping of str to str")
        for key, value in lexicon.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise NormalizationError(f"lexicon entry {key!r}: {value!r} is not str to str")


def _prepare(text: str) -> str:
    """Unicode NFC, plain spaces, and ``v.v.`` (which must not be read as numbers)."""
    text = unicodedata.normalize("NFC", text)
    text = _ZERO_WIDTH_RE.sub("", text)
    text = _SPACE_LIKE_RE.sub(" ", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _BULLET_RE.sub("", text)
    text = _LIST_LETTER_RE.sub(lambda match: f"{match.group(1)}{LETTER_NAMES[match.group(2).upper()]}, ", text)
    text = _NUMBER_SIGN_RE.sub("số ", text)
    return _ETCETERA_RE.sub(_read_etcetera, text)


def _read_etcetera(match: re.Match[str]) -> str:
    """``vân vân``, keeping the period when ``v.v.`` ended the sentence."""
    following = match.string[match.end() : match.end() + 3].lstrip(" ")
    ends_sentence = not following or following[0] == "\n" or following[0].isupper()
    return "vân vân." if ends_sentence else "vân vân"


def _expand_numbers(text: str, dialect: Dialect) -> str:
    """Read every number still written with digits (see pass 7 of the module docstring)."""

    def replace(match: re.Match[str]) -> str:
        numbers = _NUMBER_SEPARATOR_RE.split(match.group(1))
        fraction = read_fraction(match.group(1), dialect) if len(numbers) == 2 else None
        words = fraction or " trên ".join(read_number_literal(number, dialect) for number in numbers)
        if match.group(2) is not None:
            words += " " + thousand_word(dialect)
        # Keep the words apart from letters the number was glued to (``x2``, ``1e5``).
        start, end = match.start(), match.end()
        if start and match.string[start - 1].isalpha():
            words = " " + words
        if end < len(match.string) and match.string[end].isalpha():
            words += " "
        return words

    def dotted(match: re.Match[str]) -> str:
        chain = match.group(0)
        if _THOUSANDS_RE.fullmatch(chain):
            return chain
        return " chấm ".join(read_number_literal(part, dialect) for part in chain.split("."))

    text = _SLASH_BEFORE_NUMBER_RE.sub(" trên ", text)
    text = _DOTTED_CHAIN_RE.sub(dotted, text)
    return _GENERIC_NUMBER_RE.sub(replace, text)


def _expand_signs(text: str, dialect: Dialect) -> str:
    for sign, spoken in _SIGN_WORDS:
        if sign in text:
            text = text.replace(sign, spoken)
    if "‰" in text:
        text = text.replace("‰", f" phần {thousand_word(dialect)} ")
    return text


def _expand_slashes(text: str) -> str:
    """Read the ``/`` that no pass claimed (see pass 8 of the module docstring)."""

    def per_noun(match: re.Match[str]) -> str:
        noun = match.group(1)
        return " một " + ("héc-ta" if noun == "ha" else noun)

    def separator(match: re.Match[str]) -> str:
        written, start, end = match.string, match.start(), match.end()
        between_words = start > 0 and end < len(written) and written[start - 1].isalnum() and written[end].isalnum()
        return ", " if between_words and match.group(0).strip() == "/" else " "

    if "/" not in text:
        return text
    text = _AND_OR_RE.sub(r"\1 \2", text)
    text = _PER_NOUN_SLASH_RE.sub(per_noun, text)
    return _SLASHES_RE.sub(separator, text) if "/" in text else text


def _clean_up(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        line = _SPACES_RE.sub(" ", line).strip()
        if line:
            line = _SPACE_BEFORE_PUNCT_RE.sub(r"\1", line)
            lines.append(_SPACE_AFTER_OPEN_RE.sub(r"\1", line))
    return "\n".join(lines)


@dataclass(frozen=True)
class Reading:
    """The spoken form of a text, and what in it could not be read as words (for the officer)."""

    spoken: str
    issues: tuple[ReadingIssue, ...]


def normalize(
    text: str,
    dialect: Literal["north", "south"] = "north",
    lexicon: Mapping[str, str] | None = None,
) -> str:
    """Return the spoken form of ``text`` for a Vietnamese loudspeaker bulletin.

    ``lexicon`` maps extra abbreviations (a province's own) to their expansions; it
    extends and overrides the built-in lexicon. Raises ``NormalizationError`` only for
    unusable arguments; any text yields output.
    """
    return read_aloud(text, dialect, lexicon).spoken


def read_aloud(
    text: str,
    dialect: Literal["north", "south"] = "north",
    lexicon: Mapping[str, str] | None = None,
) -> Reading:
    """``normalize``, with the tokens it could not read as words (see ``tts.leftovers``)."""
    _check_arguments(text, dialect, lexicon)
    merged = build_lexicon(lexicon)
    text = _prepare(text)
    text, address_issues = expand_web_addresses(text)
    text = expand_registrations(text, dialect)
    text = expand_address_prefixes(text)
    text = expand_roads(text)
    text = expand_document_numbers(text, dialect, merged.entries, spell_letters, lexicon)
    text = merged.expand(text)
    text = expand_phone_numbers(text)
    text = expand_hotlines(text)
    text = expand_dates(text, dialect)
    text = expand_times(text, dialect)
    text = expand_article_references(text, dialect)
    text = expand_roman_numerals(text, dialect)
    text = expand_ordinals(text, dialect)
    text = _MULTIPLY_RE.sub(" nhân ", text)
    text = expand_ranges(text)
    text = expand_units(text, dialect)
    text = expand_letter_tokens(text, dialect)
    text = _expand_numbers(text, dialect)
    text = _expand_signs(text, dialect)
    text = _expand_slashes(text)
    text = expand_single_letters(text)
    text, leftover_issues = secure_leftovers(text)
    return Reading(_clean_up(text), tuple(address_issues + leftover_issues))
