"""Legal document numbers, article references and Roman numerals in headings."""

import pytest

from tts.normalizer import normalize

Y2019 = "hai nghìn không trăm mười chín"
Y2020 = "hai nghìn không trăm hai mươi"
Y2024 = "hai nghìn không trăm hai mươi tư"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nghị định số 100/2019/NĐ-CP", f"Nghị định số một trăm năm {Y2019} của Chính phủ"),
        ("Nghị định 100/2019/NĐ-CP", f"Nghị định số một trăm năm {Y2019} của Chính phủ"),
        ("100/2019/NĐ-CP", f"Nghị định số một trăm năm {Y2019} của Chính phủ"),
        (
            "Nghị định 168/2024/NĐ-CP của Chính phủ",
            f"Nghị định số một trăm sáu mươi tám năm {Y2024} của Chính phủ",
        ),
        (
            "Nghị định 168/2024/NĐ-CP ngày 26/12/2024 của Chính phủ",
            (
                f"Nghị định số một trăm sáu mươi tám năm {Y2024} ngày hai mươi sáu tháng mười hai"
                f" năm {Y2024} của Chính phủ"
            ),
        ),
        ("Nghị định 15/2020/NĐ-CP", f"Nghị định số mười lăm năm {Y2020} của Chính phủ"),
        (
            "Thông tư 39/2020/TT-BTTTT",
            f"Thông tư số ba mươi chín năm {Y2020} của Bộ Thông tin và Truyền thông",
        ),
        ("39/2020/TT-BTTTT", f"Thông tư số ba mươi chín năm {Y2020} của Bộ Thông tin và Truyền thông"),
        ("Kết luận số 80-KL/TW", "Kết luận số tám mươi của Trung ương"),
        ("80-KL/TW", "Kết luận số tám mươi của Trung ương"),
        ("theo 80-KL/TW", "theo Kết luận số tám mươi của Trung ương"),
        (
            "Quyết định 1929/QĐ-UBND",
            "Quyết định số một nghìn chín trăm hai mươi chín của Ủy ban nhân dân",
        ),
        (
            "Quyết định 1929/QĐ-UBND của UBND tỉnh",
            "Quyết định số một nghìn chín trăm hai mươi chín của Ủy ban nhân dân tỉnh",
        ),
        ("Nghị quyết 05-NQ/TU của Tỉnh ủy", "Nghị quyết số năm của Tỉnh ủy"),
        ("05-NQ/TU", "Nghị quyết số năm của Tỉnh ủy"),
        ("Nghị quyết 09-NQ/HU", "Nghị quyết số chín của Huyện ủy"),
        ("Nghị quyết 12-NQ/ĐU", "Nghị quyết số mười hai của Đảng ủy"),
        (
            "31/2024/QH15",
            f"số ba mươi mốt năm {Y2024} của Quốc hội khóa mười lăm",
        ),
        (
            "Luật số 31/2024/QH15",
            f"Luật số ba mươi mốt năm {Y2024} của Quốc hội khóa mười lăm",
        ),
        (
            "Bộ luật Hình sự số 100/2015/QH13",
            "Bộ luật Hình sự số một trăm năm hai nghìn không trăm mười lăm của Quốc hội khóa mười ba",
        ),
        (
            "Nghị quyết 35/2023/UBTVQH15",
            (
                "Nghị quyết số ba mươi lăm năm hai nghìn không trăm hai mươi ba"
                " của Ủy ban Thường vụ Quốc hội khóa mười lăm"
            ),
        ),
        ("06/CT-TTg", "Chỉ thị số sáu của Thủ tướng Chính phủ"),
        ("Chỉ thị 06/CT-TTg", "Chỉ thị số sáu của Thủ tướng Chính phủ"),
        ("123/KH-UBND", "Kế hoạch số một trăm hai mươi ba của Ủy ban nhân dân"),
        ("36-CT/TW", "Chỉ thị số ba mươi sáu của Trung ương"),
        ("Công văn số 123/UBND-VX", "Công văn số một trăm hai mươi ba của Ủy ban nhân dân"),
        ("45/TB-UBND", "Thông báo số bốn mươi lăm của Ủy ban nhân dân"),
        ("7/HD-HĐND", "Hướng dẫn số bảy của Hội đồng nhân dân"),
        ("15/CV-BCA", "Công văn số mười lăm của Bộ Công an"),
        ("12/2021/TT-BTC", "Thông tư số mười hai năm hai nghìn không trăm hai mươi mốt của Bộ Tài chính"),
        ("Thông tư 01/2022/TT-BTP", "Thông tư số một năm hai nghìn không trăm hai mươi hai của Bộ Tư pháp"),
        (
            "Thông tư 18/2021/TT-BNNPTNT",
            "Thông tư số mười tám năm hai nghìn không trăm hai mươi mốt của Bộ Nông nghiệp và Phát triển nông thôn",
        ),
        (
            "Thông tư liên tịch 01/2024/TTLT-BTC-BTP",
            f"Thông tư liên tịch số một năm {Y2024} của Bộ Tài chính và Bộ Tư pháp",
        ),
        ("Nghị quyết 57-NQ/BCT", "Nghị quyết số năm mươi bảy của Bộ Chính trị"),
        ("Quyết định 12/QĐ-BCT", "Quyết định số mười hai của Bộ Công Thương"),
        ("Quyết định 3/QĐ-BTV", "Quyết định số ba của Ban Thường vụ"),
        ("Quyết định 7/QĐ-NHNN", "Quyết định số bảy của Ngân hàng Nhà nước"),
        ("văn bản số 100/2019/NĐ-CP", f"văn bản số một trăm năm {Y2019} của Chính phủ"),
        ("Nghị quyết 01/NQ-HĐND.", "Nghị quyết số một của Hội đồng nhân dân."),
    ],
)
def test_document_numbers(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_caller_lexicon_overrides_issuer_names() -> None:
    extra = {"UBND": "Ủy ban nhân dân tỉnh Hậu Giang"}
    assert normalize("Quyết định 12/QĐ-UBND", lexicon=extra) == (
        "Quyết định số mười hai của Ủy ban nhân dân tỉnh Hậu Giang"
    )


def test_unknown_issuer_uses_caller_lexicon_then_spelling() -> None:
    assert normalize("Kế hoạch 5/KH-SNN", lexicon={"SNN": "Sở Nông nghiệp"}) == ("Kế hoạch số năm của Sở Nông nghiệp")
    assert normalize("Kế hoạch 5/KH-XYZ") == "Kế hoạch số năm của ích-xì i dài dét"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Điều 5, khoản 2, điểm a", "điều năm, khoản hai, điểm a"),
        ("Điều 174", "điều một trăm bảy mươi tư"),
        ("Điều 174 Bộ luật Hình sự", "điều một trăm bảy mươi tư Bộ luật Hình sự"),
        ("khoản 1 Điều 6", "khoản một điều sáu"),
        ("Điểm b khoản 3 Điều 5", "điểm bê khoản ba điều năm"),
        (
            "khoản 1 Điều 6 Nghị định 100/2019/NĐ-CP",
            f"khoản một điều sáu Nghị định số một trăm năm {Y2019} của Chính phủ",
        ),
        ("Khoản 2 Điều 21", "khoản hai điều hai mươi mốt"),
        ("Điều kiện", "Điều kiện"),
        ("Mục 1.2", "mục một chấm hai"),
        ("Điều 5.1.3 và khoản 2. Tiếp theo", "điều năm chấm một chấm ba và khoản hai. Tiếp theo"),
        ("văn bản số 113/2024", "văn bản số một trăm mười ba năm hai nghìn không trăm hai mươi tư"),
    ],
)
def test_article_references(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Chương II", "chương hai"),
        ("Chương I", "chương một"),
        ("Mục IV", "mục bốn"),
        ("Phần III", "phần ba"),
        ("khóa XIII", "khóa mười ba"),
        ("khoá XV", "khóa mười lăm"),
        ("Quốc hội khóa XV", "Quốc hội khóa mười lăm"),
        ("thế kỷ XXI", "thế kỷ hai mươi mốt"),
        ("thế kỉ XX", "thế kỉ hai mươi"),
        ("quý IV", "quý bốn"),
        ("quý I/2025", "quý một năm hai nghìn không trăm hai mươi lăm"),
        ("Đại hội lần thứ XIII", "Đại hội lần thứ mười ba"),
        ("thứ I", "thứ nhất"),
        ("thứ IV", "thứ tư"),
        ("vùng II", "vùng hai"),
        ("Phụ lục III", "Phụ lục ba"),
        ("bằng lái hạng C", "bằng lái hạng xê"),
    ],
)
def test_roman_numerals_after_triggers(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vua Louis XIV", "Vua Louis mười bốn"),
        ("Y tế", "Y tế"),
        ("ông Tư", "ông Tư"),
    ],
)
def test_roman_numerals_without_trigger(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Số: 45/TB-UBND", "Thông báo số bốn mươi lăm của Ủy ban nhân dân"),
        ("Số 45/TB-UBND", "Thông báo số bốn mươi lăm của Ủy ban nhân dân"),
        ("SỐ: 45/TB-UBND", "Thông báo số bốn mươi lăm của Ủy ban nhân dân"),
        ("số 12/KH-UBND", "Kế hoạch số mười hai của Ủy ban nhân dân"),
        ("theo số 12/KH-UBND", "theo Kế hoạch số mười hai của Ủy ban nhân dân"),
        ("Thông báo số 45/TB-UBND", "Thông báo số bốn mươi lăm của Ủy ban nhân dân"),
        ("Thông báo Số: 45/TB-UBND", "Thông báo số bốn mươi lăm của Ủy ban nhân dân"),
        ("Số: 123/UBND-VX", "Công văn số một trăm hai mươi ba của Ủy ban nhân dân"),
        ("số 05/CT-TTg", "Chỉ thị số năm của Thủ tướng Chính phủ"),
        ("số 80-KL/TW", "Kết luận số tám mươi của Trung ương"),
        ("Số: 15/2024/QĐ-UBND", f"Quyết định số mười lăm năm {Y2024} của Ủy ban nhân dân"),
        ("Số 31/2024/QH15", f"Số ba mươi mốt năm {Y2024} của Quốc hội khóa mười lăm"),
        ("theo số 31/2024/QH15", f"theo số ba mươi mốt năm {Y2024} của Quốc hội khóa mười lăm"),
    ],
)
def test_document_header_number_keeps_its_type(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("123/QĐ", "Quyết định số một trăm hai mươi ba"),
        ("Số 12/KH", "Kế hoạch số mười hai"),
        ("01/2024/TT", f"Thông tư số một năm {Y2024}"),
        ("theo NĐ 100/2019/NĐ-CP", f"theo Nghị định số một trăm năm {Y2019} của Chính phủ"),
        ("NQ 57-NQ/TW", "Nghị quyết số năm mươi bảy của Trung ương"),
        ("Nghị định 100/2019", f"Nghị định số một trăm năm {Y2019}"),
        ("Nghị định số 100/2019", f"Nghị định số một trăm năm {Y2019}"),
        ("văn bản 456/STTTT-BCVT", "văn bản số bốn trăm năm mươi sáu của Sở Thông tin và Truyền thông"),
        ("Kế hoạch 7/KH-SYT", "Kế hoạch số bảy của Sở Y tế"),
        ("Quyết định 9/QĐ-BNNMT", "Quyết định số chín của Bộ Nông nghiệp và Môi trường"),
        ("Hướng dẫn 12-HD/BTGTW", "Hướng dẫn số mười hai của Ban Tuyên giáo Trung ương"),
        ("Quy định 08-QĐi/TW", "Quy định số tám của Trung ương"),
        ("Công điện 1239/CĐ-TTg", "Công điện số một nghìn hai trăm ba mươi chín của Thủ tướng Chính phủ"),
        (
            "Nghị quyết số 18-NQ/TW ngày 25/10/2017",
            "Nghị quyết số mười tám của Trung ương ngày hai mươi lăm tháng mười năm hai nghìn không trăm mười bảy",
        ),
        (
            "Nghị định 100/2019/NĐ-CP và 123/2021/NĐ-CP",
            (
                f"Nghị định số một trăm năm {Y2019} của Chính phủ và Nghị định số một trăm hai mươi ba"
                " năm hai nghìn không trăm hai mươi mốt của Chính phủ"
            ),
        ),
    ],
)
def test_more_document_shapes(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "100/2019/NĐ-CP",
        "Nghị định 100/2019/NĐ-CP",
        "39/2020/TT-BTTTT",
        "80-KL/TW",
        "1929/QĐ-UBND",
        "05-NQ/TU",
        "31/2024/QH15",
        "Số: 45/TB-UBND",
        "01/2024/TTLT-BTC-BTP",
    ],
)
@pytest.mark.parametrize("dialect", ["north", "south"])
def test_document_numbers_leave_no_codes(text: str, dialect: str) -> None:
    spoken = normalize(text, "south" if dialect == "south" else "north")
    assert "/" not in spoken
    assert "xê pê" not in spoken
    assert "nđ" not in spoken.lower().split()
    assert not any(char.isdigit() for char in spoken)
    assert not any(len(token) >= 2 and token.isupper() for token in spoken.split())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đại hội XIII của Đảng", "Đại hội mười ba của Đảng"),
        ("Nghị quyết Đại hội Đảng XIII", "Nghị quyết Đại hội Đảng mười ba"),
        ("khu vực II", "khu vực hai"),
        ("nhóm I", "nhóm một"),
        ("II. NỘI DUNG", "Hai. nội dung"),
        ("I. MỤC ĐÍCH, YÊU CẦU", "Một. mục đích, yêu cầu"),
        ("Dòng đầu\nIV) Tổ chức thực hiện", "Dòng đầu\nBốn) Tổ chức thực hiện"),
        ("Chương II, Mục IV", "chương hai, mục bốn"),
        ("lần thứ 14", "lần thứ mười bốn"),
        ("khóa XIII", "khóa mười ba"),
    ],
)
def test_roman_numerals_in_headings_and_terms(text: str, expected: str) -> None:
    assert normalize(text) == expected
