"""The abbreviation lexicon, caller lexicons and letter spelling."""

import json
import re
from importlib.resources import files

import pytest

from tts.abbreviations import build_lexicon, spell_letters
from tts.normalizer import load_builtin_lexicon, normalize

REQUIRED = {
    "UBND": "Ủy ban nhân dân",
    "HĐND": "Hội đồng nhân dân",
    "MTTQ": "Mặt trận Tổ quốc",
    "PBGDPL": "phổ biến, giáo dục pháp luật",
    "ATGT": "an toàn giao thông",
    "PCCC": "phòng cháy, chữa cháy",
    "TP": "thành phố",
    "TT&TT": "Thông tin và Truyền thông",
    "BCH": "Ban Chỉ huy",
    "CSGT": "cảnh sát giao thông",
    "BHYT": "bảo hiểm y tế",
    "VN": "Việt Nam",
    "HTX": "hợp tác xã",
    "NTM": "nông thôn mới",
    "GPLX": "giấy phép lái xe",
    "CCCD": "căn cước công dân",
    "OTP": "ô tê pê",
    "COVID-19": "cô-vít mười chín",
}


def test_builtin_lexicon_file_is_a_plain_mapping() -> None:
    raw = files("tts").joinpath("data/abbreviations.json").read_text(encoding="utf-8")
    data = json.loads(raw)
    assert isinstance(data, dict)
    assert all(isinstance(key, str) and isinstance(value, str) for key, value in data.items())
    assert load_builtin_lexicon() == data


def test_builtin_lexicon_size_and_required_entries() -> None:
    lexicon = load_builtin_lexicon()
    assert len(lexicon) >= 40
    for key, value in REQUIRED.items():
        assert lexicon[key] == value
    for key in ("CAND", "QĐND", "THPT", "THCS", "BHXH", "TNGT", "UBMTTQ", "KT-XH", "ANTT", "BVTV", "IUU"):
        assert key in lexicon


def test_load_builtin_lexicon_returns_a_copy() -> None:
    first = load_builtin_lexicon()
    first["UBND"] = "changed"
    assert load_builtin_lexicon()["UBND"] == "Ủy ban nhân dân"


