"""A CAP alert's priority in TT39's three levels, from its severity, urgency and certainty.

| severity                  | urgency                     | certainty                  | priority                      |
|---------------------------|-----------------------------|----------------------------|-------------------------------|
| Extreme, Severe           | Immediate, Expected         | Observed, Likely, Possible | khẩn cấp (`khan_cap`)         |
| Extreme, Severe           | Immediate, Expected         | Unknown                    | ưu tiên (`uu_tien`)           |
| Extreme, Severe, Moderate | Immediate, Expected, Future | not Unlikely               | ưu tiên (`uu_tien`)           |
| anything else (Minor, Unknown severity; Past, Unknown urgency; Unlikely)    |   | thông thường (`thong_thuong`) |

Confirmed or auto-aired alerts air as emergencies whatever their priority (a provincial officer decided
they must be heard now); the priority tells the officer how urgent the source judges it, and the
province's auto-air setting names the severities that air without waiting (`docs/source-link.md`).
"""

from __future__ import annotations

from typing import Literal

CapPriority = Literal["khan_cap", "uu_tien", "thong_thuong"]

PRIORITY_VI: dict[str, str] = {"khan_cap": "khẩn cấp", "uu_tien": "ưu tiên", "thong_thuong": "thông thường"}


def priority_of(severity: str, urgency: str, certainty: str) -> CapPriority:
    if certainty == "Unlikely":
        return "thong_thuong"
    if severity in ("Extreme", "Severe") and urgency in ("Immediate", "Expected"):
        return "khan_cap" if certainty != "Unknown" else "uu_tien"
    if severity in ("Extreme", "Severe", "Moderate") and urgency in ("Immediate", "Expected", "Future"):
        return "uu_tien"
    return "thong_thuong"
