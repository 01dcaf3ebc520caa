"""Properties of ``normalize`` over the sample bulletins written for this project.

``data/corpus_bulletins.json`` is a copy of the shared bulletin corpus (the tests must not
read outside the repository). For every bulletin text (title, body and each legal
reference) and both dialects the spoken form must hold no ASCII digit, no ``/``, no
all-capital token of two or more letters (an abbreviation left unread), and must not
change when normalised again.
"""

import json
import re
from pathlib import Path
from typing import Literal

import pytest

from tts.normalizer import normalize

_CORPUS_FILE = Path(__file__).parent / "data" / "corpus_bulletins.json"
_BULLETINS: list[dict[str, object]] = json.loads(_CORPUS_FILE.read_text(encoding="utf-8"))

# All-capital tokens that are genuinely words and may stay. Empty: every abbreviation in
# the corpus is expanded or spelled; add a token here only with the reason beside it.
ALLOWED_CAPITAL_TOKENS: frozenset[str] = frozenset()

_DIGIT_RE = re.compile(r"[0-9]")
_CAPITAL_TOKEN_RE = re.compile(r"(?<![\w])[A-ZĐ]{2,}(?![\w])")
_DIALECTS: tuple[Literal["north", "south"], ...] = ("north", "south")


def _texts() -> list[tuple[str, str]]:
    texts = []
    for bulletin in _BULLETINS:
        slug = str(bulletin["slug"])
        texts.append((f"{slug}:title", str(bulletin["title"])))
        texts.append((f"{slug}:body", str(bulletin["body"])))
        legal_refs = bulletin.get("legal_refs") or []
        assert isinstance(legal_refs, list)
        texts += [(f"{slug}:ref{index}", str(ref)) for index, ref in enumerate(legal_refs)]
    return texts


_TEXTS = _texts()
_IDS = [name for name, _ in _TEXTS]


def test_corpus_is_present_and_non_trivial() -> None:
    assert len(_BULLETINS) >= 5
    assert sum(len(text) for _, text in _TEXTS) > 3000


@pytest.mark.parametrize("dialect", _DIALECTS)
@pytest.mark.parametrize(("name", "text"), _TEXTS, ids=_IDS)
def test_no_digit_remains(name: str, text: str, dialect: Literal["north", "south"]) -> None:
    spoken = normalize(text, dialect)
    assert not _DIGIT_RE.search(spoken), (name, spoken)


@pytest.mark.parametrize("dialect", _DIALECTS)
@pytest.mark.parametrize(("name", "text"), _TEXTS, ids=_IDS)
def test_no_raw_abbreviation_remains(name: str, text: str, dialect: Literal["north", "south"]) -> None:
    spoken = normalize(text, dialect)
    left = [token for token in _CAPITAL_TOKEN_RE.findall(spoken) if token not in ALLOWED_CAPITAL_TOKENS]
    assert not left, (name, left, spoken)


@pytest.mark.parametrize("dialect", _DIALECTS)
@pytest.mark.parametrize(("name", "text"), _TEXTS, ids=_IDS)
def test_no_slash_remains(name: str, text: str, dialect: Literal["north", "south"]) -> None:
    spoken = normalize(text, dialect)
    assert "/" not in spoken, (name, spoken)


@pytest.mark.parametrize("dialect", _DIALECTS)
@pytest.mark.parametrize(("name", "text"), _TEXTS, ids=_IDS)
def test_normalizing_again_changes_nothing(name: str, text: str, dialect: Literal["north", "south"]) -> None:
    spoken = normalize(text, dialect)
    assert normalize(spoken, dialect) == spoken, name


@pytest.mark.parametrize(("name", "text"), _TEXTS, ids=_IDS)
def test_south_dialect_says_ngan_and_le(name: str, text: str) -> None:
    words = normalize(text, "south").split()
    assert "nghìn" not in words, name
    assert "linh" not in words, name


def test_corpus_readings_that_matter() -> None:
    spoken = {str(bulletin["slug"]): normalize(str(bulletin["body"])) for bulletin in _BULLETINS}
    joined = "\n".join(spoken.values())
    for fragment in (
        "Nghị định số một trăm sáu mươi tám năm hai nghìn không trăm hai mươi tư của Chính phủ",
        "từ ngày mồng một tháng một năm hai nghìn không trăm hai mươi lăm",
        "hãy gọi ngay số một một ba",
        "gọi ngay số một một bốn",
        "Tổng đài quốc gia bảo vệ trẻ em một một một",
        "ba mươi sáu độ xê",
        "bốn phẩy năm phần trăm",
        "Luật Đất đai số ba mươi mốt năm hai nghìn không trăm hai mươi tư của Quốc hội khóa mười lăm",
        "từ thứ hai đến thứ sáu",
        "mã ô tê pê",
    ):
        assert fragment in joined, fragment
