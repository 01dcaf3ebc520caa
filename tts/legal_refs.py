"""Reading legal document numbers and article references as a radio announcer does.

Document numbers come in these shapes:

* state documents ``100/2019/NĐ-CP``, ``39/2020/TT-BTTTT``, ``01/2024/TTLT-BTC-BTP``,
  ``1929/QĐ-UBND``, ``06/CT-TTg``, ``123/KH-UBND``;
* laws and resolutions of the National Assembly ``31/2024/QH15`` (and ``UBTVQH15``);
* Party documents ``80-KL/TW``, ``05-NQ/TU``, ``36-CT/TW``;
* official letters ``123/UBND-VX`` (issuer, then the issuing department).

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
dotted section numbers are read with ``chấm`` (``Mục 1.2`` -> ``mục một chấm hai``).
"""

import re
from collections.abc import Callable, Mapping
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
}

# Issuer codes that mean something else in Party documents (``NUM-TYPE/ISSUER``).
PARTY_ISSUERS: Final[dict[str, str]] = {
    "BCT": "Bộ Chính trị",
    "BCH": "Ban Chấp hành",
}

_CODE: Final = r"[A-ZĐƯ][A-Za-zĐđƯư]{0,8}"
_CHAIN: Final = rf"{_CODE}(?:-{_CODE})*"
_TAIL: Final = r"(?![\w/-])"
_STATE_RE: Final = re.compile(
    rf"(?<![\w/.-])([0-9]{{1,5}})(?:/([0-9]{{4}}))?/({_CODE})-({_CHAIN})(?:\.[A-ZĐ]+)?{_TAIL}"
)
_ASSEMBLY_RE: Final = re.compile(rf"(?<![\w/.-])([0-9]{{1,5}})/([0-9]{{4}})/(UBTVQH|QH)([0-9]{{1,2}}){_TAIL}")
_PARTY_RE: Final = re.compile(rf"(?<![\w/.-])([0-9]{{1,5}})-({_CODE})/({_CHAIN}){_TAIL}")

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
    r"(?<![\w])(Điều|Khoản|Điểm|Chương|Mục|Phần|ĐIỀU|KHOẢN|ĐIỂM|CHƯƠNG|MỤC|PHẦN)"
    r"(?=\s+(?:[0-9]|[IVXLCDM]+(?![\w])|[a-zđ](?![\w])))"
)
_SECTION_NUMBER_RE: Final = re.compile(
    r"(?<![\w])((?i:điều|khoản|chương|mục|tiểu\s+mục|phần|phụ\s+lục|mẫu)\s+)([0-9]{1,3}(?:\.[0-9]{1,3})+)"
    r"(?![0-9]|[.,][0-9])"
)
_LOOKBACK: Final = 48
_LOOKAHEAD: Final = 160

Speller = Callable[[str], str]


def _join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " và " + names[-1]


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
        match: re.Match[str],
        number: str,
        year: str | None,
        type_name: str | None,
        issuers: list[tuple[str, str]],
    ) -> str:
        """Assemble ``[<Type>] [số] <number> [năm <year>] [của <issuers>]``."""
        text = match.string
        before = text[max(0, match.start() - _LOOKBACK) : match.start()]
        typed = _TYPE_BEFORE_RE.search(before)
        words: list[str] = []
        if typed is not None:
            if typed.group(1) is None:
                words.append("số")
        elif _NUMBER_WORD_BEFORE_RE.search(before) is None:
            words.append(f"{type_name} số" if type_name else "số")
        words.append(read_cardinal(int(number), self.dialect))
        if year is not None:
            words += ["năm", read_cardinal(int(year), self.dialect)]
        if issuers and not self._issuer_follows(text, match.end(), issuers[0]):
            words.append("của " + _join_names([name for _, name in issuers]))
        return " ".join(words)

    @staticmethod
    def _issuer_follows(text: str, end: int, issuer: tuple[str, str]) -> bool:
        """Whether the rest of the clause already says ``của <issuer>``."""
        after = text[end : end + _LOOKAHEAD]
        clause_end = _CLAUSE_END_RE.search(after)
        clause = " ".join(after[: clause_end.start() if clause_end else None].split()).lower()
        code, name = issuer
        return f"của {name.lower()}" in clause or f"của {code.lower()}" in clause

    def state(self, match: re.Match[str]) -> str:
        """Read ``100/2019/NĐ-CP``, ``1929/QĐ-UBND`` or ``123/UBND-VX``."""
        number, year, code, chain = match.groups()
        codes = chain.split("-")
        type_name = DOCUMENT_TYPES.get(code)
        if type_name is None:
            # ``123/UBND-VX``: an official letter; the department code is not read.
            type_name = DOCUMENT_TYPES["CV"]
            codes = [code]
        issuers = [(issuer, self.issuer_name(issuer, party=False)) for issuer in codes]
        return self.compose(match, number, year, type_name, issuers)

    def assembly(self, match: re.Match[str]) -> str:
        """Read ``31/2024/QH15`` (``UBTVQH`` likewise): the issuer is the term's assembly."""
        number, year, code, term = match.groups()
        name = f"{ISSUERS[code]} khóa {read_cardinal(int(term), self.dialect)}"
        return self.compose(match, number, year, None, [(code, name)])

    def party(self, match: re.Match[str]) -> str:
        """Read ``80-KL/TW``, ``05-NQ/TU``: Party documents put the type before the slash."""
        number, code, chain = match.groups()
        type_name = DOCUMENT_TYPES.get(code)
        if type_name is None:
            type_name = self.lexicon.get(code) or self.spell(code)
            type_name = type_name[:1].upper() + type_name[1:]
        issuers = [(issuer, self.issuer_name(issuer, party=True)) for issuer in chain.split("-")]
        return self.compose(match, number, None, type_name, issuers)


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
    text = _ASSEMBLY_RE.sub(reader.assembly, text)
    text = _STATE_RE.sub(reader.state, text)
    return _PARTY_RE.sub(reader.party, text)


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
