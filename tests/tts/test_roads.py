"""Road codes and distance markers: ``Km 12+500``, ``QL1A``, ``ĐT.954``, ``TL 939``."""

import pytest

from tts.normalizer import normalize
from tts.roads import expand_roads


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Km 12+500", "ki-lô-mét 12+500"),
        ("Km2062+300", "ki-lô-mét 2062+300"),
        ("km 7+250", "ki-lô-mét 7+250"),
        ("ĐT 954", "đường tỉnh 954"),
        ("ĐT.943", "đường tỉnh 943"),
        ("ĐT.915B", "đường tỉnh 915B"),
        ("ĐH 12", "đường huyện 12"),
        ("TL 939", "tỉnh lộ 939"),
        ("HL 21", "hương lộ 21"),
        ("QL.91", "quốc lộ 91"),
    ],
)
def test_road_words(text: str, expected: str) -> None:
    assert expand_roads(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "dài 5 km 200 m",  # a unit after a number, not a marker
        "ĐT: 0290 3831 234",  # a phone number
        "ĐT 0918123456",
        "gọi ĐT 113",  # an emergency number
        "ĐT 12345",  # too long for a road
    ],
)
def test_phone_numbers_and_units_are_no_roads(text: str) -> None:
    assert expand_roads(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Km 12+500 QL1A", "ki-lô-mét mười hai cộng năm trăm quốc lộ một a"),
        ("ĐT.943", "đường tỉnh chín trăm bốn mươi ba"),
        ("ĐT: 0290 3831 234", "điện thoại: không hai chín không, ba tám ba một, hai ba bốn"),
        ("QL61C", "quốc lộ sáu mươi mốt xê"),
    ],
)
def test_roads_in_full(text: str, expected: str) -> None:
    assert normalize(text) == expected
