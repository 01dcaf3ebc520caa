"""Bulletin signs (‰, ±, =, <, >, №, #, ×, ½, ₫), list layout, and the other rules added for the Mekong sample."""

from typing import Literal

import pytest

from tts.normalizer import normalize


@pytest.mark.parametrize(
    ("text", "dialect", "expected"),
    [
        ("độ mặn 4‰", "south", "độ mặn bốn phần ngàn"),
        ("độ mặn 4 ‰", "north", "độ mặn bốn phần nghìn"),
        ("giảm 0,2‰", "north", "giảm không phẩy hai phần nghìn"),
        ("±0,5 m", "north", "cộng trừ không phẩy năm mét"),
        ("1 công = 1.000 m²", "north", "một công bằng một nghìn mét vuông"),
        ("pH < 6,5", "north", "pê hát nhỏ hơn sáu phẩy năm"),
        ("độ mặn > 4‰", "north", "độ mặn lớn hơn bốn phần nghìn"),
        ("từ A -> B", "north", "từ a đến bê"),
        ("tàu số #12", "north", "tàu số số mười hai"),
        ("Quyết định № 15", "north", "Quyết định số mười lăm"),
        ("½ gói", "north", "một phần hai gói"),
        ("200.000 ₫", "south", "hai trăm ngàn đồng"),
        ("3 triệu đ", "north", "ba triệu đồng"),
        ("60 triệu đồng/ha", "north", "sáu mươi triệu đồng một héc-ta"),
        ("100 con/m²", "north", "một trăm con một mét vuông"),
        ("30 con/kg", "north", "ba mươi con một ki-lô-gam"),
        ("7 tạ/công", "south", "bảy tạ một công"),
        ("140/90 mmHg", "north", "một trăm bốn mươi trên chín mươi mi-li-mét thủy ngân"),
    ],
)
def test_signs_and_units(text: str, dialect: Literal["north", "south"], expected: str) -> None:
    assert normalize(text, dialect) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gió cấp 6, giật cấp 7-8", "gió cấp sáu, giật cấp bảy đến cấp tám"),
        ("phân NPK 20-20-15", "phân en-nờ pê ca hai mươi, hai mươi, mười lăm"),
        ("từ 2-3 ngày", "từ hai đến ba ngày"),
    ],
)
def test_ranges_and_dash_lists(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "- Thời gian: 7h00.\n+ Địa điểm: ấp 3.\n• Mang giấy tờ.",
            "Thời gian: bảy giờ.\nĐịa điểm: ấp ba.\nMang giấy tờ.",
        ),
        ("a) Đối tượng\nb) Thời gian", "a, Đối tượng\nbê, Thời gian"),
        ("nhiệt độ -5°C", "nhiệt độ âm năm độ xê"),
    ],
)
def test_list_layout_is_not_read(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("từ 5g sáng", "từ năm giờ sáng"),
        ("lúc 19g30", "lúc mười chín giờ ba mươi phút"),
        ("lúc 9g và 21g", "lúc chín giờ và hai mươi mốt giờ"),
        ("mua 500g đường", "mua năm trăm gam đường"),
    ],
)
def test_southern_clock_times(text: str, expected: str) -> None:
    assert normalize(text, "south") == expected.replace("nghìn", "ngàn")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Giai đoạn I", "Giai đoạn một"),
        ("khoản II", "khoản hai"),
        ("lần thứ V", "lần thứ năm"),
        ("quý III/2026", "quý ba năm hai nghìn không trăm hai mươi sáu"),
    ],
)
def test_roman_numerals_after_more_words(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_a_named_day_before_a_full_date_is_not_said_twice() -> None:
    assert normalize("Ngày giải phóng miền Nam 30/4/1975") == (
        "Ngày giải phóng miền Nam ba mươi tháng tư năm một nghìn chín trăm bảy mươi lăm"
    )


def test_a_range_after_a_festival_name_keeps_its_days() -> None:
    assert normalize("Tết Chôl Chnăm Thmây từ 14-16/4.") == (
        "Tết Chôl Chnăm Thmây từ ngày mười bốn đến ngày mười sáu tháng tư."
    )


def test_an_issuer_written_after_a_party_number_is_not_said_twice() -> None:
    assert normalize("Kết luận 80-KL/TW của Bộ Chính trị") == "Kết luận số tám mươi của Bộ Chính trị"
    assert normalize("Kết luận 80-KL/TW") == "Kết luận số tám mươi của Trung ương"
