"""Quantities with units, money, percentages, temperatures and ranges."""

import pytest

from tts.normalizer import normalize
from tts.units import expand_ranges, read_quantity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500.000đ", "năm trăm nghìn đồng"),
        ("500.000 đ", "năm trăm nghìn đồng"),
        ("500.000 đồng", "năm trăm nghìn đồng"),
        ("500.000 VNĐ", "năm trăm nghìn đồng"),
        ("500.000VNĐ", "năm trăm nghìn đồng"),
        ("1,5 triệu đồng", "một phẩy năm triệu đồng"),
        ("2 tỷ đồng", "hai tỷ đồng"),
        ("3 nghìn tỷ đồng", "ba nghìn tỷ đồng"),
        (
            "từ 2.000.000 đồng đến 4.000.000 đồng",
            "từ hai triệu đồng đến bốn triệu đồng",
        ),
        ("30.000đ/kg", "ba mươi nghìn đồng một ki-lô-gam"),
        ("500.000 đồng/tháng", "năm trăm nghìn đồng một tháng"),
        ("200.000 đồng/người/tháng", "hai trăm nghìn đồng một người một tháng"),
        ("10 triệu đồng/m2", "mười triệu đồng một mét vuông"),
        ("100 USD", "một trăm đô la Mỹ"),
    ],
)
def test_money(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15%", "mười lăm phần trăm"),
        ("15 %", "mười lăm phần trăm"),
        ("0,5%", "không phẩy năm phần trăm"),
        ("100%", "một trăm phần trăm"),
        ("15%/năm", "mười lăm phần trăm một năm"),
        ("15-20%", "mười lăm đến hai mươi phần trăm"),
    ],
)
def test_percentages(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("60 km/h", "sáu mươi ki-lô-mét trên giờ"),
        ("60km/h", "sáu mươi ki-lô-mét trên giờ"),
        ("5 km", "năm ki-lô-mét"),
        ("5kg", "năm ki-lô-gam"),
        ("100 g", "một trăm gam"),
        ("3 ha", "ba héc-ta"),
        ("15m", "mười lăm mét"),
        ("15 m", "mười lăm mét"),
        ("100 m2", "một trăm mét vuông"),
        ("100 m²", "một trăm mét vuông"),
        ("20 m3", "hai mươi mét khối"),
        ("20m³", "hai mươi mét khối"),
        ("2 cm", "hai xen-ti-mét"),
        ("5 mm", "năm mi-li-mét"),
        ("2 l", "hai lít"),
        ("2 lít", "hai lít"),
        ("250 ml", "hai trăm năm mươi mi-li-lít"),
        ("0,25 mg", "không phẩy hai mươi lăm mi-li-gam"),
        ("0,25 mg/l", "không phẩy hai mươi lăm mi-li-gam trên lít"),
        ("0,25 miligam/1 lít", "không phẩy hai mươi lăm mi-li-gam trên một lít"),
        ("37,5°C", "ba mươi bảy phẩy năm độ xê"),
        ("30 độ C", "ba mươi độ xê"),
        ("-5°C", "âm năm độ xê"),
        ("220V", "hai trăm hai mươi vôn"),
        ("10 kW", "mười ki-lô-oát"),
        ("5 MW", "năm mê-ga-oát"),
        ("10 m/s", "mười mét trên giây"),
        ("tốc độ tối đa km/h", "tốc độ tối đa ki-lô-mét trên giờ"),
        ("mỗi km", "mỗi ki-lô-mét"),
        ("nhiệt độ °C", "nhiệt độ độ xê"),
        ("15 mét", "mười lăm mét"),
        ("từ 15 mét trở lên", "từ mười lăm mét trở lên"),
        ("5 kilôgam", "năm ki-lô-gam"),
    ],
)
def test_units(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2-3 ngày", "hai đến ba ngày"),
        ("2 - 3 ngày", "hai đến ba ngày"),
        ("2–3 ngày", "hai đến ba ngày"),
        ("15-20 km", "mười lăm đến hai mươi ki-lô-mét"),
        (
            "giai đoạn 2021-2025",
            "giai đoạn hai nghìn không trăm hai mươi mốt đến hai nghìn không trăm hai mươi lăm",
        ),
        ("2.000.000-4.000.000 đồng", "hai triệu đến bốn triệu đồng"),
        ("0,5-1 m", "không phẩy năm đến một mét"),
    ],
)
def test_ranges(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4G/5G", "bốn gờ, năm gờ"),
        ("mạng 4G", "mạng bốn gờ"),
        ("5G", "năm gờ"),
        ("1 + 1", "một cộng một"),
        ("+", "cộng"),
        ("~5 km", "khoảng năm ki-lô-mét"),
        ("nông, lâm & thủy sản", "nông, lâm và thủy sản"),
        ("gạo, muối, v.v.", "gạo, muối, vân vân."),
        ("gạo, muối, v.v... ở chợ", "gạo, muối, vân vân ở chợ"),
    ],
)
def test_signs_and_special_tokens(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_unit_helpers() -> None:
    assert read_quantity("60", "km/h") == "sáu mươi ki-lô-mét trên giờ"
    assert expand_ranges("2-3 ngày") == "2 đến 3 ngày"
    assert expand_ranges("COVID-19") == "COVID-19"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("60km/h", "sáu mươi ki-lô-mét trên giờ"),
        ("tốc độ 50 km/h", "tốc độ năm mươi ki-lô-mét trên giờ"),
        ("100 m2", "một trăm mét vuông"),
        ("100 m²", "một trăm mét vuông"),
        ("1.000 m²", "một nghìn mét vuông"),
        ("37°C", "ba mươi bảy độ xê"),
        ("35 độ C", "ba mươi lăm độ xê"),
        ("150 ha", "một trăm năm mươi héc-ta"),
        ("20 kg", "hai mươi ki-lô-gam"),
        ("10 m/s", "mười mét trên giây"),
        ("500.000đ", "năm trăm nghìn đồng"),
        ("2.000.000 VNĐ", "hai triệu đồng"),
        ("1,5 triệu đồng", "một phẩy năm triệu đồng"),
        ("15%", "mười lăm phần trăm"),
        ("15,5%", "mười lăm phẩy năm phần trăm"),
        ("500.000 đồng/người/tháng", "năm trăm nghìn đồng một người một tháng"),
        ("từ 2.000.000 đồng đến 4.000.000 đồng", "từ hai triệu đồng đến bốn triệu đồng"),
        ("24/7 km/h", "hai mươi tư trên bảy ki-lô-mét trên giờ"),
        ("3/4 °C", "ba phần tư độ xê"),
    ],
)
def test_units_audit(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("uống 3 lần/ngày", "uống ba lần một ngày"),
        ("năng suất 5 tấn/ha", "năng suất năm tấn một héc-ta"),
        ("2 buổi/tuần", "hai buổi một tuần"),
        ("Nam/Nữ", "Nam, Nữ"),
        ("cá nhân và/hoặc tổ chức", "cá nhân và hoặc tổ chức"),
        ("a // b", "a bê"),  # a lone consonant is a label, spelled (tts.leftovers)
    ],
)
def test_slashes_between_words(text: str, expected: str) -> None:
    assert normalize(text) == expected
