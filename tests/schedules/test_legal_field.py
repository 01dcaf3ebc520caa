"""Finding the field of law a free-text topic names."""

from __future__ import annotations

import pytest

from schedules.legal_field import OTHER, LegalField, match_legal_field, words

FIELDS = [
    LegalField(code="giao-thong", name="Giao thông", position=10),
    LegalField(code="hon-nhan-gia-dinh", name="Hôn nhân và gia đình", position=20),
    LegalField(code="binh-dang-gioi", name="Bình đẳng giới, phòng chống bạo lực gia đình", position=30),
    LegalField(code="phong-chong-ma-tuy", name="Phòng, chống ma túy", position=40),
    LegalField(code="dat-dai", name="Đất đai", position=50, active=False),
    LegalField(code=OTHER, name="Khác", position=60),
]


def test_words_ignore_case_diacritics_punctuation_and_conjunctions() -> None:
    assert words("Phòng, chống MA TÚY!") == ("phong", "chong", "ma", "tuy")
    assert words("Hôn nhân và gia đình") == words("hôn nhân, gia đình")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("giao-thong", "giao-thong"),  # the code itself
        ("GIAO THÔNG", "giao-thong"),
        ("an toàn giao thông đường bộ", "giao-thong"),  # the text contains a field's name
        ("phòng chống ma túy trong học đường", "phong-chong-ma-tuy"),
        ("gia đình", "hon-nhan-gia-dinh"),  # a field's name contains the text: the shortest such name
        ("bạo lực gia đình", "binh-dang-gioi"),
        ("đất đai", OTHER),  # retired: not given to anything new
        ("khác", OTHER),
        ("", OTHER),
        ("chuyện làng", OTHER),
    ],
)
def test_a_topic_names_the_field_it_contains_or_is_part_of(text: str, code: str) -> None:
    assert match_legal_field(FIELDS, text) == code
