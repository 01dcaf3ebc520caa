"""Reading legal document numbers and article references as a radio announcer does.

Document numbers come in these shapes:

* state documents ``100/2019/NĐ-CP``, ``39/2020/TT-BTTTT``, ``01/2024/TTLT-BTC-BTP``,
  ``1929/QĐ-UBND``, ``06/CT-TTg``, ``123/KH-UBND``;
* laws and resolutions of the National Assembly ``31/2024/QH15`` (and ``UBTVQH15``);
* Party documents ``80-KL/TW``, ``05-NQ/TU``, ``36-CT/TW``;
* official letters ``123/UBND-VX`` (issuer, then the issuing department);
* a type with no issuer, ``123/QĐ`` or ``01/2024/TT``; and ``n/yyyy`` right after a type
  word (``Nghị định 100/2019``), read ``số n năm yyyy``.

Reading decisions:

* The number is a cardinal, leading zeros dropped (``05`` -> ``năm``). The year follows
  after the word ``năm``: ``100/2019/NĐ-CP`` is ``số một trăm năm hai nghìn không trăm
  mười chín``.
* The type code (``NĐ``, ``TT``, ``QĐ``, ``NQ``, ``KL``, ``CT``, ``CV``, ``KH``, ``TB``,
  ``HD`` ...) is not spelled. If the words just before already name a document
  (``Nghị định``, ``Kết luận số``, ``Bộ luật Hình sự số``, ``văn bản``), it is dropped
  and ``số`` is added when missing (``Nghị định 168/2024/NĐ-CP`` -> ``Nghị định số một
  trăm sáu mươi tám năm ...``). Otherwise the type is spoken before the number:
  ``80-KL/TW`` -> ``Kết luận số tám mươi của Trung ương``. ``QH`` codes carry no type
  (laws and resolutions share them), so ``31/2024/QH15`` alone is ``số ba mươi mốt
  năm hai nghìn không trăm hai mươi tư của Quốc hội khóa mười lăm``. A ``số/ISSUER-DEPT``
  number is an official letter (``Công văn số ...``); the department code is an internal
  routing mark and is not read.
* A document header writes ``Số: 45/TB-UBND`` (or ``Số 45/TB-UBND``, ``số 12/KH-UBND``):
  the written ``Số``/``số`` (and its colon) is folded into the reading, which puts the
  type in front of it the way an announcer introduces the document: ``Thông báo số bốn
  mươi lăm của Ủy ban nhân dân``. With no type to say (``Số 31/2024/QH15``) the ``số``
  is kept as written.
* A type code written before a full number (``NĐ 100/2019/NĐ-CP``, ``NQ 57-NQ/TW``) is
  the type word and is read once: ``Nghị định số một trăm ...``.
* The issuer is spoken with ``của``: ``CP`` -> ``của Chính phủ``, ``TTg`` -> ``của Thủ
  tướng Chính phủ``, ``UBND`` -> ``của Ủy ban nhân dân``, ``TW`` -> ``của Trung ương``,
  ``TU`` -> ``của Tỉnh ủy`` ... Several issuers are joined with ``và``. ``BCT`` is
  ``Bộ Chính trị`` in Party documents (``-NQ/BCT``) and ``Bộ Công Thương`` in state ones
  (``-BCT`` after a dash); ``BCH`` likewise is ``Ban Chấp hành`` or ``Ban Chỉ huy``.
  A caller's own lexicon overrides these names (except the Party-only readings);
  unknown issuers are looked up in the abbreviation lexicon, else spelled letter by
  letter.
* The issuer is not spoken when the same clause already says it (``Nghị định
  168/2024/NĐ-CP của Chính phủ``, ``1929/QĐ-UBND ngày 12/5/2024 của UBND tỉnh``).

Article references keep their numbers for the generic reading but lose the capital of
the heading word: ``Điều 5, khoản 2, điểm a`` -> ``điều năm, khoản hai, điểm a``;
dotted section numbers are read with ``chấm`` (``Mục 1.2`` -> ``mục một chấm hai``);
the letter of a point is spelled later by ``tts.letters`` (``điểm b`` -> ``điểm bê``).
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from tts.numbers import Dialect, read_cardinal

DOCUMENT_TYPES: Final[dict[str, str]] = {
    "NĐ": "Nghị định",
    "TT": "Thông tư",
    "TTLT": "Thông tư liên tịch",
    "QĐ": "Quyết định",
    "QĐi": "Quy định",
    "NQ": "Nghị quyết",
    "NQLT": "Nghị quyết liên tịch",
    "KL": "Kết luận",
    "CT": "Chỉ thị",
    "CV": "Công văn",
    "KH": "Kế hoạch",
    "TB": "Thông báo",
    "HD": "Hướng dẫn",
    "BC": "Báo cáo",
    "TTr": "Tờ trình",
    "CĐ": "Công điện",
    "QC": "Quy chế",
    "CTr": "Chương trình",
    "ĐA": "Đề án",
    "GM": "Giấy mời",
}

ISSUERS: Final[dict[str, str]] = {
    "CP": "Chính phủ",
    "TTg": "Thủ tướng Chính phủ",
    "VPCP": "Văn phòng Chính phủ",
    "TTCP": "Thanh tra Chính phủ",
    "BTTTT": "Bộ Thông tin và Truyền thông",
    "BCA": "Bộ Công an",
    "BTC": "Bộ Tài chính",
    "BNNPTNT": "Bộ Nông nghiệp và Phát triển nông thôn",
    "BTP": "Bộ Tư pháp",
    "BYT": "Bộ Y tế",
    "BGDĐT": "Bộ Giáo dục và Đào tạo",
    "BGTVT": "Bộ Giao thông vận tải",
    "BLĐTBXH": "Bộ Lao động, Thương binh và Xã hội",
    "BTNMT": "Bộ Tài nguyên và Môi trường",
    "BQP": "Bộ Quốc phòng",
    "BNV": "Bộ Nội vụ",
    "BCT": "Bộ Công Thương",
    "BXD": "Bộ Xây dựng",
    "BVHTTDL": "Bộ Văn hóa, Thể thao và Du lịch",
    "BKHĐT": "Bộ Kế hoạch và Đầu tư",
    "BKHCN": "Bộ Khoa học và Công nghệ",
    "BNG": "Bộ Ngoại giao",
    "NHNN": "Ngân hàng Nhà nước",
    "UBND": "Ủy ban nhân dân",
    "HĐND": "Hội đồng nhân dân",
    "TANDTC": "Tòa án nhân dân tối cao",
    "VKSNDTC": "Viện kiểm sát nhân dân tối cao",
    "UBTVQH": "Ủy ban Thường vụ Quốc hội",
    "QH": "Quốc hội",
    "TW": "Trung ương",
    "TƯ": "Trung ương",
    "TU": "Tỉnh ủy",
    "HU": "Huyện ủy",
    "ĐU": "Đảng ủy",
    "BTV": "Ban Thường vụ",
    "BBT": "Ban Bí thư",
    "BCH": "Ban Chỉ huy",
    "BCĐ": "Ban Chỉ đạo",
    "BCHQS": "Ban Chỉ huy Quân sự",
    "UBKTTW": "Ủy ban Kiểm tra Trung ương",
    "BTGTW": "Ban Tuyên giáo Trung ương",
    "BDVTW": "Ban Dân vận Trung ương",
    "MTTQ": "Mặt trận Tổ quốc",
    "CAT": "Công an tỉnh",
    "CAH": "Công an huyện",
    "CAX": "Công an xã",
    "BNNMT": "Bộ Nông nghiệp và Môi trường",
    "BDTTG": "Bộ Dân tộc và Tôn giáo",
    "VPUBND": "Văn phòng Ủy ban nhân dân",
    "STTTT": "Sở Thông tin và Truyền thông",
    "SYT": "Sở Y tế",
    "SGDĐT": "Sở Giáo dục và Đào tạo",
    "SNN": "Sở Nông nghiệp",
    "SNNPTNT": "Sở Nông nghiệp và Phát triển nông thôn",
    "SNNMT": "Sở Nông nghiệp và Môi trường",
    "STNMT": "Sở Tài nguyên và Môi trường",
    "SLĐTBXH": "Sở Lao động, Thương binh và Xã hội",
    "SVHTTDL": "Sở Văn hóa, Thể thao và Du lịch",
    "STC": "Sở Tài chính",
    "STP": "Sở Tư pháp",
    "SNV": "Sở Nội vụ",
    "SXD": "Sở Xây dựng",
    "SCT": "Sở Công Thương",
    "SGTVT": "Sở Giao thông vận tải",
    "SKHĐT": "Sở Kế hoạch và Đầu tư",
    "SKHCN": "Sở Khoa học và Công nghệ",
    "BTGTU": "Ban Tuyên giáo Tỉnh ủy",
    "BDVTU": "Ban Dân vận Tỉnh ủy",
    "UBKTTU": "Ủy ban Kiểm tra Tỉnh ủy",
    "LĐLĐ": "Liên đoàn Lao động",
}

# Issuer codes that mean something else in Party documents (``NUM-TYPE/ISSUER``).
PARTY_ISSUERS: Final[dict[str, str]] = {
    "BCT": "Bộ Chính trị",
    "BCH": "Ban Chấp hành",
}

_CODE: Final = r"[A-ZĐƯ][A-Za-zĐđƯư]{0,8}"
_CHAIN: Final = rf"{_CODE}(?:-{_CODE})*"
_TAIL: Final = r"(?![\w/-])"
# Every document pattern starts with a digit look-ahead, which lets the regex engine skip
# straight to digits instead of trying each position of the text.
_NUMBER_START: Final = r"(?=[0-9])(?<![\w/.-])"
_STATE_RE: Final = re.compile(
    rf"{_NUMBER_START}([0-9]{{1,5}})(?:/([0-9]{{4}}))?/({_CODE})-({_CHAIN})(?:\.[A-ZĐ]+)?{_TAIL}"
)
_ASSEMBLY_RE: Final = re.compile(rf"{_NUMBER_START}([0-9]{{1,5}})/([0-9]{{4}})/(UBTVQH|QH)([0-9]{{1,2}}){_TAIL}")
_PARTY_RE: Final = re.compile(rf"{_NUMBER_START}([0-9]{{1,5}})-({_CODE})/({_CHAIN}){_TAIL}")
_TYPE_CODES: Final = "|".join(sorted(DOCUMENT_TYPES, key=len, reverse=True))
_UNSIGNED_RE: Final = re.compile(
    rf"{_NUMBER_START}([0-9]{{1,5}})(?:/([0-9]{{4}}))?/({_TYPE_CODES})(?![\w/-]|\.[0-9A-Za-z])"
)
_YEAR_NUMBER_RE: Final = re.compile(rf"{_NUMBER_START}([0-9]{{1,5}})/([0-9]{{4}})(?![\w/]|[.,-][0-9])")
# A type code written before a full document number: ``NĐ 100/2019/NĐ-CP``, ``NQ 57-NQ/TW``.
_TYPE_CODE_BEFORE_RE: Final = re.compile(
    rf"(?=[A-ZĐ])(?<![\w/.-])({_TYPE_CODES})\.?(\s+)"
    rf"(?=(?:(?:số|Số)\s*:?\s*)?[0-9]{{1,5}}(?:/[0-9]{{4}})?(?:/|-{_CODE}/)[A-ZĐ])"
)
# The ``Số:``/``số`` written right before a number (a document header says ``Số: 45/TB-UBND``).
_WRITTEN_NUMBER_WORD_RE: Final = re.compile(r"(?<![\w])(số|Số|SỐ)\s*:?\s*$")
_NUMBER_WORD_WINDOW: Final = 8

_TYPE_WORDS: Final = (
    r"nghị\s+định|nghị\s+quyết(?:\s+liên\s+tịch)?|thông\s+tư(?:\s+liên\s+tịch)?|quyết\s+định"
    r"|quy\s+định|kết\s+luận|chỉ\s+thị|công\s+văn|kế\s+hoạch|thông\s+báo|hướng\s+dẫn|bộ\s+luật"
    r"|luật|pháp\s+lệnh|báo\s+cáo|tờ\s+trình|công\s+điện|quy\s+chế|chương\s+trình|đề\s+án"
    r"|văn\s+bản|giấy\s+mời"
)
_TYPE_BEFORE_RE: Final = re.compile(rf"(?i)(?<![\w])(?:{_TYPE_WORDS})\s*(số)?\s*:?\s*$")
_NUMBER_WORD_BEFORE_RE: Final = re.compile(r"(?i)(?<![\w])số\s*:?\s*$")
_CLAUSE_END_RE: Final = re.compile(r"[;!?\n]|\.(?:\s|$)")
_ARTICLE_RE: Final = re.compile(
    r"(?=[ĐKCMP])(?<![\w])(Điều|Khoản|Điểm|Chương|Mục|Phần|ĐIỀU|KHOẢN|ĐIỂM|CHƯƠNG|MỤC|PHẦN)"
    r"(?=\s+(?:[0-9]|[IVXLCDM]+(?![\w])|[a-zA-ZđĐ](?![\w])|[A-ZĐ]+[0-9]))"
)
_SECTION_NUMBER_RE: Final = re.compile(
    r"(?=[đĐkKcCmMtTpP])(?<![\w])((?i:điều|khoản|chương|mục|tiểu\s+mục|phần|phụ\s+lục|mẫu)\s+)([0-9]{1,3}(?:\.[0-9]{1,3})+)"
    r"(?![0-9]|[.,][0-9])"
)
_OWN_ISSUER_RE: Final = re.compile(r"\s+của\s+[A-ZĐ]")
_LOOKBACK: Final = 48
_LOOKAHEAD: Final = 160

Speller = Callable[[str], str]


def _join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " và " + names[-1]


@dataclass(frozen=True)
class _Found:
    """A document number found in a text, with the ``số`` written before it, if any.

    ``start`` is where the reading replaces the text: the ``số`` when there is one (the
    reading says it again, with the document type), else the number itself.
    """

    match: re.Match[str]
    start: int
    number_word: str | None


class _DocumentReader:
    """Reads the document numbers of one text; holds the lexicon and dialect."""

    def __init__(
        self, dialect: Dialect, lexicon: Mapping[str, str], spell: Speller, overrides: Mapping[str, str]
    ) -> None:
        self.dialect = dialect
        self.lexicon = lexicon
        self.spell = spell
        self.overrides = overrides

    def issuer_name(self, code: str, party: bool) -> str:
        """Spoken name of an issuer code (``CP`` -> ``Chính phủ``)."""
        if party and code in PARTY_ISSUERS:
            return PARTY_ISSUERS[code]
        if code in self.overrides:
            return self.overrides[code]
        if code in ISSUERS:
            return ISSUERS[code]
        if code in self.lexicon:
            return self.lexicon[code]
        return self.spell(code)

    def compose(
        self,
        found: _Found,
        number: str,
        year: str | None,
        type_name: str | None,
        issuers: list[tuple[str, str]],
    ) -> str:
        """Assemble ``[<Type>] số <number> [năm <year>] [của <issuers>]``."""
        text = found.match.string
        before = text[max(0, found.start - _LOOKBACK) : found.start]
        typed = _TYPE_BEFORE_RE.search(before)
        words: list[str] = []
        if typed is not None:
            if typed.group(1) is None:
                words.append("số")
        elif _NUMBER_WORD_BEFORE_RE.search(before) is None:
            if type_name:
                words.append(f"{type_name} số")
            elif found.number_word is not None:
                capital = found.number_word[0].isupper() and _starts_sentence(before)
                words.append("Số" if capital else "số")
            else:
                words.append("số")
        words.append(read_cardinal(int(number), self.dialect))
        if year is not None:
            words += ["năm", read_cardinal(int(year), self.dialect)]
        if issuers and not self._issuer_follows(text, found.match.end(), issuers[0]):
            words.append("của " + _join_names([name for _, name in issuers]))
        return " ".join(words)

    @staticmethod
    def _issuer_follows(text: str, end: int, issuer: tuple[str, str]) -> bool:
        """Whether the rest of the clause already says ``của <issuer>``, or the text names
        an issuer of its own right after the number (``80-KL/TW của Bộ Chính trị``)."""
        after = text[end : end + _LOOKAHEAD]
        if _OWN_ISSUER_RE.match(after):
            return True
        clause_end = _CLAUSE_END_RE.search(after)
        clause = " ".join(after[: clause_end.start() if clause_end else None].split()).lower()
        code, name = issuer
        return f"của {name.lower()}" in clause or f"của {code.lower()}" in clause

    def state(self, found: _Found) -> str:
        """Read ``100/2019/NĐ-CP``, ``1929/QĐ-UBND`` or ``123/UBND-VX``."""
        number, year, code, chain = found.match.groups()
        codes = chain.split("-")
        type_name = DOCUMENT_TYPES.get(code)
        if type_name is None:
            # ``123/UBND-VX``: an official letter; the department code is not read.
            type_name = DOCUMENT_TYPES["CV"]
            codes = [code]
        issuers = [(issuer, self.issuer_name(issuer, party=False)) for issuer in codes]
        return self.compose(found, number, year, type_name, issuers)

    def unsigned(self, found: _Found) -> str:
        """Read ``123/QĐ`` or ``01/2024/TT``: a document type with no issuer written."""
        number, year, code = found.match.groups()
        return self.compose(found, number, year, DOCUMENT_TYPES[code], [])

    def assembly(self, found: _Found) -> str:
        """Read ``31/2024/QH15`` (``UBTVQH`` likewise): the issuer is the term's assembly."""
        number, year, code, term = found.match.groups()
        name = f"{ISSUERS[code]} khóa {read_cardinal(int(term), self.dialect)}"
        return self.compose(found, number, year, None, [(code, name)])

    def party(self, found: _Found) -> str:
        """Read ``80-KL/TW``, ``05-NQ/TU``: Party documents put the type before the slash."""
        number, code, chain = found.match.groups()
        type_name = DOCUMENT_TYPES.get(code)
        if type_name is None:
            type_name = self.lexicon.get(code) or self.spell(code)
            type_name = type_name[:1].upper() + type_name[1:]
        issuers = [(issuer, self.issuer_name(issuer, party=True)) for issuer in chain.split("-")]
        return self.compose(found, number, None, type_name, issuers)

    def year_number(self, match: re.Match[str]) -> str:
        """Read ``Nghị định 100/2019``: a number and its year right after a type word."""
        text = match.string
        typed = _TYPE_BEFORE_RE.search(text, max(0, match.start() - _LOOKBACK), match.start())
        if typed is None:
            return match.group(0)
        number, year = match.groups()
        words = f"{read_cardinal(int(number), self.dialect)} năm {read_cardinal(int(year), self.dialect)}"
        return words if typed.group(1) is not None else "số " + words


