"""CAP 1.2 alerts for tests, written as a province's warning system would send them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape


def cap_alert(
    identifier: str = "VN-LA-2026-0001",
    *,
    sender: str = "canhbao@longan.gov.vn",
    sent: datetime | None = None,
    status: str = "Actual",
    msg_type: str = "Alert",
    scope: str = "Public",
    references: str = "",
    language: str = "vi-VN",
    event: str = "Lũ quét",
    urgency: str = "Immediate",
    severity: str = "Extreme",
    certainty: str = "Observed",
    headline: str = "Cảnh báo lũ quét",
    description: str = "Mưa lớn gây lũ quét trên sông Vàm Cỏ Đông.",
    instruction: str = "Bà con di chuyển lên vùng cao ngay.",
    expires: datetime | None = None,
    geocodes: tuple[str, ...] = ("80101",),
    polygons: tuple[str, ...] = (),
    circles: tuple[str, ...] = (),
    with_info: bool = True,
) -> bytes:
    sent = sent or datetime.now(UTC).replace(microsecond=0)
    area = "".join(f"<polygon>{p}</polygon>" for p in polygons) + "".join(f"<circle>{c}</circle>" for c in circles)
    area += "".join(f"<geocode><valueName>MA_DVHC</valueName><value>{g}</value></geocode>" for g in geocodes)
    expiry = f"<expires>{_time(expires)}</expires>" if expires else ""
    info = (
        f"<info><language>{language}</language><category>Met</category><event>{escape(event)}</event>"
        f"<urgency>{urgency}</urgency><severity>{severity}</severity><certainty>{certainty}</certainty>{expiry}"
        f"<senderName>Ban Chỉ huy PCTT tỉnh Long An</senderName>"
        + (f"<headline>{escape(headline)}</headline>" if headline else "")
        + (f"<description>{escape(description)}</description>" if description else "")
        + (f"<instruction>{escape(instruction)}</instruction>" if instruction else "")
        + f"<area><areaDesc>Huyện Thử</areaDesc>{area}</area></info>"
    )
    refs = f"<references>{references}</references>" if references else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
        f"<identifier>{identifier}</identifier><sender>{sender}</sender><sent>{_time(sent)}</sent>"
        f"<status>{status}</status><msgType>{msg_type}</msgType><scope>{scope}</scope>{refs}"
        + (info if with_info else "")
        + "</alert>"
    ).encode()


def reference(identifier: str, *, sender: str = "canhbao@longan.gov.vn") -> str:
    return f"{sender},{identifier},2026-12-03T08:00:00+07:00"


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def later(minutes: int) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)
