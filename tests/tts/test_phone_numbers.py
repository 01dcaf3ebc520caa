"""Phone numbers, service numbers and emergency hotlines."""

import pytest

from tts.normalizer import normalize
from tts.phone_numbers import read_phone_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0290 3831 234", "không hai chín không, ba tám ba một, hai ba bốn"),
        ("số điện thoại 0290 3831 234", "số điện thoại không hai chín không, ba tám ba một, hai ba bốn"),
        ("0912.345.678", "không chín một hai, ba bốn năm, sáu bảy tám"),
        ("0912-345-678", "không chín một hai, ba bốn năm, sáu bảy tám"),
        ("0912345678", "không chín một hai, ba bốn năm, sáu bảy tám"),
        ("02903831234", "không hai chín không, ba tám ba một, hai ba bốn"),
        ("091 234 5678", "không chín một, hai ba bốn, năm sáu bảy tám"),
        ("1900 1234", "một chín không không, một hai ba bốn"),
        ("1900.1234", "một chín không không, một hai ba bốn"),
        ("1800 599 920", "một tám không không, năm chín chín, chín hai không"),
        ("+84 912 345 678", "cộng tám tư, chín một hai, ba bốn năm, sáu bảy tám"),
        ("+84912345678", "cộng tám tư, chín một hai, ba bốn năm, sáu bảy tám"),
        ("ĐT: 0290.3831.234", "điện thoại: không hai chín không, ba tám ba một, hai ba bốn"),
        (
            "gọi 0912 345 678 15 lần",
            "gọi không chín một hai, ba bốn năm, sáu bảy tám mười lăm lần",
        ),
    ],
)
def test_phone_numbers(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gọi ngay số 113", "gọi ngay số một một ba"),
        ("gọi 114", "gọi một một bốn"),
        ("gọi cấp cứu 115", "gọi cấp cứu một một năm"),
        ("gọi ngay 115", "gọi ngay một một năm"),
        ("đường dây nóng 111", "đường dây nóng một một một"),
        ("tổng đài 113", "tổng đài một một ba"),
        ("gọi 113, 114 hoặc 115", "gọi một một ba, một một bốn hoặc một một năm"),
        ("Cảnh sát (113)", "Cảnh sát (một một ba)"),
        ("có 113 hộ", "có một trăm mười ba hộ"),
        ("tổng số 115 hộ", "tổng số một trăm mười lăm hộ"),
        ("tổng đài 1022", "tổng đài một không hai hai"),
        ("Điều 113", "điều một trăm mười ba"),
    ],
)
def test_hotlines(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_read_phone_number() -> None:
    assert read_phone_number("0290 3831 234") == "không hai chín không, ba tám ba một, hai ba bốn"
    assert read_phone_number("0912345678") == "không chín một hai, ba bốn năm, sáu bảy tám"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gọi 111", "gọi một một một"),
        ("gọi 112", "gọi một một hai"),
        (
            "gọi Tổng đài quốc gia bảo vệ trẻ em 111, hoàn toàn miễn phí.",
            "gọi Tổng đài quốc gia bảo vệ trẻ em một một một, hoàn toàn miễn phí.",
        ),
        ("gọi điện cho Công an xã 113 ngay", "gọi điện cho Công an xã một một ba ngay"),
        ("lực lượng Cảnh sát 113", "lực lượng Cảnh sát một một ba"),
        ("Cứu hỏa 114", "Cứu hỏa một một bốn"),
        ("Cấp cứu 115", "Cấp cứu một một năm"),
        ("tổng đài 113 và 114", "tổng đài một một ba và một một bốn"),
        ("Tổng đài đã nhận 113 cuộc gọi", "Tổng đài đã nhận một trăm mười ba cuộc gọi"),
        ("kêu gọi 115 hộ dân", "kêu gọi một trăm mười lăm hộ dân"),
        ("thông báo 113", "thông báo một trăm mười ba"),
        ("cảnh sát 113 người", "cảnh sát một trăm mười ba người"),
        ("có 111 hộ", "có một trăm mười một hộ"),
        ("hotline 1022", "hotline một không hai hai"),
    ],
)
def test_emergency_numbers_audit(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("024.3826.1234", "không hai bốn, ba tám hai sáu, một hai ba bốn"),
        ("1800 1091", "một tám không không, một không chín một"),
        ("0912 345 678", "không chín một hai, ba bốn năm, sáu bảy tám"),
    ],
)
def test_phone_numbers_audit(text: str, expected: str) -> None:
    assert normalize(text) == expected
    assert normalize(text, "south") == expected
