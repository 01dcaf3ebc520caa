"""Reading CAP 1.2 XML safely: size first, a parser that fetches and expands nothing, then the OASIS schema.

The parser never touches the network, never loads a DTD, never expands an entity and keeps libxml2's
limits on depth and text size (`huge_tree` off); a document with a DOCTYPE is refused outright, so an
XXE or "billion laughs" attempt is refused before anything of it is used. What passes is validated
against the OASIS CAP-v1.2 schema (`CAP-v1.2.xsd`, shipped with the package) and then read into a
`CapMessage`. An enveloped XML signature is checked by `province_link.cap.signature` and, when it is,
only what it signed is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any, cast

from lxml import etree

from province_link.cap.errors import CapRefused, CapTooLarge
from province_link.cap.message import CapArea, CapInfo, CapMessage, Circle, Polygon, Reference

NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
DSIG_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#"
_NS = {"cap": NAMESPACE}


def hardened_parser() -> etree.XMLParser:
    """An XML parser that reads only the bytes it is given: no DTD, no entities, no network, no huge trees."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
    )


@cache
def cap_schema() -> etree.XMLSchema:
    """The OASIS CAP-v1.2 schema, read once from the package."""
    text = files("province_link.cap").joinpath("CAP-v1.2.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(text, hardened_parser()))


def parse_document(data: bytes, *, max_bytes: int) -> etree._Element:
    """The root element of a CAP document that is small enough, well-formed, DTD-free and schema-valid."""
    if len(data) > max_bytes:
        raise CapTooLarge(f"{len(data)} bytes, more than {max_bytes}")
    if b"<!DOCTYPE" in data.upper():  # refused before libxml2 reads a single declaration
        raise _doctype()
    try:
        root = etree.fromstring(data, hardened_parser())
    except etree.XMLSyntaxError as exc:
        raise CapRefused(f"malformed XML: {exc}"[:2000], message_vi="Cảnh báo CAP không phải XML hợp lệ.") from exc
    docinfo: Any = root.getroottree().docinfo  # lxml-stubs does not know DocInfo's DTD attributes
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise _doctype()  # one the byte check cannot see (another encoding)
    check_schema(root)
    return root


def _doctype() -> CapRefused:
    return CapRefused(
        "a DOCTYPE is not allowed in a CAP message",
        message_vi="Cảnh báo CAP không được chứa khai báo DOCTYPE (có thể là tấn công XML).",
    )


def check_schema(root: etree._Element) -> None:
    schema = cap_schema()
    if not schema.validate(root):
        errors: list[Any] = list(cast(Iterable[Any], schema.error_log))[:5]
        problems = "; ".join(f"line {e.line}: {e.message}" for e in errors)
        raise CapRefused(
            f"not valid against CAP-v1.2.xsd: {problems}"[:2000],
            message_vi="Cảnh báo không đúng lược đồ CAP 1.2 của OASIS.",
        )


def read_message(root: etree._Element, *, signed: bool = False) -> CapMessage:
    """The fields loaxa acts on, from a schema-valid `<alert>`."""
    return CapMessage(
        identifier=_text(root, "identifier"),
        sender=_text(root, "sender"),
        sent=_time(_text(root, "sent")),
        status=_text(root, "status"),
        msg_type=_text(root, "msgType"),
        scope=_text(root, "scope"),
        references=_references(_text(root, "references")),
        infos=tuple(_info(info) for info in root.findall("cap:info", _NS)),
        signed=signed,
    )


def parse_cap(data: bytes, *, max_bytes: int) -> CapMessage:
    """Parse and validate an unsigned CAP message (signed ones go through `province_link.cap.signature`)."""
    return read_message(parse_document(data, max_bytes=max_bytes))


def has_signature(root: etree._Element) -> bool:
    return root.find(f"{{{DSIG_NAMESPACE}}}Signature") is not None


def _text(element: etree._Element, name: str) -> str:
    found = element.find(f"cap:{name}", _NS)
    return (found.text or "").strip() if found is not None else ""


def _texts(element: etree._Element, name: str) -> tuple[str, ...]:
    return tuple((found.text or "").strip() for found in element.findall(f"cap:{name}", _NS))


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)  # the schema's pattern guarantees an offset


def _references(value: str) -> tuple[Reference, ...]:
    found = []
    for entry in value.split():
        parts = entry.split(",")
        if len(parts) != 3:
            raise CapRefused(
                f"reference {entry[:200]!r} is not sender,identifier,sent",
                message_vi="Trường references của cảnh báo CAP sai định dạng (sender,identifier,sent).",
            )
        found.append(Reference(*parts))
    return tuple(found)


def _info(info: etree._Element) -> CapInfo:
    expires = _text(info, "expires")
    return CapInfo(
        language=_text(info, "language") or "en-US",
        categories=_texts(info, "category"),
        event=_text(info, "event"),
        urgency=_text(info, "urgency"),
        severity=_text(info, "severity"),
        certainty=_text(info, "certainty"),
        sender_name=_text(info, "senderName"),
        headline=_text(info, "headline"),
        description=_text(info, "description"),
        instruction=_text(info, "instruction"),
        expires=_time(expires) if expires else None,
        areas=tuple(_area(area) for area in info.findall("cap:area", _NS)),
    )


def _area(area: etree._Element) -> CapArea:
    geocodes = tuple((_text(code, "valueName"), _text(code, "value")) for code in area.findall("cap:geocode", _NS))
    return CapArea(
        description=_text(area, "areaDesc"),
        polygons=tuple(_polygon(p) for p in _texts(area, "polygon")),
        circles=tuple(_circle(c) for c in _texts(area, "circle")),
        geocodes=geocodes,
    )


def _point(pair: str) -> tuple[float, float]:
    latitude, longitude = (float(v) for v in pair.split(","))
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError(f"{pair} is off the globe")
    return latitude, longitude


def _polygon(value: str) -> Polygon:
    try:
        points = tuple(_point(pair) for pair in value.split())
    except ValueError as exc:
        raise _bad_shape("polygon", value, exc) from exc
    if len(points) < 4 or points[0] != points[-1]:
        raise _bad_shape("polygon", value, ValueError("needs 4 or more points, the first equal to the last"))
    return points


def _circle(value: str) -> Circle:
    try:
        centre, radius = value.split()
        latitude, longitude = _point(centre)
        radius_km = float(radius)
        if radius_km < 0:
            raise ValueError("negative radius")
    except ValueError as exc:
        raise _bad_shape("circle", value, exc) from exc
    return Circle(latitude, longitude, radius_km)


def _bad_shape(kind: str, value: str, exc: Exception) -> CapRefused:
    return CapRefused(
        f"{kind} {value[:200]!r}: {exc}",
        message_vi=f"Vùng cảnh báo ({'đa giác' if kind == 'polygon' else 'hình tròn'}) sai định dạng tọa độ.",
    )
