"""End-to-end behaviour of ``normalize`` on bulletin text, and its properties."""

import re

import pytest

from tts.normalizer import NormalizationError, load_builtin_lexicon, normalize

DRINK_DRIVING = (
    "Kính thưa bà con! Theo Nghị định 168/2024/NĐ-CP của Chính phủ, có hiệu lực từ ngày 1/1/2025, "
    "người điều khiển xe mô tô, xe gắn máy mà trong máu hoặc hơi thở có nồng độ cồn chưa vượt quá "
    "0,25 miligam/1 lít khí thở bị phạt tiền từ 2.000.000 đồng đến 4.000.000 đồng. Trường hợp vượt "
    "quá 0,4 miligam/1 lít khí thở, mức phạt từ 8.000.000 đồng đến 10.000.000 đồng và bị trừ 10 điểm "
    "giấy phép lái xe."
)

DRINK_DRIVING_SPOKEN = (
    "Kính thưa bà con! Theo Nghị định số một trăm sáu mươi tám năm hai nghìn không trăm hai mươi tư "
    "của Chính phủ, có hiệu lực từ ngày mồng một tháng một năm hai nghìn không trăm hai mươi lăm, "
    "người điều khiển xe mô tô, xe gắn máy mà trong máu hoặc hơi thở có nồng độ cồn chưa vượt quá "
    "không phẩy hai mươi lăm mi-li-gam trên một lít khí thở bị phạt tiền từ hai triệu đồng đến bốn "
    "triệu đồng. Trường hợp vượt quá không phẩy bốn mi-li-gam trên một lít khí thở, mức phạt từ tám "
    "triệu đồng đến mười triệu đồng và bị trừ mười điểm giấy phép lái xe."
)

BULLETINS = [
    DRINK_DRIVING,
    (
        "Thực hiện Kế hoạch 123/KH-UBND của UBND huyện về công tác PBGDPL năm 2025, từ nay đến hết ngày "
        "31/12/2025, tàu cá có chiều dài từ 15 mét trở lên phải lắp đặt thiết bị giám sát hành trình, "
        "duy trì kết nối 24/24 giờ. Mọi vi phạm chống khai thác IUU sẽ bị xử lý nghiêm."
    ),
    (
        "Khi phát hiện cháy, nổ, bà con gọi ngay số 114; khi có tai nạn, gọi 115; khi có vụ việc về "
        "ANTT, gọi ngay số 113. Mọi thông tin xin liên hệ số điện thoại 0290 3831 234 hoặc 0912.345.678."
    ),
    (
        "Theo Điều 174 Bộ luật Hình sự, người nào chiếm đoạt tài sản trị giá từ 2.000.000 đồng trở lên thì "
        "bị phạt tù từ 6 tháng đến 3 năm. Kết luận số 80-KL/TW và Quyết định 1929/QĐ-UBND đã nêu rõ."
    ),
    (
        "Thực hiện Nghị quyết 05-NQ/TU của Tỉnh ủy và Chỉ thị 36-CT/TW, Đảng ủy xã tổ chức hội nghị vào "
        "lúc 14h30 thứ 2 (14/7). Đại hội lần thứ XIII của Đảng, Quốc hội khóa XV, Chương II, Mục IV."
    ),
    (
        "Luật Thủ đô số 39/2024/QH15 và Luật số 31/2024/QH15 có hiệu lực từ 1/1/2025. Theo khoản 1 Điều 6, "
        "điểm a khoản 2 Điều 5 Nghị định 100/2019/NĐ-CP, mức phạt tăng 15%, tốc độ tối đa 60 km/h."
    ),
    (
        "Trạm y tế xã tiêm vắc-xin COVID-19 từ 7h30-11h, thứ 7 và CN. Người dân mang theo CCCD, thẻ BHYT. "
        "Giá vé 500.000đ/người, giảm 2-3 ngày; nhiệt độ 37,5°C, lượng mưa 50 mm, diện tích 3 ha, 100 m2."
    ),
    (
        "Mạng 4G/5G phủ sóng toàn xã; hotline 1900 1234 hoạt động 24/7. Sở TT&TT, MTTQ, HĐND, CSGT, "
        "THPT, THCS, HTX, NTM, GPLX, v.v. Thông tư 39/2020/TT-BTTTT và Chỉ thị 06/CT-TTg."
    ),
    (
        "Tháng 10/2025, HTX nông nghiệp thu 1,5 tỷ đồng; năm 2026 dự kiến 2,5 tỷ. Từ ngày 1/1 đến ngày "
        "31/12/2025, giá lúa từ 7.000-8.500 đồng/kg, tăng 1.250 tấn so với năm 2024."
    ),
]


