"""What the reading passes could not read, made safe for the synthesiser and reported to the officer.

The normaliser's passes read every shape of text they know; whatever is left would reach
the speech engine as raw characters, which engines read however they like (or skip). This
module is the last line before the engine. For each kind of leftover it decides what the
engine gets, and it reports a ``ReadingIssue`` naming the written token, in Vietnamese, so
the speech preview can ask the officer to rewrite it:

* a web or e-mail address (``dichvucong.gov.vn``, ``ubnd@travinh.gov.vn``): read with
  ``chấm`` and ``a còng``; its known parts by name (``gov`` ``gờ o vê``, ``vn`` ``vê
  en-nờ``, ``com`` ``com``), any other part spelled letter by letter. It is reported
  whenever a part had to be spelled: a domain written without diacritics cannot be read as
  words. This runs first (``expand_web_addresses``), before the numbers are read;
* a digit no pass claimed: read digit by digit, reported;
* a symbol no pass claimed (``@``, ``§``, ``©``, a stray ``#``, a superscript ``²`` or a
  vulgar fraction ``⅓`` no unit or sign took): dropped, reported. Pure
  decoration (``*``, ``•``, ``▪``, ``►``, ``✓``) is dropped without a report;
* a lower-case consonant standing alone (``phương án b``) is a label: spelled (``bê``),
  except ``x``, which is reported with the foreign words below;
* a word in Latin letters that is no Vietnamese syllable and no loanword the engines know
  (``rubella`` and ``vitamin`` are known; ``iPhone``, ``gov``, ``abc`` are not): kept,
  since a word spelled out letter by letter is worse than a word read in a foreign
  manner, and reported so the officer can check how it sounds. Capitalised words are
  names (``Khmer``, ``Chnăm``) and are not reported, nor are words of another script.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from tts.letters import spell_letters
from tts.numbers import read_digits

__all__ = ["ReadingIssue", "expand_web_addresses", "secure_leftovers"]


@dataclass(frozen=True)
class ReadingIssue:
    """One written token the normaliser could not read as words, and what was done with it."""

    token: str
    message_vi: str


DOMAIN_WORDS: Final[dict[str, str]] = {
    "gov": "gờ o vê",
    "vn": "vê en-nờ",
    "com": "com",
    "org": "o e-rờ gờ",
    "net": "nét",
    "edu": "e đê u",
    "www": "vê kép vê kép vê kép",
    "gmail": "gờ meo",
    "mail": "meo",
    "zalo": "da lô",
}
# Loanwords that bulletins use and the engines say well enough (lower case).
KNOWN_LOANWORDS: Final = frozenset(
    {
        "vitamin",
        "rubella",
        "oxy",
        "mini",
        "urê",
        "online",
        "internet",
        "website",
        "email",
        "video",
        "clip",
        "camera",
        "virus",
        "vắc",
        "xin",
        "karaoke",
        "container",
        "wifi",
        "zalo",
        "facebook",
        "youtube",
        "tiktok",
        "link",
        "app",
        "livestream",
        "pin",
        "sim",
        "taxi",
        "gas",
        "bê-tông",
        "ô-tô",
        "xích-lô",
        "ki-ốt",
        "ga",
        "radio",
        "test",
        "logo",
        "robot",
        "selfie",
        "smartphone",
        "marketing",
        "voucher",
        "kít",
        "kit",
    }
)

_WEB_ADDRESS_RE: Final = re.compile(
    r"(?i)(?<![\w@.])(?:https?://)?(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*@)?"
    r"(?:[a-z0-9-]+\.)+(?:vn|com|net|org|gov|edu|info)(?:\.vn)?(?:/[\w./-]*)?(?![\w@])"
)
_ADDRESS_PART_RE: Final = re.compile(r"[a-zA-Z]+|[0-9]+|[.@/-]")
_SEPARATOR_WORDS: Final = {".": "chấm", "@": "a còng", "/": "gạch chéo", "-": "gạch ngang"}
_DIGITS_RE: Final = re.compile(r"\d+")
_DECORATION: Final = frozenset("*•·▪▫►▸■□◆◇♦❖✔✓☑➢➤")
# Punctuation that is no pause but a sign of its own: treated as a symbol. All other
# punctuation (of any script: the Khmer ``។`` too) is kept, since it drives the pauses.
_SIGN_PUNCTUATION: Final = frozenset("#@§¶†‡\\&%‰※⁂/")
# Latin letters end at U+024F; the Vietnamese letters with two marks sit at U+1E00-U+1EFF.
_LATIN_END: Final = 0x250
_VIETNAMESE_START: Final = 0x1E00
_VIETNAMESE_END: Final = 0x1F00
# A lower-case consonant standing alone is no Vietnamese word but a label (``phương án b``).
# ``x`` is left out: alone it is mostly a sign (``x2``, a tick), reported rather than spelled.
_LONE_CONSONANT_RE: Final = re.compile(r"(?<![\w'’-])[bcdđfghjklmnpqrstvwz](?![\w'’-])")
# Characters that might be symbols: everything but word characters, spaces and common pauses.
# Superscripts, vulgar fractions and circled numbers are word characters to the regex engine.
_CANDIDATE_SYMBOL_RE: Final = re.compile(
    r"[^\w\s.,;:!?…()\[\]\"'“”‘’«»\-–—]|_|[\u00b2\u00b3\u00b9\u00bc-\u00be\u2070-\u209f\u2150-\u218f\u2460-\u24ff\u2776-\u2793]"
)
_WORD_RE: Final = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_SYLLABLE_RE: Final = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdgkpt][lr]|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ng|nh|ch|[cmnpt])?"
)


def _read_address(address: str) -> tuple[str, bool]:
    """The spoken address, and whether some part of it had to be spelled."""
    words = []
    spelled = False
    lowered = address.lower()
    for prefix in ("https://", "http://"):
        if lowered.startswith(prefix):
            address = address[len(prefix) :]
            break
    for part in _ADDRESS_PART_RE.findall(address):
        if part in _SEPARATOR_WORDS:
            words.append(_SEPARATOR_WORDS[part])
        elif part.isdigit():
            words.append(read_digits(part))
        elif part.lower() in DOMAIN_WORDS:
            words.append(DOMAIN_WORDS[part.lower()])
        else:
            words.append(spell_letters(part.upper()))
            spelled = True
    return " ".join(words), spelled


def expand_web_addresses(text: str) -> tuple[str, list[ReadingIssue]]:
    """Read web and e-mail addresses (see the module docstring); report those spelled."""
    issues: list[ReadingIssue] = []

    def replace(match: re.Match[str]) -> str:
        address = match.group(0).rstrip(".")
        spoken, spelled = _read_address(address)
        if spelled:
            issues.append(
                ReadingIssue(
                    address,
                    f"Địa chỉ «{address}» không đọc được thành lời, máy sẽ đánh vần từng chữ cái. "
                    "Hãy viết cách đọc bằng chữ (ví dụ: dịch vụ công chấm gờ o vê chấm vê en).",
                )
            )
        return spoken + match.group(0)[len(address) :]

    if "." not in text:
        return text, issues
    return _WEB_ADDRESS_RE.sub(replace, text), issues


@lru_cache(maxsize=4096)
def _is_vietnamese_syllable(word: str) -> bool:
    plain = unicodedata.normalize("NFD", word.lower().replace("đ", "d"))
    plain = "".join(char for char in plain if not unicodedata.combining(char))
    return _SYLLABLE_RE.fullmatch(plain) is not None


def _is_symbol(char: str) -> bool:
    if char.isalpha() or char.isdecimal() or char.isspace():
        return False
    category = unicodedata.category(char)
    if category.startswith("P"):
        return char in _SIGN_PUNCTUATION or char in _DECORATION
    # Marks combine with the letter before them (Khmer vowel signs, a stray tone mark).
    return not category.startswith("M")


def _is_latin(word: str) -> bool:
    """Whether a word is written in Latin letters (Vietnamese included), not another script."""
    return all(
        char == "-" or ord(char) < _LATIN_END or _VIETNAMESE_START <= ord(char) < _VIETNAMESE_END for char in word
    )


def secure_leftovers(text: str) -> tuple[str, list[ReadingIssue]]:
    """Make what the passes left safe for the engine, and report it (see the module docstring)."""
    issues: list[ReadingIssue] = []

    def digits(match: re.Match[str]) -> str:
        issues.append(
            ReadingIssue(
                match.group(0),
                f"Không rõ cách đọc số «{match.group(0)}», máy sẽ đọc từng chữ số. Hãy kiểm tra lại.",
            )
        )
        return " " + read_digits(match.group(0)) + " "

    def symbol(match: re.Match[str]) -> str:
        char = match.group(0)
        if not _is_symbol(char):
            return char
        if char not in _DECORATION:
            issues.append(ReadingIssue(char, f"Ký hiệu «{char}» không đọc được nên sẽ bị bỏ qua. Hãy viết bằng chữ."))
        return " "

    text = _DIGITS_RE.sub(digits, text)
    text = _CANDIDATE_SYMBOL_RE.sub(symbol, text)
    text = _LONE_CONSONANT_RE.sub(lambda match: spell_letters(match.group(0).upper()), text)
    for match in _WORD_RE.finditer(text):
        word = match.group(0)
        if word[0].isupper() or word.lower() in KNOWN_LOANWORDS or not _is_latin(word):
            continue
        if all(_is_vietnamese_syllable(part) for part in word.split("-")):
            continue
        issues.append(
            ReadingIssue(
                word,
                f"Từ «{word}» không phải tiếng Việt, máy có thể đọc sai. Hãy nghe thử hoặc viết lại cách đọc.",
            )
        )
    return text, _unique(issues)


def _unique(issues: list[ReadingIssue]) -> list[ReadingIssue]:
    seen: set[str] = set()
    unique = []
    for issue in issues:
        if issue.token not in seen:
            seen.add(issue.token)
            unique.append(issue)
    return unique
