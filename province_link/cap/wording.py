"""What the speakers read for an alert, in Vietnamese, and the Vietnamese labels of CAP's coded values.

A Vietnamese info block (`<language>vi-VN</language>`) is read as the source wrote it: headline,
description, instruction. An alert with no Vietnamese text (or no text at all) is read as a stock message
built from its event, severity and urgency and the communes it reaches, never in another language: the
speech chain reads Vietnamese.
"""

from __future__ import annotations

from collections.abc import Sequence

from province_link.cap.message import CapInfo, CapMessage

SEVERITY_VI = {
    "Extreme": "đặc biệt nguy hiểm",
    "Severe": "nguy hiểm",
    "Moderate": "trung bình",
    "Minor": "nhẹ",
    "Unknown": "chưa rõ mức độ",
}
URGENCY_VI = {
    "Immediate": "cần hành động ngay",
    "Expected": "sắp xảy ra, cần hành động trong vòng một giờ",
    "Future": "có thể xảy ra trong thời gian tới",
    "Past": "đã qua",
    "Unknown": "chưa rõ thời điểm",
}
CERTAINTY_VI = {
    "Observed": "đã xảy ra",
    "Likely": "nhiều khả năng xảy ra",
    "Possible": "có thể xảy ra",
    "Unlikely": "ít khả năng xảy ra",
    "Unknown": "chưa rõ",
}
CATEGORY_VI = {
    "Geo": "địa chất",
    "Met": "khí tượng, thủy văn",
    "Safety": "an toàn",
    "Security": "an ninh",
    "Rescue": "cứu hộ, cứu nạn",
    "Fire": "cháy, nổ",
    "Health": "y tế",
    "Env": "môi trường",
    "Transport": "giao thông",
    "Infra": "hạ tầng",
    "CBRNE": "hóa chất, sinh học, phóng xạ, hạt nhân, chất nổ",
    "Other": "khác",
}
STATUS_VI = {
    "Actual": "thật",
    "Exercise": "diễn tập",
    "System": "kiểm tra hệ thống",
    "Test": "thử nghiệm",
    "Draft": "bản nháp",
}
# Common events of international feeds, in the words Vietnam's disaster warnings use. Longer names first,
# so "flash flood" is not read as "flood".
EVENT_VI: dict[str, str] = {
    "severe thunderstorm": "dông mạnh",
    "tropical depression": "áp thấp nhiệt đới",
    "tropical storm": "bão",
    "flash flood": "lũ quét",
    "storm surge": "nước dâng do bão",
    "saline intrusion": "xâm nhập mặn",
    "forest fire": "cháy rừng",
    "child abduction": "bắt cóc trẻ em",
    "heat wave": "nắng nóng",
    "cold wave": "rét đậm, rét hại",
    "thunderstorm": "dông, sét",
    "earthquake": "động đất",
    "landslide": "sạt lở đất",
    "tsunami": "sóng thần",
    "typhoon": "bão",
    "flood": "lũ, ngập lụt",
    "drought": "hạn hán",
    "wildfire": "cháy rừng",
    "hail": "mưa đá",
    "tornado": "lốc xoáy",
}


def event_vi(info: CapInfo) -> str:
    """The event in Vietnamese: the source's own words when it wrote Vietnamese, else a known event's name."""
    if info.vietnamese:
        return info.event
    lowered = info.event.lower()
    for english, vietnamese in EVENT_VI.items():
        if english in lowered:
            return vietnamese
    category = CATEGORY_VI.get(info.categories[0], "khác") if info.categories else "khác"
    return f"sự cố {category}"


def title_of(message: CapMessage) -> str:
    """The bulletin's title: the Vietnamese headline, or "Cảnh báo <event>"."""
    info = message.info
    if info is None:
        return "Cảnh báo từ hệ thống thông tin nguồn"
    if info.vietnamese and info.headline:
        return info.headline[:300]
    return f"Cảnh báo {event_vi(info)}"[:300]


def spoken_text(message: CapMessage, communes: Sequence[str]) -> str:
    """What the speakers read after the title."""
    info = message.info
    if info is not None and info.vietnamese:
        parts = [_sentence(p) for p in (info.description, info.instruction) if p.strip()]
        if parts:
            return "\n".join(parts)[:20_000]
    return stock_message(info, communes)


def stock_message(info: CapInfo | None, communes: Sequence[str]) -> str:
    """The message read when the alert has no Vietnamese text."""
    where = f" tại {', '.join(communes)}" if communes else ""
    if info is None:
        return f"Thông báo khẩn{where}. Đề nghị bà con theo dõi và làm theo hướng dẫn của chính quyền địa phương."
    severity = SEVERITY_VI.get(info.severity, "chưa rõ mức độ")
    urgency = URGENCY_VI.get(info.urgency, "chưa rõ thời điểm")
    return (
        f"Cảnh báo {event_vi(info)}{where}, mức độ {severity}, {urgency}. "
        "Đề nghị bà con theo dõi thông tin và làm theo hướng dẫn của chính quyền địa phương."
    )


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else f"{text}."
