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


@pytest.mark.parametrize("dialect", ["north", "south"])
@pytest.mark.parametrize("bulletin", BULLETINS)
def test_bulletins_normalize_to_a_fixed_point(bulletin: str, dialect: str) -> None:
    spoken = normalize(bulletin, "south" if dialect == "south" else "north")
    assert normalize(spoken, "south" if dialect == "south" else "north") == spoken
    assert "/" not in spoken


# One line per bullet of the issue: what a trained announcer says.
ISSUE_AUDIT = [
    ("4.000.000 đồng", "bốn triệu đồng"),
    ("1.250 hộ", "một nghìn hai trăm năm mươi hộ"),
    ("2,5 ha", "hai phẩy năm héc-ta"),
    ("tăng 15%", "tăng mười lăm phần trăm"),
    ("500.000đ", "năm trăm nghìn đồng"),
    ("hỗ trợ 1,5 triệu đồng", "hỗ trợ một phẩy năm triệu đồng"),
    ("từ 2.000.000 đồng đến 4.000.000 đồng", "từ hai triệu đồng đến bốn triệu đồng"),
    ("3 tỷ đồng", "ba tỷ đồng"),
    ("14/7/2022", "ngày mười bốn tháng bảy năm hai nghìn không trăm hai mươi hai"),
    ("ngày 01/8/2022", "ngày mồng một tháng tám năm hai nghìn không trăm hai mươi hai"),
    ("tháng 10/2025", "tháng mười năm hai nghìn không trăm hai mươi lăm"),
    ("năm 2026", "năm hai nghìn không trăm hai mươi sáu"),
    ("tháng 4", "tháng tư"),
    ("thứ 2", "thứ hai"),
    ("thứ 4", "thứ tư"),
    ("14h30", "mười bốn giờ ba mươi phút"),
    ("7 giờ 05 phút", "bảy giờ năm phút"),
    ("13:04", "mười ba giờ bốn phút"),
    ("100/2019/NĐ-CP", "Nghị định số một trăm năm hai nghìn không trăm mười chín của Chính phủ"),
    (
        "39/2020/TT-BTTTT",
        "Thông tư số ba mươi chín năm hai nghìn không trăm hai mươi của Bộ Thông tin và Truyền thông",
    ),
    ("80-KL/TW", "Kết luận số tám mươi của Trung ương"),
    ("1929/QĐ-UBND", "Quyết định số một nghìn chín trăm hai mươi chín của Ủy ban nhân dân"),
    ("05-NQ/TU", "Nghị quyết số năm của Tỉnh ủy"),
    ("31/2024/QH15", "số ba mươi mốt năm hai nghìn không trăm hai mươi tư của Quốc hội khóa mười lăm"),
    ("Số: 45/TB-UBND", "Thông báo số bốn mươi lăm của Ủy ban nhân dân"),
    ("Điều 5, khoản 2, điểm a", "điều năm, khoản hai, điểm a"),
    ("Chương II", "chương hai"),
    ("Mục IV", "mục bốn"),
    ("khóa XIII", "khóa mười ba"),
    ("lần thứ 14", "lần thứ mười bốn"),
    ("0912.345.678", "không chín một hai, ba bốn năm, sáu bảy tám"),
    ("60 km/h", "sáu mươi ki-lô-mét trên giờ"),
    ("20 kg", "hai mươi ki-lô-gam"),
    ("3 ha", "ba héc-ta"),
    ("100 m2", "một trăm mét vuông"),
    ("36°C", "ba mươi sáu độ xê"),
    ("mạng 4G/5G", "mạng bốn gờ, năm gờ"),
    ("gạo, muối, v.v.", "gạo, muối, vân vân."),
    ("hoạt động 24/7", "hoạt động hai mươi tư trên bảy"),
    ("gọi 113", "gọi một một ba"),
    ("gọi 114", "gọi một một bốn"),
    ("gọi 115", "gọi một một năm"),
    ("gọi 111", "gọi một một một"),
    ("dịp 30/4", "dịp ngày ba mươi tháng tư"),
    ("hạng C", "hạng xê"),
    ("UBND xã", "Ủy ban nhân dân xã"),
    ("Sở TT&TT", "Sở Thông tin và Truyền thông"),
    ("công tác PBGDPL", "công tác phổ biến, giáo dục pháp luật"),
]


@pytest.mark.parametrize(("text", "expected"), ISSUE_AUDIT)
def test_issue_audit(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "south"),
    [
        ("1.250 hộ", "một ngàn hai trăm năm mươi hộ"),
        ("105 hộ", "một trăm lẻ năm hộ"),
        ("14/7/2022", "ngày mười bốn tháng bảy năm hai ngàn không trăm hai mươi hai"),
        ("500.000đ", "năm trăm ngàn đồng"),
    ],
)
def test_issue_audit_south(text: str, south: str) -> None:
    assert normalize(text, "south") == south


ROBUSTNESS_INPUTS = [
    "😀🇻🇳 chúc mừng năm mới 😀",
    "/" * 500,
    "." * 500,
    "0" * 500,
    "1/" * 300,
    "1." * 300,
    "1," * 300,
    "1-" * 300,
    "1:" * 300,
    "9" * 40 + "," + "9" * 40,
    "12/34/56/78/90/2025/NĐ-CP/QH15-KL/TW",
    "//NĐ-CP -KL/TW /2019/ 45/ /TB",
    "Số: Số: Số: 45/TB-UBND/",
    "ngày ngày 1/1/1 tháng tháng 13/2025 thứ 99 lần thứ 1000",
    "(((((30/4)))))",
    "\x00\x01\u200b\ufeff\r\n\t",
    "Ⅻ ½ ¾ ² ³ ٣ ๓ ௩",
    "A B C Đ Y Z điểm điểm điểm a b",
    "𝟏𝟐𝟑 ＡＢＣ ｱｲｳ",
]


@pytest.mark.parametrize("text", ROBUSTNESS_INPUTS)
@pytest.mark.parametrize("dialect", ["north", "south"])
def test_any_text_yields_output_without_digits(text: str, dialect: str) -> None:
    spoken = normalize(text, "south" if dialect == "south" else "north")
    assert isinstance(spoken, str)
    assert not re.search(r"[0-9]", spoken)


def test_very_long_text_is_normalized_in_full() -> None:
    sentence = (
        "Theo Nghị định 100/2019/NĐ-CP, từ ngày 1/1/2025, phạt 2.000.000 đồng; gọi 113; "
        "UBND xã họp lúc 14h30 thứ 2 (14/7), 60 km/h, 15%, 4G/5G, hạng C, điểm b. "
    )
    text = (sentence * (20_000 // len(sentence) + 1))[:20_000]
    spoken = normalize(text)
    assert not re.search(r"[0-9]", spoken)
    assert spoken.count("Nghị định số một trăm") >= 100


def test_long_runs_of_digits_and_separators_do_not_blow_up() -> None:
    for text in ("1" * 20_000, "1/" * 10_000, "1." * 10_000, "1 " * 10_000, "A" * 20_000, "/" * 20_000):
        spoken = normalize(text)
        assert not re.search(r"[0-9]", spoken)