def _replace_documents(text: str, pattern: re.Pattern[str], read: Callable[[_Found], str]) -> str:
    """Like ``pattern.sub(read, text)``, but each replacement swallows a ``số`` before it."""
    pieces: list[str] = []
    position = 0
    for match in pattern.finditer(text):
        start = match.start()
        word = _WRITTEN_NUMBER_WORD_RE.search(text, max(position, start - _NUMBER_WORD_WINDOW), start)
        found = _Found(match, word.start(), word.group(1)) if word else _Found(match, start, None)
        pieces += [text[position : found.start], read(found)]
        position = match.end()
    if not pieces:
        return text
    pieces.append(text[position:])
    return "".join(pieces)


def _starts_sentence(before: str) -> bool:
    stripped = before.rstrip()
    return not stripped or stripped[-1] in ".!?:\n"


def expand_document_numbers(
    text: str,
    dialect: Dialect,
    lexicon: Mapping[str, str],
    spell: Speller,
    overrides: Mapping[str, str] | None = None,
) -> str:
    """Replace legal document numbers with their announcer reading (see module docstring).

    ``lexicon`` resolves issuer codes this module does not know; ``overrides`` (the
    caller's own abbreviations) take precedence over the built-in issuer names;
    ``spell`` reads codes found nowhere, letter by letter.
    """
    if "/" not in text:
        return text
    reader = _DocumentReader(dialect, lexicon, spell, overrides or {})
    text = _TYPE_CODE_BEFORE_RE.sub(lambda match: DOCUMENT_TYPES[match.group(1)] + match.group(2), text)
    text = _replace_documents(text, _ASSEMBLY_RE, reader.assembly)
    text = _replace_documents(text, _STATE_RE, reader.state)
    text = _replace_documents(text, _PARTY_RE, reader.party)
    text = _replace_documents(text, _UNSIGNED_RE, reader.unsigned)
    return _YEAR_NUMBER_RE.sub(reader.year_number, text)


def expand_article_references(text: str, dialect: Dialect = "north") -> str:
    """Lower-case ``Điều``/``Khoản``/``Điểm``/``Chương``/``Mục``/``Phần`` before a number.

    Dotted section numbers after such a word are read with ``chấm``: ``Mục 1.2`` ->
    ``mục một chấm hai`` (not a decimal).
    """
    text = _ARTICLE_RE.sub(lambda match: match.group(1).lower(), text)
    if "." not in text:
        return text
    return _SECTION_NUMBER_RE.sub(
        lambda match: (
            match.group(1) + " chấm ".join(read_cardinal(int(part), dialect) for part in match.group(2).split("."))
        ),
        text,
    )
