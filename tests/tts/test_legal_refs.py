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
        ("Điểm b khoản 3 Điều 5", "điểm b khoản ba điều năm"),
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
        ("bằng lái hạng C", "bằng lái hạng C"),
    ],
)
def test_roman_numerals_after_triggers(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vua Louis XIV", "Vua Louis ích-xì i vê"),
        ("I love", "I love"),
        ("ông Tư", "ông Tư"),
    ],
)
def test_roman_numerals_without_trigger_are_not_numbers(text: str, expected: str) -> None:
    assert normalize(text) == expected