def test_drink_driving_paragraph_exact() -> None:
    assert normalize(DRINK_DRIVING) == DRINK_DRIVING_SPOKEN


def test_drink_driving_paragraph_says_issuer_once() -> None:
    assert normalize(DRINK_DRIVING).count("của Chính phủ") == 1


@pytest.mark.parametrize(
    "fragment",
    [
        "Nghị định số một trăm sáu mươi tám năm hai nghìn không trăm hai mươi tư của Chính phủ",
        "từ ngày mồng một tháng một năm hai nghìn không trăm hai mươi lăm",
        "không phẩy hai mươi lăm mi-li-gam trên một lít",
        "từ hai triệu đồng đến bốn triệu đồng",
        "từ tám triệu đồng đến mười triệu đồng",
        "trừ mười điểm",
    ],
)
def test_drink_driving_paragraph_fragments(fragment: str) -> None:
    assert fragment in normalize(DRINK_DRIVING)


@pytest.mark.parametrize(
    ("index", "fragment"),
    [
        (1, "Kế hoạch số một trăm hai mươi ba của Ủy ban nhân dân huyện"),
        (1, "đến hết ngày ba mươi mốt tháng mười hai năm hai nghìn không trăm hai mươi lăm"),
        (1, "từ mười lăm mét trở lên"),
        (1, "hai mươi tư trên hai mươi tư giờ"),
        (1, "i-u-u"),
        (2, "gọi ngay số một một bốn"),
        (2, "gọi một một năm"),
        (2, "gọi ngay số một một ba"),
        (2, "số điện thoại không hai chín không, ba tám ba một, hai ba bốn"),
        (2, "không chín một hai, ba bốn năm, sáu bảy tám"),
        (3, "điều một trăm bảy mươi tư Bộ luật Hình sự"),
        (3, "từ sáu tháng đến ba năm"),
        (3, "Kết luận số tám mươi của Trung ương"),
        (3, "Quyết định số một nghìn chín trăm hai mươi chín của Ủy ban nhân dân"),
        (4, "Nghị quyết số năm của Tỉnh ủy và Chỉ thị số ba mươi sáu của Trung ương"),
        (4, "lúc mười bốn giờ ba mươi phút thứ hai (ngày mười bốn tháng bảy)"),
        (4, "Đại hội lần thứ mười ba"),
        (4, "Quốc hội khóa mười lăm, chương hai, mục bốn"),
        (5, "Luật Thủ đô số ba mươi chín năm hai nghìn không trăm hai mươi tư của Quốc hội khóa mười lăm"),
        (5, "khoản một điều sáu"),
        (5, "mười lăm phần trăm"),
        (5, "sáu mươi ki-lô-mét trên giờ"),
        (6, "cô-vít mười chín từ bảy giờ ba mươi phút đến mười một giờ, thứ bảy và chủ nhật"),
        (6, "năm trăm nghìn đồng một người"),
        (6, "hai đến ba ngày"),
        (6, "ba mươi bảy phẩy năm độ xê"),
        (7, "Mạng bốn gờ, năm gờ"),
        (7, "một chín không không, một hai ba bốn"),
        (7, "hai mươi tư trên bảy"),
        (7, "vân vân."),
        (7, "Chỉ thị số sáu của Thủ tướng Chính phủ"),
        (8, "Tháng mười năm hai nghìn không trăm hai mươi lăm"),
        (8, "một phẩy năm tỷ đồng"),
        (8, "bảy nghìn đến tám nghìn năm trăm đồng một ki-lô-gam"),
    ],
)
def test_bulletin_fragments(index: int, fragment: str) -> None:
    assert fragment in normalize(BULLETINS[index])