def test_expansions_contain_no_digits_and_no_abbreviations() -> None:
    lexicon = load_builtin_lexicon()
    for key, value in lexicon.items():
        assert not re.search(r"[0-9]", value), key
        for other in lexicon:
            assert not re.search(rf"(?<![\w]){re.escape(other)}(?![\w])", value), (key, other)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("UBND xã", "Ủy ban nhân dân xã"),
        ("HĐND tỉnh", "Hội đồng nhân dân tỉnh"),
        ("UBMTTQ xã", "Ủy ban Mặt trận Tổ quốc xã"),
        ("Ban Thường trực UBMTTQVN", "Ban Thường trực Ủy ban Mặt trận Tổ quốc Việt Nam"),
        ("công tác PBGDPL", "công tác phổ biến, giáo dục pháp luật"),
        ("Sở TT&TT", "Sở Thông tin và Truyền thông"),
        ("Sở GD&ĐT", "Sở Giáo dục và Đào tạo"),
        ("TP. Cần Thơ", "thành phố Cần Thơ"),
        ("TP.HCM", "thành phố Hồ Chí Minh"),
        ("TP HCM", "thành phố Hồ Chí Minh"),
        ("về TP.", "về thành phố."),
        ("phát triển KT-XH", "phát triển kinh tế, xã hội"),
        ("CSGT và CAND", "cảnh sát giao thông và Công an nhân dân"),
        ("học sinh THPT, THCS", "học sinh trung học phổ thông, trung học cơ sở"),
        ("thẻ BHYT, BHXH", "thẻ bảo hiểm y tế, bảo hiểm xã hội"),
        ("chống khai thác IUU", "chống khai thác i-u-u"),
        ("mã OTP", "mã ô tê pê"),
        ("dịch COVID-19", "dịch cô-vít mười chín"),
        ("dịch Covid-19", "dịch cô-vít mười chín"),
        ("QL1A", "quốc lộ một a"),
        ("ĐT: ", "điện thoại:"),
        ("Ubnd", "Ubnd"),
        ("PCCC-CNCH", "phòng cháy, chữa cháy-cứu nạn, cứu hộ"),
        ("ANTT, ATGT", "an ninh trật tự, an toàn giao thông"),
        ("ứng dụng VNeID", "ứng dụng vê-en-e-ai-đi"),
        ("Ủy ban nhân dân (UBND) xã", "Ủy ban nhân dân xã"),
        ("Mặt trận Tổ quốc (MTTQ), Hội Nông dân", "Mặt trận Tổ quốc, Hội Nông dân"),
        ("liên hệ (UBND)", "liên hệ (Ủy ban nhân dân)"),
    ],
)
def test_builtin_abbreviations(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_caller_lexicon_extends_and_overrides() -> None:
    extra = {"SNN": "Sở Nông nghiệp", "UBND": "Ủy ban nhân dân tỉnh Hậu Giang"}
    assert normalize("SNN và UBND", lexicon=extra) == "Sở Nông nghiệp và Ủy ban nhân dân tỉnh Hậu Giang"
    assert normalize("UBND") == "Ủy ban nhân dân"


def test_caller_lexicon_expansion_may_use_abbreviations() -> None:
    assert normalize("SNN", lexicon={"SNN": "Sở NN&PTNT"}) == "Sở Nông nghiệp và Phát triển nông thôn"


def test_caller_lexicon_longest_first() -> None:
    extra = {"KV": "khu vực", "KVII": "khu vực hai"}
    assert normalize("KVII và KV", lexicon=extra) == "khu vực hai và khu vực"


def test_build_lexicon_is_cached() -> None:
    assert build_lexicon(None) is build_lexicon({})
    assert build_lexicon({"A1B": "x"}) is build_lexicon({"A1B": "x"})


@pytest.mark.parametrize(
    ("letters", "expected"),
    [
        ("VN", "vê en-nờ"),
        ("XYZ", "ích-xì i dài dét"),
        ("ĐGH", "đê gờ hát"),
        ("KLMNPQRST", "ca e-lờ em-mờ en-nờ pê quy e-rờ ét-xì tê"),
    ],
)
def test_spell_letters(letters: str, expected: str) -> None:
    assert spell_letters(letters) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mã XYZ", "mã ích-xì i dài dét"),
        ("TT", "tê tê"),
        ("xe hạng B2", "xe hạng bê hai"),
        ("ca F0", "ca ép không"),
        ("cúm H5N1", "cúm hát năm en-nờ một"),
        ("bụi PM2.5", "bụi pê em-mờ hai phẩy năm"),
        ("TIN VẮN", "tin vắn"),
        ("Tôi là A", "Tôi là a"),
    ],
)
def test_letter_tokens(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("UBND, HĐND, MTTQ", "Ủy ban nhân dân, Hội đồng nhân dân, Mặt trận Tổ quốc"),
        ("ATGT và PCCC", "an toàn giao thông và phòng cháy, chữa cháy"),
        ("TP Cần Thơ", "thành phố Cần Thơ"),
        ("BCH quân sự xã", "Ban Chỉ huy quân sự xã"),
        ("CP đã ban hành", "Chính phủ đã ban hành"),
        ("Công ty CP Sông Đà", "Công ty cổ phần Sông Đà"),
        ("CTCP Mía đường", "công ty cổ phần Mía đường"),
        ("V/v triển khai", "về việc triển khai"),
        ("theo NĐ mới", "theo nghị định mới"),
        ("QĐ và NQ", "quyết định và nghị quyết"),
        ("OK", "ô kê"),
        ("LLVT, DQTV", "lực lượng vũ trang, dân quân tự vệ"),
        ("đồng bào DTTS", "đồng bào dân tộc thiểu số"),
        ("THÔNG BÁO KHẨN", "thông báo khẩn"),
        ("I. MỤC ĐÍCH", "Một. mục đích"),
    ],
)
def test_more_abbreviations(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_caller_lexicon_reaches_document_issuers() -> None:
    extra = {"UBND": "Ủy ban nhân dân tỉnh Hậu Giang"}
    assert normalize("Số: 45/TB-UBND", lexicon=extra) == "Thông báo số bốn mươi lăm của Ủy ban nhân dân tỉnh Hậu Giang"


def test_caller_lexicon_may_add_new_codes() -> None:
    extra = {"BQLDA": "Ban Quản lý dự án", "KV": "khu vực"}
    assert normalize("BQLDA KV", lexicon=extra) == "Ban Quản lý dự án khu vực"
    assert normalize("BQLDA KV") == "bê quy e-lờ dê a ca vê"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lúa IR 50404", "lúa i e-rờ năm không bốn không bốn"),
        ("lúa IR50404", "lúa i e-rờ năm không bốn không bốn"),
        ("giống OM 5451", "giống o em-mờ năm bốn năm một"),
        ("gạo ST25", "gạo ét-xì tê hai mươi lăm"),
        ("APEC 2017", "a pê e xê hai nghìn không trăm mười bảy"),
        ("trên BĐ2 0,25 m", "trên báo động hai không phẩy hai mươi lăm mét"),
    ],
)
def test_codes_with_serial_numbers(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_a_definition_after_its_southern_wording_is_dropped() -> None:
    assert normalize("bệnh dịch tả heo châu Phi (ASF).") == "bệnh dịch tả heo châu Phi."
    assert normalize("bệnh dịch tả lợn châu Phi (ASF).") == "bệnh dịch tả lợn châu Phi."
    assert normalize("bệnh dịch tả bò (ASF).") == "bệnh dịch tả bò (dịch tả lợn châu Phi)."
