"""Number reading: cardinals, decimals, literals, ordinals, Roman numerals."""

import random

import pytest

from tts.normalizer import normalize
from tts.numbers import (
    read_cardinal,
    read_digits,
    read_fraction,
    read_number_literal,
    read_ordinal,
    roman_to_int,
    split_number_literal,
)

CARDINALS_NORTH = [
    (0, "không"),
    (1, "một"),
    (4, "bốn"),
    (5, "năm"),
    (10, "mười"),
    (11, "mười một"),
    (14, "mười bốn"),
    (15, "mười lăm"),
    (19, "mười chín"),
    (20, "hai mươi"),
    (21, "hai mươi mốt"),
    (24, "hai mươi tư"),
    (25, "hai mươi lăm"),
    (31, "ba mươi mốt"),
    (44, "bốn mươi tư"),
    (55, "năm mươi lăm"),
    (99, "chín mươi chín"),
    (100, "một trăm"),
    (101, "một trăm linh một"),
    (104, "một trăm linh bốn"),
    (105, "một trăm linh năm"),
    (110, "một trăm mười"),
    (111, "một trăm mười một"),
    (115, "một trăm mười lăm"),
    (121, "một trăm hai mươi mốt"),
    (174, "một trăm bảy mươi tư"),
    (200, "hai trăm"),
    (1000, "một nghìn"),
    (1001, "một nghìn không trăm linh một"),
    (1010, "một nghìn không trăm mười"),
    (1050, "một nghìn không trăm năm mươi"),
    (1250, "một nghìn hai trăm năm mươi"),
    (1929, "một nghìn chín trăm hai mươi chín"),
    (2019, "hai nghìn không trăm mười chín"),
    (2024, "hai nghìn không trăm hai mươi tư"),
    (2025, "hai nghìn không trăm hai mươi lăm"),
    (10_000, "mười nghìn"),
    (15_000, "mười lăm nghìn"),
    (21_000, "hai mươi mốt nghìn"),
    (100_000, "một trăm nghìn"),
    (500_000, "năm trăm nghìn"),
    (1_000_000, "một triệu"),
    (1_000_005, "một triệu không trăm linh năm"),
    (1_005_000, "một triệu không trăm linh năm nghìn"),
    (1_250_000, "một triệu hai trăm năm mươi nghìn"),
    (2_000_000, "hai triệu"),
    (10_000_000, "mười triệu"),
    (1_000_000_000, "một tỷ"),
    (2_500_000_000, "hai tỷ năm trăm triệu"),
    (1_000_000_000_000, "một nghìn tỷ"),
]


@pytest.mark.parametrize(("value", "expected"), CARDINALS_NORTH)
def test_read_cardinal_north(value: int, expected: str) -> None:
    assert read_cardinal(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (105, "một trăm lẻ năm"),
        (1000, "một ngàn"),
        (1_005_000, "một triệu không trăm lẻ năm ngàn"),
        (2019, "hai ngàn không trăm mười chín"),
        (24, "hai mươi tư"),
    ],
)
def test_read_cardinal_south(value: int, expected: str) -> None:
    assert read_cardinal(value, "south") == expected


def test_negative_cardinal() -> None:
    assert read_cardinal(-5) == "âm năm"


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("4.000.000", "bốn triệu"),
        ("1.250", "một nghìn hai trăm năm mươi"),
        ("2,5", "hai phẩy năm"),
        ("0,25", "không phẩy hai mươi lăm"),
        ("3,05", "ba phẩy không năm"),
        ("0,125", "không phẩy một trăm hai mươi lăm"),
        ("1.250,5", "một nghìn hai trăm năm mươi phẩy năm"),
        ("4,000,000", "bốn triệu"),
        ("2.5", "hai phẩy năm"),
        ("05", "năm"),
        ("007", "bảy"),
        ("0123", "không một hai ba"),
        ("1,23456", "một phẩy hai ba bốn năm sáu"),
    ],
)
def test_read_number_literal(literal: str, expected: str) -> None:
    assert read_number_literal(literal) == expected


@pytest.mark.parametrize(
    ("literal", "expected"),
    [("4.000.000", ("4000000", None)), ("2,5", ("2", "5")), ("1.250,75", ("1250", "75")), ("12", ("12", None))],
)
def test_split_number_literal(literal: str, expected: tuple[str, str | None]) -> None:
    assert split_number_literal(literal) == expected


def test_read_digits() -> None:
    assert read_digits("0290") == "không hai chín không"


@pytest.mark.parametrize(("value", "expected"), [(1, "nhất"), (2, "hai"), (4, "tư"), (7, "bảy"), (14, "mười bốn")])
def test_read_ordinal(value: int, expected: str) -> None:
    assert read_ordinal(value) == expected


@pytest.mark.parametrize(
    ("numeral", "expected"),
    [
        ("I", 1),
        ("IV", 4),
        ("IX", 9),
        ("XIII", 13),
        ("XV", 15),
        ("XXI", 21),
        ("MCMXLV", 1945),
        ("IIII", None),
        ("", None),
    ],
)
def test_roman_to_int(numeral: str, expected: int | None) -> None:
    assert roman_to_int(numeral) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4.000.000", "bốn triệu"),
        ("1.250", "một nghìn hai trăm năm mươi"),
        ("2,5", "hai phẩy năm"),
        ("105", "một trăm linh năm"),
        ("1.005.000", "một triệu không trăm linh năm nghìn"),
        ("1.000.000.000", "một tỷ"),
        ("có 21 hộ", "có hai mươi mốt hộ"),
        ("15 mét", "mười lăm mét"),
        ("10 điểm", "mười điểm"),
        ("5 nghìn đồng", "năm nghìn đồng"),
        ("2 tỷ đồng", "hai tỷ đồng"),
        ("năm 2026", "năm hai nghìn không trăm hai mươi sáu"),
        ("thứ nhất", "thứ nhất"),
        ("lần thứ 14", "lần thứ mười bốn"),
        ("lần thứ 1", "lần thứ nhất"),
        ("hạng thứ 1", "hạng thứ nhất"),
        ("lần thứ 4", "lần thứ tư"),
        ("kỳ họp thứ 8", "kỳ họp thứ tám"),
        ("5 x 6 m", "năm nhân sáu mét"),
        ("tỷ lệ 1:2.000", "tỷ lệ một trên hai nghìn"),
    ],
)
def test_numbers_in_text(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 nghìn đồng", "năm ngàn đồng"),
        ("105 hộ", "một trăm lẻ năm hộ"),
        ("1.250.000", "một triệu hai trăm năm mươi ngàn"),
    ],
)
def test_numbers_in_text_south(text: str, expected: str) -> None:
    assert normalize(text, "south") == expected


