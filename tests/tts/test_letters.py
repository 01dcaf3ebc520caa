"""Vietnamese letter names and the reading of letters that stand alone."""

import pytest

from tts.letters import LETTER_NAMES, expand_single_letters, spell_letters
from tts.normalizer import normalize


def test_every_capital_has_a_lower_case_name() -> None:
    assert set(LETTER_NAMES) == set("ABCDEFGHIJKLMNOPQRSTUVWXYZĐ")
    assert all(name == name.lower() and name for name in LETTER_NAMES.values())


@pytest.mark.parametrize(
    ("letter", "name"),
    [("A", "a"), ("B", "bê"), ("C", "xê"), ("D", "dê"), ("Đ", "đê"), ("G", "gờ"), ("K", "ca"), ("Y", "i dài")],
)
def test_standard_letter_names(letter: str, name: str) -> None:
    assert spell_letters(letter) == name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hạng C", "hạng xê"),
        ("bằng lái hạng A1", "bằng lái hạng a một"),
        ("bằng lái hạng B2", "bằng lái hạng bê hai"),
        ("giấy phép lái xe hạng D", "giấy phép lái xe hạng dê"),
        ("phụ lục B", "phụ lục bê"),
        ("khu A", "khu a"),
        ("Tổ 3 khu B", "Tổ ba khu bê"),
        ("ấp A, ấp B", "ấp a, ấp bê"),
        ("ông Nguyễn Văn Đ", "ông Nguyễn Văn đê"),
        ("nhóm máu O", "nhóm máu o"),
        ("vitamin C", "vitamin xê"),
        ("trục Y.", "trục i dài."),
        ("A/B", "a, bê"),
        ("A. PHẦN MỞ ĐẦU", "a. phần mở đầu"),
    ],
)
def test_single_capitals_are_spelled(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Sở Y tế tỉnh",
        "Trung tâm Y tế huyện",
        "ngành Y học cổ truyền",
        "K'Bang",
        "Ủy ban",
        "Ở xã",
        "Kính thưa bà con",
    ],
)
def test_words_are_not_spelled(text: str) -> None:
    assert normalize(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("điểm a", "điểm a"),
        ("điểm b", "điểm bê"),
        ("điểm c khoản 1", "điểm xê khoản một"),
        ("điểm đ khoản 3", "điểm đê khoản ba"),
        ("Điểm g", "điểm gờ"),
        ("điểm a, b và c khoản 2 Điều 5", "điểm a, bê và xê khoản hai điều năm"),
        ("điểm d hoặc đ", "điểm dê hoặc đê"),
        ("điểm y tế xã", "điểm y tế xã"),
    ],
)
def test_points_of_articles_are_spelled(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_expand_single_letters_directly() -> None:
    assert expand_single_letters("hạng C, điểm b") == "hạng xê, điểm bê"
    assert expand_single_letters("") == ""


def test_spelled_letters_are_stable() -> None:
    for text in ("hạng C", "điểm b", "điểm đ", "khu Y", "A/B"):
        once = normalize(text)
        assert normalize(once) == once
