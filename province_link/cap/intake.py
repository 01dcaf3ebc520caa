"""Taking in CAP 1.2 alerts from a registered source (authenticated by the caller, `authenticate_source`).

The rules (`docs/source-link.md`, "CAP 1.2 alerts"):
- the XML is read by the hardened parser and validated against the OASIS schema (`parse`); a source
  the province registered with a certificate must sign every alert (`signature`);
- the same alert (sender and identifier) delivered twice is stored once;
- `status` other than Actual (Test, Exercise, System, Draft), a `scope` other than Public, an expired
  alert, and msgType Ack or Error are stored and never air (`held`);
- an Actual Alert or Update must reach at least one commune of the source's province (`area`), else it
  is refused with the reason; it waits for a provincial officer (`pending`), or airs at once when the
  province chose that for the source and the alert's severity;
- an Update replaces the earlier alert it references (text and area): a pending one is superseded at
  once, an aired one when the update airs; a Cancel ends the earlier alert (pending: never airs; aired:
  its emergency ends now). A Cancel that references no alert of the source is refused.
Every message is kept with its XML; a refused one with a Vietnamese reason. The caller commits, audits
(with the alert's identifier) and airs what `CapIntakeResult` asks for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from devices.registry import Commune, Device
from province_link.cap.alert import AlertState, CapAlert, CapAreaCode, CapSourceSetting
from province_link.cap.area import Cluster, Places, Reach, reach
from province_link.cap.errors import CapRefused
from province_link.cap.message import CapMessage
from province_link.cap.parse import parse_document, read_message
from province_link.cap.priority import priority_of
from province_link.cap.signature import verified_root
from province_link.cap.wording import STATUS_VI, event_vi, spoken_text, title_of
from province_link.source import SourceSystem

XML_KEPT_BYTES = 256 * 1024
LIVE = (AlertState.PENDING, AlertState.AIRED, AlertState.HELD)


@dataclass
class CapIntakeResult:
    """What one message did: the alert row (refused ones too), and what the caller must air or end."""

    alert: CapAlert
    duplicate: bool = False
    refusal: CapRefused | None = None
    # Aired at once (the province's auto-air choice for this source and severity): the caller airs it.
    air_now: bool = False
    # Earlier alerts whose emergencies must end now (cancelled, or replaced by an update aired at once).
    to_end: list[CapAlert] = field(default_factory=list)


def cap_setting(session: Session, source: SourceSystem) -> CapSourceSetting | None:
    return session.get(CapSourceSetting, source.id)


def receive_cap(
    session: Session, source: SourceSystem, data: bytes, *, now: datetime, max_bytes: int
) -> CapIntakeResult:
    """Take one authenticated CAP message (its exact bytes). Flushes; the caller commits, whatever the outcome.

    CapTooLarge is raised (nothing stored: the body was not read as XML); every other refusal is stored.
    """
    assert source.id is not None
    # One message of a source at a time (on PostgreSQL): an alert and its update racing in must not both
    # read the earlier alert's old state.
    session.exec(select(SourceSystem.id).where(SourceSystem.id == source.id).with_for_update()).first()
    xml = data[:XML_KEPT_BYTES].decode("utf-8", "replace")
    message: CapMessage | None = None
    try:
        root = parse_document(data, max_bytes=max_bytes)
        setting = cap_setting(session, source)
        if setting is not None and setting.certificate_pem:
            message = read_message(verified_root(root, data, setting.certificate_pem), signed=True)
        else:
            message = read_message(root, signed=False)
        existing = session.exec(select(CapAlert).where(CapAlert.dedup_key == _dedup_key(message))).first()
        if existing is not None:
            return CapIntakeResult(alert=existing, duplicate=True)
        return _take(session, source, setting, message, xml, now=now)
    except CapRefused as refusal:
        alert = CapAlert(
            source_id=source.id,
            identifier=message.identifier[:255] if message else "",
            sender=message.sender[:255] if message else "",
            status=message.status if message else "",
            msg_type=message.msg_type if message else "",
            state=AlertState.REFUSED,
            reason=refusal.message_vi[:1000],
            detail=refusal.detail[:2000],
            xml=xml,
            received_at=now,
        )
        session.add(alert)
        session.flush()
        return CapIntakeResult(alert=alert, refusal=refusal)


def _dedup_key(message: CapMessage) -> str:
    return f"{message.sender[:255]} {message.identifier[:255]}"


def _take(
    session: Session,
    source: SourceSystem,
    setting: CapSourceSetting | None,
    message: CapMessage,
    xml: str,
    *,
    now: datetime,
) -> CapIntakeResult:
    assert source.id is not None
    earlier = _referenced(session, source, message)
    info = message.info
    alert = CapAlert(
        source_id=source.id,
        dedup_key=_dedup_key(message),
        identifier=message.identifier[:255],
        sender=message.sender[:255],
        sent=message.sent,
        status=message.status,
        msg_type=message.msg_type,
        state=AlertState.HELD,
        event=event_vi(info)[:300] if info else "",
        severity=info.severity if info else "",
        urgency=info.urgency if info else "",
        certainty=info.certainty if info else "",
        priority=priority_of(info.severity, info.urgency, info.certainty) if info else "",
        area_desc="; ".join(dict.fromkeys(a.description for a in message.areas))[:1000],
        references=[f"{r.sender},{r.identifier},{r.sent}" for r in message.references],
        signed=message.signed,
        xml=xml,
        received_at=now,
    )
    held = _held_reason(message, now)
    acts = message.msg_type in ("Alert", "Update") and held is None
    if message.msg_type == "Cancel" and held is None:
        if not earlier:
            raise CapRefused(
                f"Cancel references no alert of {source.code}: {alert.references}"[:2000],
                message_vi="Lệnh hủy không trỏ tới cảnh báo nào đã nhận từ nguồn này.",
            )
        to_end = []
        for old in earlier:
            if old.state == AlertState.AIRED:
                to_end.append(old)
            if old.state in (AlertState.PENDING, AlertState.AIRED):
                old.state = AlertState.CANCELLED
                session.add(old)
        alert.state = AlertState.APPLIED
        session.add(alert)
        session.flush()
        return CapIntakeResult(alert=alert, to_end=to_end)
    if message.msg_type in ("Alert", "Update"):
        found = reach(message.areas, _places(session, source))
        if acts and not found:
            raise CapRefused(
                f"no area of the alert reaches a commune of the source's province: {alert.area_desc[:500]!r}",
                message_vi="Vùng cảnh báo không trùng với xã hoặc cụm loa nào của tỉnh "
                "(mã đơn vị hành chính, đa giác, hình tròn).",
            )
        _set_reach(session, alert, found)
        alert.title = title_of(message)
        alert.text = spoken_text(message, _commune_names(session, found))
    if not acts:
        alert.state = AlertState.HELD
        alert.reason = (held or "Loại bản tin CAP này không được phát.")[:1000]
        session.add(alert)
        session.flush()
        return CapIntakeResult(alert=alert)
    alert.state = AlertState.PENDING
    live_earlier = [old for old in earlier if old.state in (AlertState.PENDING, AlertState.AIRED)]
    if live_earlier:
        alert.replaces_id = live_earlier[0].id
    for old in live_earlier:
        if old.state == AlertState.PENDING:
            old.state = AlertState.SUPERSEDED  # a pending alert is replaced at once; an aired one when this airs
            session.add(old)
    session.add(alert)
    session.flush()
    auto = setting is not None and alert.severity in setting.auto_air_severities
    return CapIntakeResult(alert=alert, air_now=auto)


def _held_reason(message: CapMessage, now: datetime) -> str | None:
    """Why a message never airs, in Vietnamese; None when it may (an Actual, Public, current alert)."""
    if message.status != "Actual":
        return f"Bản tin CAP {STATUS_VI.get(message.status, message.status)} ({message.status}): lưu lại, không phát."
    if message.msg_type in ("Ack", "Error"):
        return f"Bản tin CAP loại {message.msg_type}: chỉ lưu lại."
    if message.scope != "Public":
        return f"Cảnh báo phạm vi {message.scope}, không dành cho công chúng: không phát."
    info = message.info
    if message.msg_type != "Cancel" and info is None:
        return "Cảnh báo không có nội dung (info): không phát."
    if info is not None and info.expires is not None and info.expires <= now and message.msg_type != "Cancel":
        return "Cảnh báo đã hết hiệu lực (expires) khi nhận: không phát."
    return None


def _referenced(session: Session, source: SourceSystem, message: CapMessage) -> list[CapAlert]:
    """The source's earlier alerts this message references, newest first."""
    keys = [f"{r.sender[:255]} {r.identifier[:255]}" for r in message.references]
    if not keys:
        return []
    return list(
        session.exec(
            select(CapAlert)
            .where(CapAlert.source_id == source.id, col(CapAlert.dedup_key).in_(keys), col(CapAlert.state).in_(LIVE))
            .order_by(col(CapAlert.id).desc())
        )
    )