_UNITS = {"không": 0, "một": 1, "hai": 2, "ba": 3, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9}
_AFTER_MUOI = {**_UNITS, "mốt": 1, "tư": 4, "lăm": 5}


def _parse_triple(words: list[str]) -> int:
    """Inverse of the three-digit reading, strict about the Vietnamese unit forms."""
    value = 0
    if len(words) >= 2 and words[1] == "trăm":
        value = 100 * _UNITS[words[0]]
        words = words[2:]
    if not words:
        return value
    if words[0] in ("linh", "lẻ"):
        assert len(words) == 2 and words[1] in _UNITS and words[1] != "không"
        return value + _UNITS[words[1]]
    if words[0] == "mười":
        assert len(words) <= 2
        if len(words) == 2:
            assert words[1] not in ("năm", "mốt", "tư", "không")
            return value + 10 + {**_UNITS, "lăm": 5}[words[1]]
        return value + 10
    if len(words) >= 2 and words[1] == "mươi":
        tens = 10 * _UNITS[words[0]]
        assert len(words) <= 3
        if len(words) == 3:
            assert words[2] not in ("một", "năm", "không")
            return value + tens + _AFTER_MUOI[words[2]]
        return value + tens
    assert len(words) == 1
    return value + _UNITS[words[0]]


def _parse_cardinal(text: str) -> int:
    words = text.split()
    if words == ["không"]:
        return 0
    total = 0
    chunk: list[str] = []
    for word in words:
        if word in ("triệu", "nghìn", "ngàn"):
            total += _parse_triple(chunk) * (1_000_000 if word == "triệu" else 1000)
            chunk = []
        else:
            chunk.append(word)
    return total + _parse_triple(chunk)


_SAMPLE = sorted({*range(1201), *random.Random(20250101).sample(range(1_000_001), 3000), 1_000_000})


@pytest.mark.parametrize("dialect", ["north", "south"])
def test_cardinal_round_trip(dialect: str) -> None:
    for value in _SAMPLE:
        spoken = read_cardinal(value, "south" if dialect == "south" else "north")
        assert _parse_cardinal(spoken) == value, (value, spoken)


def test_cardinal_forms_never_wrong() -> None:
    for value in _SAMPLE:
        spoken = read_cardinal(value)
        for wrong in ("mươi một", "mươi năm", "mươi bốn", "mười năm", "mười mốt", "mười tư"):
            assert wrong not in spoken, (value, spoken)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("1/2", "một phần hai"),
        ("1/3", "một phần ba"),
        ("2/3", "hai phần ba"),
        ("3/4", "ba phần tư"),
        ("1/10", "một phần mười"),
        ("24/7", None),
        ("5/5", None),
        ("0/3", None),
        ("1/12", None),
        ("1.5/2", None),
    ],
)
def test_read_fraction(written: str, expected: str | None) -> None:
    assert read_fraction(written) == expected


@pytest.mark.parametrize(
    ("text", "north", "south"),
    [
        ("21", "hai mươi mốt", "hai mươi mốt"),
        ("25", "hai mươi lăm", "hai mươi lăm"),
        ("24", "hai mươi tư", "hai mươi tư"),
        ("15", "mười lăm", "mười lăm"),
        ("14", "mười bốn", "mười bốn"),
        ("11", "mười một", "mười một"),
        ("105", "một trăm linh năm", "một trăm lẻ năm"),
        ("101", "một trăm linh một", "một trăm lẻ một"),
        ("1.001", "một nghìn không trăm linh một", "một ngàn không trăm lẻ một"),
        ("1.005.000", "một triệu không trăm linh năm nghìn", "một triệu không trăm lẻ năm ngàn"),
        ("1.000.010", "một triệu không trăm mười", "một triệu không trăm mười"),
        ("4.000.000", "bốn triệu", "bốn triệu"),
        ("1.250", "một nghìn hai trăm năm mươi", "một ngàn hai trăm năm mươi"),
        ("15.000.000.000", "mười lăm tỷ", "mười lăm tỷ"),
        ("2 tỷ 300 triệu", "hai tỷ ba trăm triệu", "hai tỷ ba trăm triệu"),
        ("5 nghìn", "năm nghìn", "năm ngàn"),
        ("12 ngàn", "mười hai nghìn", "mười hai ngàn"),
        ("0,25", "không phẩy hai mươi lăm", "không phẩy hai mươi lăm"),
        ("2,5", "hai phẩy năm", "hai phẩy năm"),
        ("0,5%", "không phẩy năm phần trăm", "không phẩy năm phần trăm"),
        ("2/3 số hộ", "hai phần ba số hộ", "hai phần ba số hộ"),
    ],
)
def test_number_audit_both_dialects(text: str, north: str, south: str) -> None:
    assert normalize(text) == north
    assert normalize(text, "south") == south
