"""CAP 1.2 alerts: pushed by a registered source system, seen by the province's staff, confirmed by a
provincial officer (then they air as emergencies on the clusters their area reaches).

`POST /source-link/cap` authenticates the source like the item push (`X-Loaxa-Source`, an Ed25519
`X-Loaxa-Signature` over the exact body), plus the alert's own XML signature when the province registered
the source's certificate (`docs/source-link.md`, "CAP 1.2 alerts").
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from sqlmodel import Session, select

from audio_library.row_id import RowId
from controller import audit
from controller.accounts import Role, User
from controller.deps import CurrentUser, ServicesDep, SessionDep, require_role
from controller.errors import Forbidden, InvalidInput, NotFound, OutOfScope, error_responses
from controller.services import Services
from controller.source_link.cap_alerts import air_alert, province_alerts, take_alert
from province_link import (
    SIGNATURE_HEADER,
    SOURCE_HEADER,
    CapAlert,
    CapAlertNotFound,
    CapSourceSetting,
    CapTooLarge,
    SourceSystem,
    authenticate_source,
    parse_certificate,
)
from province_link.cap import PRIORITY_VI, SEVERITY_VI, URGENCY_VI

router = APIRouter(tags=["cap-alerts"])

State = Literal["refused", "held", "pending", "aired", "superseded", "cancelled", "applied"]
STATE_VI = {
    "refused": "bị từ chối",
    "held": "lưu, không phát",
    "pending": "chờ xác nhận",
    "aired": "đã phát khẩn cấp",
    "superseded": "đã được cập nhật",
    "cancelled": "đã hủy",
    "applied": "lệnh hủy đã thực hiện",
}
Severity = Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"]

CAP_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The CAP 1.2 alert itself as the body (XML, `urn:oasis:names:tc:emergency:cap:1.2`).",
        "content": {"application/xml": {"schema": {"type": "string"}}},
    }
}


class CapReceipt(BaseModel):
    alert_id: int
    identifier: str
    sender: str
    state: State
    duplicate: bool
    priority: str = Field(description="khan_cap, uu_tien or thong_thuong; empty for a message with no info.")
    communes: list[str] = Field(description="The communes the alert reaches.")
    reason: str = Field(description="Why it will not air (held), in Vietnamese; empty otherwise.")


class CapAlertPublic(BaseModel):
    id: int
    source_code: str
    identifier: str
    sender: str
    sent: datetime | None
    status: str
    msg_type: str
    state: State
    state_vi: str
    reason: str
    detail: str
    event: str
    severity: str
    severity_vi: str
    urgency: str
    urgency_vi: str
    certainty: str
    priority: str
    priority_vi: str
    title: str
    text: str
    area_desc: str
    reach: dict[str, list[str] | None] = Field(description="Commune code -> clusters reached (null: all).")
    references: list[str]
    replaces_id: int | None
    signed: bool
    bulletin_id: int | None
    emergency_ids: list[int]
    confirmed_by: str | None
    confirmed_at: datetime | None
    auto_aired: bool
    received_at: datetime


def _state(value: str) -> State:
    states: dict[str, State] = {s: s for s in STATE_VI}  # type: ignore[misc]
    return states.get(value, "held")


def alert_public(session: Session, alert: CapAlert) -> CapAlertPublic:
    source = session.get(SourceSystem, alert.source_id)
    confirmer = session.get(User, alert.confirmed_by) if alert.confirmed_by is not None else None
    assert alert.id is not None and source is not None
    return CapAlertPublic(
        id=alert.id,
        source_code=source.code,
        identifier=alert.identifier,
        sender=alert.sender,
        sent=alert.sent,
        status=alert.status,
        msg_type=alert.msg_type,
        state=_state(alert.state),
        state_vi=STATE_VI.get(alert.state, alert.state),
        reason=alert.reason,
        detail=alert.detail,
        event=alert.event,
        severity=alert.severity,
        severity_vi=SEVERITY_VI.get(alert.severity, ""),
        urgency=alert.urgency,
        urgency_vi=URGENCY_VI.get(alert.urgency, ""),
        certainty=alert.certainty,
        priority=alert.priority,
        priority_vi=PRIORITY_VI.get(alert.priority, ""),
        title=alert.title,
        text=alert.text,
        area_desc=alert.area_desc,
        reach=dict(alert.reach),
        references=list(alert.references),
        replaces_id=alert.replaces_id,
        signed=alert.signed,
        bulletin_id=alert.bulletin_id,
        emergency_ids=list(alert.emergency_ids),
        confirmed_by=confirmer.username if confirmer is not None else None,
        confirmed_at=alert.confirmed_at,
        auto_aired=alert.auto_aired,
        received_at=alert.received_at,
    )


def _receive(services: Services, code: str | None, signature: str | None, body: bytes) -> CapReceipt:
    limit = services.settings.source_link.cap_max_bytes
    if len(body) > limit:
        raise CapTooLarge(
            f"{len(body)} bytes, more than {limit}", message_vi=f"Cảnh báo CAP quá lớn (tối đa {limit} byte)."
        )
    with services.sessions() as session:
        source = authenticate_source(session, code, signature, body)
        result = take_alert(services, session, source, body)
        if result.refusal is not None:
            raise result.refusal
        alert = result.alert
        assert alert.id is not None
        return CapReceipt(
            alert_id=alert.id,
            identifier=alert.identifier,
            sender=alert.sender,
            state=_state(alert.state),
            duplicate=result.duplicate,
            priority=alert.priority,
            communes=sorted(alert.reach),
            reason=alert.reason,
        )


@router.post(
    "/source-link/cap",
    status_code=201,
    responses={
        200: {"model": CapReceipt, "description": "This alert (sender and identifier) was received before."},
        **error_responses(401, 413, 422),
    },
    openapi_extra=CAP_OPENAPI,
)
async def receive_cap_alert(request: Request, response: Response, services: ServicesDep) -> CapReceipt:
    """A CAP 1.2 alert from a registered source system, signed (`X-Loaxa-Source`, `X-Loaxa-Signature`).

    201: stored; an Actual alert waits for a provincial officer's confirmation (or airs at once by the
    province's choice), any other is kept and never airs. 200: a duplicate. 401: not authenticated, or
    not XML-signed where the source must sign; 413: too large; 422: refused (malformed, not CAP 1.2,
    an area that reaches no commune, a Cancel of an unknown alert), kept with the reason for the staff.
    """
    body = await request.body()
    receipt = await asyncio.to_thread(
        _receive, services, request.headers.get(SOURCE_HEADER), request.headers.get(SIGNATURE_HEADER), body
    )
    if receipt.duplicate:
        response.status_code = 200
    return receipt


def _province_staff(user: User) -> int | None:
    """The province whose alerts the user sees (None: every province, for an admin)."""
    if user.role == Role.ADMIN:
        return None
    if user.province_id is None:
        raise Forbidden(
            f"user {user.username} has no province",
            message_vi="Chỉ cán bộ cấp tỉnh và quản trị viên xem được cảnh báo CAP.",
        )
    return user.province_id


@router.get("/cap-alerts")
def list_alerts(
    session: SessionDep,
    user: CurrentUser,
    state: State | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[CapAlertPublic]:
    """CAP alerts of the province's sources, newest first (refused ones with why); province staff and admins."""
    province_id = _province_staff(user)
    return [alert_public(session, a) for a in province_alerts(session, province_id, state=state, limit=limit)]


