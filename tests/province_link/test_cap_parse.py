"""Reading CAP 1.2 (`province_link.cap.parse`): the specification's own examples, and what must be refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from province_link import CapRefused, CapTooLarge, parse_cap
from province_link.cap.wording import event_vi, spoken_text, title_of
from tests.cap_messages import cap_alert

DATA = Path(__file__).parent / "data"
MAX = 512 * 1024


def example(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_the_specification_examples_parse_as_they_are() -> None:
    advisory = parse_cap(example("cap_a1_homeland_security.xml"), max_bytes=MAX)
    assert (advisory.identifier, advisory.sender, advisory.status, advisory.msg_type) == (
        "43b080713727",
        "hsas@dhs.gov",
        "Actual",
        "Alert",
    )
    assert advisory.info is not None and advisory.info.severity == "Severe"
    assert advisory.areas[0].description == "U.S. nationwide and interests worldwide"

    storm = parse_cap(example("cap_a2_thunderstorm.xml"), max_bytes=MAX)
    assert storm.sent == datetime(2003, 6, 17, 21, 57, tzinfo=UTC)
    (area,) = storm.areas
    assert area.polygons[0][0] == (38.47, -120.14) and len(area.polygons[0]) == 5
    assert ("SAME", "006109") in area.geocodes
    assert storm.info is not None and storm.info.expires is not None

    quake = parse_cap(example("cap_a3_earthquake.xml"), max_bytes=MAX)
    assert quake.msg_type == "Update"
    assert quake.references[0].identifier == "TRI13970876.1"
    assert quake.areas[0].circles[0].radius_km == 0

    amber = parse_cap(example("cap_a4_amber_alert.xml"), max_bytes=MAX)
    assert [i.language for i in amber.infos] == ["en-US", "es-US"]
    assert amber.info is not None and amber.info.event == "Child Abduction"


def test_an_alert_without_vietnamese_text_is_read_as_a_vietnamese_stock_message() -> None:
    storm = parse_cap(example("cap_a2_thunderstorm.xml"), max_bytes=MAX)
    assert storm.info is not None and event_vi(storm.info) == "dông mạnh"
    assert title_of(storm) == "Cảnh báo dông mạnh"
    text = spoken_text(storm, ["Xã An Bình"])
    assert "tại Xã An Bình" in text and "mức độ nguy hiểm" in text and "THUNDERSTORM" not in text


def test_a_vietnamese_alert_is_read_as_written() -> None:
    alert = parse_cap(cap_alert(), max_bytes=MAX)
    assert title_of(alert) == "Cảnh báo lũ quét"
    assert spoken_text(alert, []) == "Mưa lớn gây lũ quét trên sông Vàm Cỏ Đông.\nBà con di chuyển lên vùng cao ngay."


@pytest.mark.parametrize(
    "data",
    [
        b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><identifier>x</identifier>",
        b"not xml at all",
        b"",
        b'{"alert": "json"}',
    ],
)
def test_malformed_xml_is_refused(data: bytes) -> None:
    with pytest.raises(CapRefused) as refused:
        parse_cap(data, max_bytes=MAX)
    assert "XML" in refused.value.message_vi


def test_external_entities_and_entity_bombs_are_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("mật khẩu")
    xxe = (
        cap_alert()
        .replace(b"<alert ", f'<!DOCTYPE alert [<!ENTITY x SYSTEM "file://{secret}">]>\n<alert '.encode(), 1)
        .replace(b"<identifier>VN-LA-2026-0001", b"<identifier>&x;")
    )
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb = (
        cap_alert()
        .replace(b"<alert ", f'<!DOCTYPE alert [<!ENTITY l0 "ha">{laughs}]>\n<alert '.encode(), 1)
        .replace(b"<identifier>VN-LA-2026-0001", b"<identifier>&l9;")
    )
    for attack in (xxe, bomb):
        with pytest.raises(CapRefused) as refused:
            parse_cap(attack, max_bytes=MAX)
        assert "mật khẩu" not in refused.value.detail
        assert "DOCTYPE" in refused.value.message_vi


def test_an_alert_larger_than_the_limit_is_refused_before_parsing() -> None:
    with pytest.raises(CapTooLarge):
        parse_cap(cap_alert(description="x" * 2000), max_bytes=1000)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ((b"<status>Actual</status>", b"<status>Real</status>"), "status outside the enumeration"),
        ((b"<scope>Public</scope>", b""), "scope missing"),
        ((b"urn:oasis:names:tc:emergency:cap:1.2", b"urn:oasis:names:tc:emergency:cap:1.1"), "CAP 1.1 namespace"),
        ((b"<severity>Extreme</severity>", b"<severity>Extreme</severity><severity>Minor</severity>"), "twice"),
    ],
)
def test_schema_invalid_alerts_are_refused(change: tuple[bytes, bytes], why: str) -> None:
    with pytest.raises(CapRefused) as refused:
        parse_cap(cap_alert().replace(*change), max_bytes=MAX)
    assert refused.value.message_vi == "Cảnh báo không đúng lược đồ CAP 1.2 của OASIS.", why


def test_shapes_with_bad_coordinates_are_refused() -> None:
    for shape in ({"polygons": ("10,106 11,106 10,106",)}, {"circles": ("95,106 1",)}, {"circles": ("10,106",)}):
        with pytest.raises(CapRefused):
            parse_cap(cap_alert(**shape), max_bytes=MAX)  # type: ignore[arg-type]


def test_a_doctype_in_another_encoding_is_refused_too() -> None:
    text = cap_alert().decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    attack = text.replace("<alert ", '<!DOCTYPE alert [<!ENTITY x "y">]>\n<alert ', 1).encode("utf-16")
    with pytest.raises(CapRefused) as refused:
        parse_cap(attack, max_bytes=MAX)
    assert "DOCTYPE" in refused.value.message_vi
