"""Dates, months, weekdays and clock times."""

import pytest

from tts.dates import is_valid_date, read_date, read_day, read_month
from tts.normalizer import normalize
from tts.times import read_clock

YEAR_2022 = "hai nghìn không trăm hai mươi hai"
YEAR_2025 = "hai nghìn không trăm hai mươi lăm"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14/7/2022", f"ngày mười bốn tháng bảy năm {YEAR_2022}"),
        ("ngày 14/7/2022", f"ngày mười bốn tháng bảy năm {YEAR_2022}"),
        ("ngày 01/8/2022", f"ngày mồng một tháng tám năm {YEAR_2022}"),
        ("Ngày 01/08/2022", f"Ngày mồng một tháng tám năm {YEAR_2022}"),
        ("1/1/2025", f"ngày mồng một tháng một năm {YEAR_2025}"),
        ("ngày 10/4/2025", f"ngày mồng mười tháng tư năm {YEAR_2025}"),
        ("ngày 11/4/2025", f"ngày mười một tháng tư năm {YEAR_2025}"),
        ("14.7.2022", f"ngày mười bốn tháng bảy năm {YEAR_2022}"),
        ("14-7-2022", f"ngày mười bốn tháng bảy năm {YEAR_2022}"),
        ("mùng 2/9/1945", "mùng hai tháng chín năm một nghìn chín trăm bốn mươi lăm"),
        ("tháng 10/2025", f"tháng mười năm {YEAR_2025}"),
        ("10/2025", f"tháng mười năm {YEAR_2025}"),
        ("tháng 4/2025", f"tháng tư năm {YEAR_2025}"),
        ("tháng 1", "tháng một"),
        ("tháng 4", "tháng tư"),
        ("tháng 12", "tháng mười hai"),
        ("năm 2026", "năm hai nghìn không trăm hai mươi sáu"),
        (
            "từ ngày 1/1 đến ngày 31/12/2025",
            f"từ ngày mồng một tháng một đến ngày ba mươi mốt tháng mười hai năm {YEAR_2025}",
        ),
        (
            "1/1-31/12/2025",
            f"ngày mồng một tháng một đến ngày ba mươi mốt tháng mười hai năm {YEAR_2025}",
        ),
        ("ngày 1-3/10/2025", f"ngày mồng một đến ngày mồng ba tháng mười năm {YEAR_2025}"),
        (
            "từ nay đến hết ngày 31/12/2025",
            f"từ nay đến hết ngày ba mươi mốt tháng mười hai năm {YEAR_2025}",
        ),
        ("ngày 5 tháng 4 năm 2025", f"ngày mồng năm tháng tư năm {YEAR_2025}"),
        ("sáng 14/7", "sáng ngày mười bốn tháng bảy"),
        ("chiều 15/8,", "chiều ngày mười lăm tháng tám,"),
        ("Thứ 2 (14/7)", "Thứ hai (ngày mười bốn tháng bảy)"),
        ("ngày 24/7", "ngày hai mươi tư tháng bảy"),
        ("ngày 10.", "ngày mồng mười."),
        ("quý 1/2025", f"quý một năm {YEAR_2025}"),
        ("dịp 30/4 - 1/5", "dịp ngày ba mươi tháng tư đến ngày mồng một tháng năm"),
        ("ngày 15/3 – 15/4", "ngày mười lăm tháng ba đến ngày mười lăm tháng tư"),
        ("đường 30/4", "đường ba mươi tháng tư"),
        ("31/2/2025", "ba mươi mốt trên hai trên hai nghìn không trăm hai mươi lăm"),
    ],
)
def test_dates(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hoạt động 24/7", "hoạt động hai mươi tư trên bảy"),
        ("trực 24/24 giờ", "trực hai mươi tư trên hai mươi tư giờ"),
        ("1/2 số hộ", "một phần hai số hộ"),
    ],
)
def test_slashes_outside_date_context_are_not_dates(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_south_dialect_dates() -> None:
    assert normalize("ngày 5/6/2025", "south") == "ngày mồng năm tháng sáu năm hai ngàn không trăm hai mươi lăm"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("thứ 2", "thứ hai"),
        ("thứ 3", "thứ ba"),
        ("thứ 4", "thứ tư"),
        ("thứ 5", "thứ năm"),
        ("thứ 6", "thứ sáu"),
        ("thứ 7", "thứ bảy"),
        ("Thứ 7", "Thứ bảy"),
        ("Chủ nhật", "Chủ nhật"),
        ("CN", "chủ nhật"),
        ("từ thứ 2 đến CN", "từ thứ hai đến chủ nhật"),
    ],
)
def test_weekdays(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14h30", "mười bốn giờ ba mươi phút"),
        ("7h", "bảy giờ"),
        ("6h00", "sáu giờ"),
        ("7h05", "bảy giờ năm phút"),
        ("7 giờ 05 phút", "bảy giờ năm phút"),
        ("13:04", "mười ba giờ bốn phút"),
        ("13:30:15", "mười ba giờ ba mươi phút mười lăm giây"),
        ("lúc 14H30", "lúc mười bốn giờ ba mươi phút"),
        ("7h30-11h", "bảy giờ ba mươi phút đến mười một giờ"),
        ("từ 13:30 đến 17:00", "từ mười ba giờ ba mươi phút đến mười bảy giờ"),
        ("24h qua", "hai mươi tư giờ qua"),
        ("trong 72h", "trong bảy mươi hai giờ"),
        ("vào lúc 14h30 ngày 14/7/2022", f"vào lúc mười bốn giờ ba mươi phút ngày mười bốn tháng bảy năm {YEAR_2022}"),
        ("0h", "không giờ"),
    ],
)
def test_times(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_read_helpers() -> None:
    assert read_day(1) == "mồng một"
    assert read_day(15) == "mười lăm"
    assert read_month(4) == "tư"
    assert read_date(1, 1, 2025) == f"ngày mồng một tháng một năm {YEAR_2025}"
    assert read_date(2, 9, None, lead="mùng") == "hai tháng chín"
    assert read_clock(14, 30) == "mười bốn giờ ba mươi phút"
    assert is_valid_date(29, 2)
    assert not is_valid_date(29, 2, 2025)
    assert not is_valid_date(1, 13)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dịp lễ 30/4", "dịp lễ ngày ba mươi tháng tư"),
        ("Lễ 2/9", "Lễ ngày mồng hai tháng chín"),
        ("dịp 1/5", "dịp ngày mồng một tháng năm"),
        ("từ 1/5 đến 3/5", "từ ngày mồng một tháng năm đến ngày mồng ba tháng năm"),
        ("trước 15/6", "trước ngày mười lăm tháng sáu"),
        ("sau 2/9", "sau ngày mồng hai tháng chín"),
        ("(30/4)", "(ngày ba mươi tháng tư)"),
        ("(30/4 - 1/5)", "(ngày ba mươi tháng tư đến ngày mồng một tháng năm)"),
        ("30/4 năm 1975", "ngày ba mươi tháng tư năm một nghìn chín trăm bảy mươi lăm"),
        ("Tết 1/1", "Tết ngày mồng một tháng một"),
        ("kỷ niệm 2/9", "kỷ niệm ngày mồng hai tháng chín"),
        ("nghỉ 30/4, 1/5", "nghỉ ngày ba mươi tháng tư, ngày mồng một tháng năm"),
        ("ngày 30/4 và 1/5", "ngày ba mươi tháng tư và ngày mồng một tháng năm"),
        (
            "nghỉ lễ 30/4, 1/5 và 2/9",
            "nghỉ lễ ngày ba mươi tháng tư, ngày mồng một tháng năm và ngày mồng hai tháng chín",
        ),
        (
            "ngày 1/5/2025 và 2/5",
            f"ngày mồng một tháng năm năm {YEAR_2025} và ngày mồng hai tháng năm",
        ),
        ("ngày 30-4", "ngày ba mươi tháng tư"),
        ("dịp 30-4 và 1-5", "dịp ngày ba mươi tháng tư và ngày mồng một tháng năm"),
        ("ngày 1-5 tháng 6", "ngày mồng một đến ngày mồng năm tháng sáu"),
        ("từ 24/7", "từ ngày hai mươi tư tháng bảy"),
    ],
)
def test_bare_day_month_in_date_context(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hoạt động 24/7", "hoạt động hai mươi tư trên bảy"),
        ("phục vụ 24/7.", "phục vụ hai mươi tư trên bảy."),
        ("tỷ lệ 1/3", "tỷ lệ một phần ba"),
        ("3/4 dân số", "ba phần tư dân số"),
        ("tỉ lệ 1/3 và 2/3", "tỉ lệ một phần ba và hai phần ba"),
        ("nhà 12/3 đường Lê Lợi", "nhà mười hai trên ba đường Lê Lợi"),
        ("từ 2-3 ngày", "từ hai đến ba ngày"),
        ("giảm 2-3 ngày", "giảm hai đến ba ngày"),
        ("30/2", "ba mươi trên hai"),
    ],
)
def test_fractions_and_ratios_stay_numbers(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ngày 01/8/2022", f"ngày mồng một tháng tám năm {YEAR_2022}"),
        ("Ngày 01-8-2022", f"Ngày mồng một tháng tám năm {YEAR_2022}"),
        ("ngày 5 tháng 01 năm 2025", f"ngày mồng năm tháng một năm {YEAR_2025}"),
        ("Hà Nội, ngày 02 tháng 9 năm 2025", f"Hà Nội, ngày mồng hai tháng chín năm {YEAR_2025}"),
        ("Từ 01/01/2025", f"Từ ngày mồng một tháng một năm {YEAR_2025}"),
        ("30.4.2025", f"ngày ba mươi tháng tư năm {YEAR_2025}"),
        ("10h30 ngày 2/9", "mười giờ ba mươi phút ngày mồng hai tháng chín"),
        ("thứ 7, 8/3", "thứ bảy, ngày mồng tám tháng ba"),
        ("CN, 9/3", "chủ nhật, ngày mồng chín tháng ba"),
        ("trong tháng 4", "trong tháng tư"),
        ("tháng 4, tháng 5", "tháng tư, tháng năm"),
    ],
)
def test_date_audit(text: str, expected: str) -> None:
    assert normalize(text) == expected
    assert "ngày ngày" not in normalize(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7h sáng", "bảy giờ sáng"),
        ("19h30'", "mười chín giờ ba mươi phút"),
        ("22h00", "hai mươi hai giờ"),
        ("6:00 sáng", "sáu giờ sáng"),
        ("từ 7h00 - 11h30", "từ bảy giờ đến mười một giờ ba mươi phút"),
        ("7 giờ 5 phút", "bảy giờ năm phút"),
    ],
)
def test_time_audit(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ngày Quốc tế Lao động 1/5", "Ngày Quốc tế Lao động mồng một tháng năm"),
        ("Quốc khánh 2/9", "Quốc khánh mồng hai tháng chín"),
        ("Tết Dương lịch 1/1", "Tết Dương lịch mồng một tháng một"),
        ("Ngày Nhà giáo Việt Nam 20/11", "Ngày Nhà giáo Việt Nam hai mươi tháng mười một"),
        ("Ngày hội có 1/3 số hộ", "Ngày hội có một phần ba số hộ"),
    ],
)
def test_named_days(text: str, expected: str) -> None:
    assert normalize(text) == expected