def _confirm(services: Services, user_id: int, alert_id: int) -> CapAlertPublic:
    with services.sessions() as session:
        user = session.get(User, user_id)
        assert user is not None
        alert = session.get(CapAlert, alert_id)
        source = session.get(SourceSystem, alert.source_id) if alert is not None else None
        if alert is None or source is None:
            raise CapAlertNotFound(f"no CAP alert {alert_id}")
        if user.role != Role.ADMIN and user.province_id != source.province_id:
            raise OutOfScope(
                f"user {user.username} does not answer for the province of alert {alert_id}",
                message_vi="Bạn không phụ trách tỉnh nhận cảnh báo này.",
            )
        return alert_public(session, air_alert(services, session, alert_id, user, auto=False))


@router.post("/cap-alerts/{alert_id}/confirm", responses=error_responses(502))
async def confirm_alert(alert_id: RowId, user: CurrentUser, services: ServicesDep) -> CapAlertPublic:
    """Air a pending alert now: an emergency on exactly the clusters its area reaches (provincial officers,
    approvers and admins of the source's province; audited with the alert's identifier)."""
    require_role(user, Role.OFFICER, Role.APPROVER, Role.ADMIN)
    assert user.id is not None
    return await asyncio.to_thread(_confirm, services, user.id, alert_id)


class CapSettingsIn(BaseModel):
    certificate_pem: str | None = Field(
        default=None,
        max_length=20_000,
        description="The source's X.509 certificate (PEM): every alert must then carry an XML signature by it. "
        "None: alerts need no XML signature.",
    )
    auto_air_severities: list[Severity] = Field(
        default_factory=list, max_length=5, description="Severities that air at once, without confirmation."
    )


class CapSettingsPublic(BaseModel):
    source_code: str
    signs: bool
    auto_air_severities: list[str]
    updated_at: datetime | None


def set_cap_settings(session: Session, user: User | None, code: str, data: CapSettingsIn) -> CapSettingsPublic:
    """The province's CAP choices for a source (audited); shared by the API and the CLI. The caller commits."""
    source = session.exec(select(SourceSystem).where(SourceSystem.code == code)).first()
    if source is None or source.id is None:
        raise NotFound(f"no source {code[:64]!r}", message_vi="Không tìm thấy hệ thống nguồn.")
    if data.certificate_pem:
        try:
            parse_certificate(data.certificate_pem)
        except ValueError as exc:
            raise InvalidInput(str(exc), message_vi="Chứng thư số phải là X.509 dạng PEM.") from exc
    setting = session.get(CapSourceSetting, source.id) or CapSourceSetting(
        source_id=source.id, updated_at=datetime.now(UTC)
    )
    setting.certificate_pem = data.certificate_pem or None
    setting.auto_air_severities = list(dict.fromkeys(data.auto_air_severities))
    setting.updated_at = datetime.now(UTC)
    session.add(setting)
    audit.record(
        session,
        user,
        "cap.settings",
        f"source:{source.code}",
        f"signed: {'yes' if setting.certificate_pem else 'no'}; auto-air: {setting.auto_air_severities or 'none'}",
    )
    return CapSettingsPublic(
        source_code=source.code,
        signs=bool(setting.certificate_pem),
        auto_air_severities=setting.auto_air_severities,
        updated_at=setting.updated_at,
    )


@router.put("/source-systems/{code}/cap")
def put_cap_settings(code: str, data: CapSettingsIn, session: SessionDep, user: CurrentUser) -> CapSettingsPublic:
    """Whether the source XML-signs its CAP alerts (with which certificate), and which severities air at
    once without an officer's confirmation (admins; audited)."""
    require_role(user, Role.ADMIN)
    public = set_cap_settings(session, user, code, data)
    session.commit()
    return public
