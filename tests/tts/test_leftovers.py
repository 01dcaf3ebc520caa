"""What the passes cannot read never reaches the engine raw, and is reported to the officer."""

import re
from typing import Literal

import pytest

from tts.leftovers import ReadingIssue, expand_web_addresses, secure_leftovers
from tts.normalizer import normalize, read_aloud


def test_readable_text_has_no_issues() -> None:
    text = "Độ mặn 4‰ tại Km 12+500 QL1A, P. 5, TP. Sóc Trăng; tiêm vắc xin rubella, vitamin A."
    reading = read_aloud(text)
    assert reading.issues == ()
    assert reading.spoken == normalize(text)


@pytest.mark.parametrize("symbol", ["§", "@", "©", "^", "|", "¥"])
def test_an_unknown_symbol_is_dropped_and_named(symbol: str) -> None:
    reading = read_aloud(f"Xem mục {symbol} bên dưới")
    assert symbol not in reading.spoken
    assert reading.spoken == "Xem mục bên dưới"
    assert [issue.token for issue in reading.issues] == [symbol]
    assert f"«{symbol}»" in reading.issues[0].message_vi
    assert "bỏ qua" in reading.issues[0].message_vi


def test_decoration_is_dropped_silently() -> None:
    reading = read_aloud("Lưu ý (*): mang theo giấy tờ ✓")
    assert reading.issues == ()
    assert "*" not in reading.spoken
    assert "✓" not in reading.spoken


def test_a_stray_digit_is_read_digit_by_digit_and_named() -> None:
    reading = read_aloud("số ٣٤")
    assert reading.spoken == "số ba bốn"
    assert reading.issues == (
        ReadingIssue("٣٤", "Không rõ cách đọc số «٣٤», máy sẽ đọc từng chữ số. Hãy kiểm tra lại."),
    )


def test_a_web_address_is_read_with_cham_and_named_when_spelled() -> None:
    reading = read_aloud("Đăng ký tại dichvucong.gov.vn.")
    assert reading.spoken == "Đăng ký tại dê i xê hát vê u xê o en-nờ gờ chấm gờ o vê chấm vê en-nờ."
    assert [issue.token for issue in reading.issues] == ["dichvucong.gov.vn"]
    assert "dichvucong.gov.vn" in reading.issues[0].message_vi


def test_a_known_address_reads_without_issue() -> None:
    spoken, issues = expand_web_addresses("xem www.gov.vn")
    assert spoken == "xem vê kép vê kép vê kép chấm gờ o vê chấm vê en-nờ"
    assert issues == []


def test_an_email_address() -> None:
    reading = read_aloud("email ubnd@travinh.gov.vn")
    assert "a còng" in reading.spoken
    assert "@" not in reading.spoken
    assert [issue.token for issue in reading.issues] == ["ubnd@travinh.gov.vn"]


@pytest.mark.parametrize("word", ["iPhone", "abc", "smartwatch"])
def test_a_foreign_word_is_named(word: str) -> None:
    reading = read_aloud(f"Cảnh giác khi mua {word} trên mạng")
    assert [issue.token for issue in reading.issues] == [word]
    assert f"«{word}»" in reading.issues[0].message_vi


@pytest.mark.parametrize(
    "text", ["Người Khmer đón Tết Chôl Chnăm Thmây", "tiêm vắc xin rubella", "ki-lô-mét, mi-crô-gam"]
)
def test_names_loanwords_and_respellings_are_not_named(text: str) -> None:
    assert read_aloud(text).issues == ()


def test_each_token_is_named_once() -> None:
    assert [issue.token for issue in read_aloud("§ 1, § 2, § 3").issues] == ["§"]


def test_secure_leftovers_leaves_no_symbol_or_digit() -> None:
    spoken, issues = secure_leftovers("a § o 7 e ∑")
    assert not re.search(r"[0-9§∑]", spoken)
    assert {issue.token for issue in issues} == {"§", "7", "∑"}


def test_never_a_digit_or_unknown_symbol_in_the_spoken_form() -> None:
    text = "Mã 12#A ∞ ¶ 3² ⅓ ٣ ½ ‰ № ± × → ≈ @ $ €"
    dialects: tuple[Literal["north", "south"], ...] = ("north", "south")
    for dialect in dialects:
        spoken = normalize(text, dialect)
        assert not re.search(r"\d", spoken), spoken
        assert all(char.isalpha() or char in " .,;:!?…()-–'\"" for char in spoken), spoken