_ABBREVIATION_KEYS = sorted(load_builtin_lexicon(), key=len, reverse=True)
_RAW_ABBREVIATION_RE = re.compile("|".join(rf"(?<![\w]){re.escape(key)}(?![^\W\d_])" for key in _ABBREVIATION_KEYS))
_CAPITAL_TOKEN_RE = re.compile(r"(?<![\w])[A-ZĐ]{2,}(?![\w])")


@pytest.mark.parametrize("dialect", ["north", "south"])
@pytest.mark.parametrize("bulletin", BULLETINS)
def test_bulletins_have_no_digits_or_raw_abbreviations(bulletin: str, dialect: str) -> None:
    spoken = normalize(bulletin, "south" if dialect == "south" else "north")
    assert not re.search(r"[0-9]", spoken), spoken
    assert not _RAW_ABBREVIATION_RE.search(spoken), spoken
    assert not _CAPITAL_TOKEN_RE.search(spoken), spoken
    assert "  " not in spoken


@pytest.mark.parametrize("bulletin", BULLETINS)
def test_south_dialect_uses_ngan_and_le(bulletin: str) -> None:
    spoken = normalize(bulletin, "south")
    assert "nghìn" not in spoken
    assert "linh" not in spoken.split()


def test_dialects_differ_where_expected() -> None:
    text = "105 hộ, 1.005.000 đồng"
    assert normalize(text) == "một trăm linh năm hộ, một triệu không trăm linh năm nghìn đồng"
    assert normalize(text, "south") == "một trăm lẻ năm hộ, một triệu không trăm lẻ năm ngàn đồng"


def test_punctuation_is_kept_and_whitespace_collapsed() -> None:
    assert normalize("  Thông báo:   họp lúc 7h ,  tại  UBND xã.  ") == (
        "Thông báo: họp lúc bảy giờ, tại Ủy ban nhân dân xã."
    )


def test_line_breaks_are_kept_and_blank_lines_dropped() -> None:
    assert normalize("Dòng 1\n\n\nDòng 2\r\n") == "Dòng một\nDòng hai"


def test_decomposed_unicode_is_composed() -> None:
    assert normalize("tha\u0301ng 4") == "tháng tư"


def test_non_breaking_spaces() -> None:
    assert normalize("500.000\u00a0đồng") == "năm trăm nghìn đồng"


def test_empty_and_plain_text() -> None:
    assert normalize("") == ""
    assert normalize("Kính thưa bà con") == "Kính thưa bà con"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x2", "x hai"),
        ("1e5", "một e năm"),
        ("1.2.3", "một chấm hai chấm ba"),
        ("1.000.000", "một triệu"),
        ("0/0", "không trên không"),
    ],
)
def test_odd_number_shapes_still_lose_their_digits(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_unicode_digits_never_survive() -> None:
    assert normalize("số ٣") == "số ba"


@pytest.mark.parametrize("bad", [None, 5, b"UBND"])
def test_non_text_is_rejected(bad: object) -> None:
    with pytest.raises(NormalizationError):
        normalize(bad)  # type: ignore[arg-type]


def test_unknown_dialect_is_rejected() -> None:
    with pytest.raises(NormalizationError):
        normalize("5", "central")  # type: ignore[arg-type]


def test_bad_lexicon_is_rejected() -> None:
    with pytest.raises(NormalizationError):
        normalize("5", lexicon={"A": 5})  # type: ignore[dict-item]


def test_normalization_error_is_a_value_error() -> None:
    assert issubclass(NormalizationError, ValueError)
