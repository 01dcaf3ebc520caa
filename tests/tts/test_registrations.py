"""Fishing vessel numbers and vehicle plates."""

import pytest

from tts.normalizer import normalize
from tts.registrations import expand_registrations


@pytest.mark.parametrize(
    ("text", "dialect", "expected"),
    [
        ("tàu CM-91234-TS", "north", "tàu xê em-mờ chín một hai ba bốn tê ét-xì"),
        ("tàu KG-92567-TS", "south", "tàu ca gờ chín hai năm sáu bảy tê ét-xì"),
        ("xe 68B1-123.45", "north", "xe sáu mươi tám bê một, một hai ba bốn năm"),
        ("xe 84C-012.34", "south", "xe tám mươi tư xê, không một hai ba bốn"),
        ("xe 65A-12345", "north", "xe sáu mươi lăm a, một hai ba bốn năm"),
    ],
)
def test_registrations(text: str, dialect: str, expected: str) -> None:
    assert expand_registrations(text, "south" if dialect == "south" else "north") == expected


@pytest.mark.parametrize("text", ["ngày 20-11-2026", "COVID-19", "12A-345", "NĐ-CP"])
def test_other_dashed_tokens_are_no_registrations(text: str) -> None:
    assert expand_registrations(text) == text


def test_vessel_in_a_sentence() -> None:
    assert normalize("Tàu ST-90123-TS mất liên lạc.") == "Tàu ét-xì tê chín không một hai ba tê ét-xì mất liên lạc."
