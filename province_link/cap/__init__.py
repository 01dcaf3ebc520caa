"""CAP 1.2 alerts from the province's source systems: parsed safely, validated against the OASIS schema,
signatures checked, areas mapped to communes and clusters, priority and Vietnamese wording; each alert
waits for a provincial officer or airs at once by the province's choice (`docs/source-link.md`)."""

from province_link.cap.alert import AlertState, CapAlert, CapAreaCode, CapSourceSetting
from province_link.cap.errors import CapAlertNotFound, CapAlertNotPending, CapRefused, CapSignatureInvalid, CapTooLarge
from province_link.cap.intake import CapIntakeResult, cap_setting, receive_cap
from province_link.cap.message import CapArea, CapInfo, CapMessage, Circle, Reference
from province_link.cap.parse import parse_cap
from province_link.cap.priority import PRIORITY_VI, priority_of
from province_link.cap.signature import parse_certificate
from province_link.cap.wording import CERTAINTY_VI, SEVERITY_VI, STATUS_VI, URGENCY_VI

__all__ = [
    "CERTAINTY_VI",
    "PRIORITY_VI",
    "SEVERITY_VI",
    "STATUS_VI",
    "URGENCY_VI",
    "AlertState",
    "CapAlert",
    "CapAlertNotFound",
    "CapAlertNotPending",
    "CapArea",
    "CapAreaCode",
    "CapInfo",
    "CapIntakeResult",
    "CapMessage",
    "CapRefused",
    "CapSignatureInvalid",
    "CapSourceSetting",
    "CapTooLarge",
    "Circle",
    "Reference",
    "cap_setting",
    "parse_cap",
    "parse_certificate",
    "priority_of",
    "receive_cap",
]
