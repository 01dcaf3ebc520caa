"""Address prefixes: ``P. 5``, ``Q. Ninh Kiều``, ``H. Tân Châu``, ``TT. Mỹ Xuyên``, ``KP. 3``."""

import pytest

from tts.addresses import expand_address_prefixes
from tts.normalizer import normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P. 5, Q. 10", "phường 5, quận 10"),
        ("tại P.7, TP. Bạc Liêu", "tại phường 7, thành phố Bạc Liêu"),
        ("Q.Bình Thủy", "quận Bình Thủy"),
        ("xã Vĩnh Hòa, H. Tân Châu", "xã Vĩnh Hòa, huyện Tân Châu"),
        ("Trạm y tế X. Khánh Bình Tây", "Trạm y tế xã Khánh Bình Tây"),
        ("TT. Sông Đốc", "thị trấn Sông Đốc"),
        ("KP. 3", "khu phố 3"),
        ("KV. Bình Trung", "khu vực Bình Trung"),
        ("Tx. Giá Rai", "thị xã Giá Rai"),
        ("UBND P. 8", "UBND phường 8"),
    ],
)
def test_prefix_before_a_place_is_its_unit(text: str, expected: str) -> None:
    assert expand_address_prefixes(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "ông Nguyễn Văn H. Cho biết",  # an initial after a name
        "ông Trần Văn P. 5 hộ",  # an initial, whatever follows
        "H. 5",  # a district is never numbered
        "X. 2",
        "TT. 4",
        "mục P.",  # nothing follows
        "AP. Nam",  # glued to a word before
    ],
)
def test_initials_and_other_shapes_are_left_alone(text: str) -> None:
    assert expand_address_prefixes(text) == text


@pytest.mark.parametrize(
    ("text", "dialect", "expected"),
    [
        ("Số 12, P. 5, Q. 10, Tp.HCM", "north", "Số mười hai, phường năm, quận mười, thành phố Hồ Chí Minh"),
        ("khóm 4, TT. Mỹ Xuyên", "south", "khóm bốn, thị trấn Mỹ Xuyên"),
        ("vùng ĐBSCL", "north", "vùng đồng bằng sông Cửu Long"),
        ("H. U Minh", "south", "huyện u Minh"),
    ],
)
def test_addresses_in_full(text: str, dialect: str, expected: str) -> None:
    assert normalize(text, "south" if dialect == "south" else "north") == expected