def _places(session: Session, source: SourceSystem) -> Places:
    communes = {c.id: c for c in session.exec(select(Commune).where(Commune.province_id == source.province_id)) if c.id}
    by_admin = {c.admin_code: c.code for c in communes.values() if c.admin_code}
    area_codes: dict[str, set[str]] = {}
    for row in session.exec(select(CapAreaCode).where(col(CapAreaCode.commune_id).in_(list(communes)))):
        area_codes.setdefault(row.code, set()).add(communes[row.commune_id].code)
    clusters = tuple(
        Cluster(d.code, communes[d.commune_id].code, d.latitude, d.longitude)
        for d in session.exec(
            select(Device).where(col(Device.commune_id).in_(list(communes)), col(Device.revoked_at).is_(None))
        )
    )
    return Places(by_admin, {k: frozenset(v) for k, v in area_codes.items()}, clusters)


def _set_reach(session: Session, alert: CapAlert, found: Reach) -> None:
    alert.reach = {code: sorted(clusters) if clusters is not None else None for code, clusters in sorted(found.items())}


def _commune_names(session: Session, found: Reach) -> list[str]:
    if not found:
        return []
    return [
        c.name
        for c in session.exec(select(Commune).where(col(Commune.code).in_(list(found))).order_by(col(Commune.code)))
    ]
