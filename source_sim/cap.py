"""CAP 1.2 alerts as a province's warning system writes them (the standard library's XML, no loaxa code).

An alert is described by a small dict (what an operator fills in) and written as CAP 1.2 XML:
{"identifier": ..., "status": "Actual", "msg_type": "Alert", "references": ["<earlier identifier>"],
 "event": "Lũ quét", "urgency": "Immediate", "severity": "Extreme", "certainty": "Observed",
 "headline": ..., "description": ..., "instruction": ..., "area_desc": ...,
 "geocodes": ["80101"], "polygons": ["lat,lon lat,lon ..."], "circles": ["lat,lon km"]}
Geocodes are Vietnam's administrative unit codes (valueName `MA_DVHC`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"


def cap_time(moment: datetime) -> str:
    """CAP's dateTime: seconds, with an explicit offset (never "Z")."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def build_alert(spec: dict[str, Any], *, sender: str, identifier: str, sent: datetime, references: str) -> bytes:
    ET.register_namespace("", NAMESPACE)

    def add(parent: ET.Element, name: str, text: str | None) -> None:
        if text:
            ET.SubElement(parent, f"{{{NAMESPACE}}}{name}").text = text

    alert = ET.Element(f"{{{NAMESPACE}}}alert")
    add(alert, "identifier", identifier)
    add(alert, "sender", sender)
    add(alert, "sent", cap_time(sent))
    add(alert, "status", str(spec.get("status", "Actual")))
    add(alert, "msgType", str(spec.get("msg_type", "Alert")))
    add(alert, "scope", str(spec.get("scope", "Public")))
    add(alert, "references", references)
    if spec.get("msg_type", "Alert") != "Cancel" or spec.get("event"):
        info = ET.SubElement(alert, f"{{{NAMESPACE}}}info")
        add(info, "language", str(spec.get("language", "vi-VN")))
        add(info, "category", str(spec.get("category", "Met")))
        add(info, "event", str(spec.get("event", "Cảnh báo thiên tai")))
        add(info, "urgency", str(spec.get("urgency", "Immediate")))
        add(info, "severity", str(spec.get("severity", "Severe")))
        add(info, "certainty", str(spec.get("certainty", "Observed")))
        add(info, "senderName", str(spec.get("sender_name", "Ban Chỉ huy phòng, chống thiên tai tỉnh")))
        add(info, "headline", spec.get("headline"))
        add(info, "description", spec.get("description"))
        add(info, "instruction", spec.get("instruction"))
        area = ET.SubElement(info, f"{{{NAMESPACE}}}area")
        add(area, "areaDesc", str(spec.get("area_desc", "Vùng cảnh báo")))
        for polygon in spec.get("polygons", []):
            add(area, "polygon", str(polygon))
        for circle in spec.get("circles", []):
            add(area, "circle", str(circle))
        for code in spec.get("geocodes", []):
            geocode = ET.SubElement(area, f"{{{NAMESPACE}}}geocode")
            add(geocode, "valueName", "MA_DVHC")
            add(geocode, "value", str(code))
    body: bytes = ET.tostring(alert, encoding="utf-8", xml_declaration=True)
    return body
