"""The province's source information system: its signed items in, its registration, what it delivered.

`POST /source-link/items` is for the source system itself: no user logs in, its Ed25519 signature over
the exact body is its authentication (`province_link`, `docs/source-link.md`). The rest is for people:
admins register sources; the province's own staff and admins see every delivery, a refused one with why.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from controller import audit
from controller.accounts import Role, User, UserCreate, create_user
from controller.bulletin_scope import require_province
from controller.deps import CurrentUser, ServicesDep, SessionDep, require_role
from controller.errors import Conflict, InvalidInput, NotFound, error_responses
from controller.services import Services
from controller.source_link import after_intake, audit_intake, recording_loader, report_signer
from devices.registry import Province, get_province
from province_link import (
    SIGNATURE_HEADER,
    SOURCE_HEADER,
    ItemReceipt,
    OutboxMessage,
    SourceApprover,
    SourceDelivery,
    SourceMessage,
    SourceSystem,
    StaleDelivery,
    authenticate_source,
    parse_public_key,
    receive,
)

router = APIRouter(tags=["source-link"])


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema with its `$defs` references replaced by the definitions (none is recursive)."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


# The body is read as bytes (the signature covers them exactly), so its schema is given by hand.
SOURCE_MESSAGE_SCHEMA = _inlined(SourceMessage.model_json_schema())


Outcome = Literal["accepted", "duplicate", "refused"]
_OUTCOMES: dict[str, Outcome] = {"accepted": "accepted", "duplicate": "duplicate", "refused": "refused"}


class SourceSystemCreate(BaseModel):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{2,48}$")]
    name: str = Field(min_length=1, max_length=200)
    province_code: str = Field(min_length=1, max_length=64)
    public_key: str = Field(min_length=40, max_length=64, description="The source's raw Ed25519 public key, base64.")
    feed_url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s]{1,490}$")] | None = Field(
        default=None, description="Pull mode: the source's feed, read every `source_link.poll_interval_s`."
    )
    report_url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s]{1,490}$")] | None = Field(
        default=None, description="Results out: where loaxa posts what aired in the province."
    )


class SourceSystemPublic(BaseModel):
    code: str
    name: str
    province_code: str
    public_key: str
    active: bool
    feed_url: str | None
    feed_checked_at: datetime | None
    feed_error: str
    report_url: str | None
    reports_waiting: int = Field(description="Reports not yet acknowledged by the source.")
    approval_at_source: bool = Field(description="A named approver's signature at the source counts as approval.")
    approvers: list[str] = Field(description="The approvers whose signature counts, when it does.")
    author: str = Field(description="The service account its bulletins are written by (it cannot log in).")
    created_at: datetime


class SourceDeliveryPublic(BaseModel):
    id: int
    source_code: str
    external_id: str
    version: int | None
    outcome: Outcome
    reason: str
    detail: str
    received_at: datetime


def register_source(session: Session, user: User | None, data: SourceSystemCreate) -> SourceSystemPublic:
    """Register a source and its service account (shared by the API and the CLI); the caller commits."""
    province = get_province(session, data.province_code)
    if session.exec(select(SourceSystem).where(SourceSystem.code == data.code)).first() is not None:
        raise Conflict(f"source {data.code} exists", message_vi="Mã hệ thống nguồn đã được dùng.")
    try:
        parse_public_key(data.public_key)
    except ValueError as exc:
        raise InvalidInput(str(exc), message_vi="Khóa công khai phải là 32 byte Ed25519 mã hóa base64.") from exc
    account = create_user(
        session,
        UserCreate(
            username=f"nguon.{data.code.lower()}",
            full_name=f"Hệ thống nguồn: {data.name}"[:200],
            role=Role.OFFICER,
            password=secrets.token_urlsafe(32),  # never told to anyone; the account cannot log in anyway
        ),
        province_id=province.id,
        communes=[],
    )
    account.active = False
    assert province.id is not None and account.id is not None
    source = SourceSystem(
        code=data.code,
        name=data.name,
        province_id=province.id,
        public_key_b64=data.public_key,
        author_id=account.id,
        feed_url=data.feed_url,
        report_url=data.report_url,
    )
    session.add(source)
    session.flush()
    audit.record(session, user, "source.register", f"source:{source.code}", f"province {province.code}")
    return _public(source, province, account)


def _public(
    source: SourceSystem, province: Province, account: User, waiting: int = 0, approvers: list[str] | None = None
) -> SourceSystemPublic:
    return SourceSystemPublic(
        code=source.code,
        name=source.name,
        province_code=province.code,
        public_key=source.public_key_b64,
        active=source.active,
        feed_url=source.feed_url,
        feed_checked_at=source.feed_checked_at,
        feed_error=source.feed_error,
        report_url=source.report_url,
        reports_waiting=waiting,
        approval_at_source=source.approval_at_source,
        approvers=approvers or [],
        author=account.username,
        created_at=source.created_at,
    )


@router.post("/source-systems", status_code=201)
def add_source(data: SourceSystemCreate, session: SessionDep, user: CurrentUser) -> SourceSystemPublic:
    """Register a province's source information system with its public key (admins)."""
    require_role(user, Role.ADMIN)
    public = register_source(session, user, data)
    session.commit()
    return public


def list_source_systems(session: Session) -> list[SourceSystemPublic]:
    rows = session.exec(
        select(SourceSystem, Province, User)
        .where(SourceSystem.province_id == Province.id, SourceSystem.author_id == User.id)
        .order_by(col(SourceSystem.code))
    ).all()
    waiting = dict(
        session.exec(
            select(OutboxMessage.source_id, func.count())
            .where(col(OutboxMessage.sent_at).is_(None))
            .group_by(col(OutboxMessage.source_id))
        ).all()
    )
    names: dict[int, list[str]] = {}
    for approver in session.exec(select(SourceApprover).order_by(col(SourceApprover.name))):
        names.setdefault(approver.source_id, []).append(approver.name)
    return [
        _public(source, province, account, waiting.get(source.id or 0, 0), names.get(source.id or 0))
        for source, province, account in rows
    ]


class ApproverKey(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="As items name them in `approval.approver`.")
    public_key: str = Field(min_length=40, max_length=64, description="Their raw Ed25519 public key, base64.")


class ApprovalAtSource(BaseModel):
    enabled: bool = Field(description="Whether these approvers' signatures at the source count as approval.")
    approvers: list[ApproverKey] = Field(default_factory=list, max_length=100)


def set_approval_at_source(session: Session, user: User | None, code: str, data: ApprovalAtSource) -> None:
    """The province's choice (audited): which approvers at the source approve for loaxa; replaces the list."""
    source = session.exec(select(SourceSystem).where(SourceSystem.code == code)).first()
    if source is None or source.id is None:
        raise NotFound(f"no source {code[:64]!r}", message_vi="Không tìm thấy hệ thống nguồn.")
    if len({a.name for a in data.approvers}) != len(data.approvers):
        raise InvalidInput("approver names repeat", message_vi="Tên người duyệt bị trùng.")
    if data.enabled and not data.approvers:
        raise InvalidInput("no approver", message_vi="Cần ít nhất một người duyệt khi bật duyệt tại nguồn.")
    for approver in data.approvers:
        try:
            parse_public_key(approver.public_key)
        except ValueError as exc:
            raise InvalidInput(
                str(exc), message_vi=f"Khóa công khai của “{approver.name}” phải là 32 byte Ed25519 mã hóa base64."
            ) from exc
    for old in session.exec(select(SourceApprover).where(SourceApprover.source_id == source.id)):
        session.delete(old)
    session.flush()
    for approver in data.approvers:
        session.add(SourceApprover(source_id=source.id, name=approver.name, public_key_b64=approver.public_key))
    source.approval_at_source = data.enabled
    names = ", ".join(a.name for a in data.approvers) or "none"
    audit.record(
        session,
        user,
        "source.approval",
        f"source:{source.code}",
        f"{'enabled' if data.enabled else 'disabled'}; {names}",
    )


@router.put("/source-systems/{code}/approval")
def put_approval(code: str, data: ApprovalAtSource, session: SessionDep, user: CurrentUser) -> SourceSystemPublic:
    """Whether a named approver's signature at the source counts as approval, and whose (admins; audited)."""
    require_role(user, Role.ADMIN)
    set_approval_at_source(session, user, code, data)
    session.commit()
    return next(s for s in list_source_systems(session) if s.code == code)


class ReportKey(BaseModel):
    public_key: str = Field(description="loaxa's raw Ed25519 public key, base64: it signs every report.")
    key_id: str


@router.get("/source-link/key")
def report_key(user: CurrentUser, services: ServicesDep) -> ReportKey:
    """The key a source system checks loaxa's reports with (give it to the province's integrator)."""
    require_role(user, Role.ADMIN)
    signer = report_signer(services)
    return ReportKey(public_key=signer.public_key_b64, key_id=signer.key_id)


@router.get("/source-systems")
def list_sources(session: SessionDep, user: CurrentUser) -> list[SourceSystemPublic]:
    require_role(user, Role.ADMIN)
    return list_source_systems(session)


@router.get("/provinces/{province_code}/source-deliveries")
def list_deliveries(
    province_code: str,
    session: SessionDep,
    user: CurrentUser,
    outcome: Outcome | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[SourceDeliveryPublic]:
    """What the province's sources delivered, newest first; `outcome=refused` lists what was not taken, and why."""
    province = get_province(session, province_code)
    require_province(user, province)
    query = (
        select(SourceDelivery, SourceSystem)
        .where(SourceDelivery.source_id == SourceSystem.id, SourceSystem.province_id == province.id)
        .order_by(col(SourceDelivery.received_at).desc(), col(SourceDelivery.id).desc())
        .limit(limit)
    )
    if outcome is not None:
        query = query.where(SourceDelivery.outcome == outcome)
    return [
        SourceDeliveryPublic(
            id=row.id or 0,
            source_code=source.code,
            external_id=row.external_id,
            version=row.version,
            outcome="refused"
            if row.outcome == "refused"
            else "duplicate"
            if row.outcome == "duplicate"
            else "accepted",
            reason=row.reason,
            detail=row.detail,
            received_at=row.received_at,
        )
        for row, source in session.exec(query).all()
    ]


def _receive(services: Services, source_code: str | None, signature: str | None, body: bytes) -> ItemReceipt:
    with services.sessions() as session:
        source = authenticate_source(session, source_code, signature, body)
        # Freshness is judged by real time: `sent_at` is the source's real clock, whatever scheduling uses.
        max_age = timedelta(seconds=services.settings.source_link.max_age_s)
        result = receive(
            session, source, body, now=datetime.now(UTC), max_age=max_age, recordings=recording_loader(services)
        )
        audit_intake(session, source, result)
        try:
            session.commit()
        except IntegrityError as exc:  # the same nonce from two requests at once: one of them is a replay
            session.rollback()
            raise StaleDelivery(f"concurrent delivery with the same nonce from {source.code}") from exc
        after_intake(services, session, source, result)
        if result.refusal is not None:
            raise result.refusal
        assert result.receipt is not None
        return result.receipt


@router.post(
    "/source-link/items",
    status_code=201,
    responses={
        200: {"model": ItemReceipt, "description": "This version was received before; nothing changed."},
        **error_responses(401, 409, 422),
    },
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": SOURCE_MESSAGE_SCHEMA}}}
    },
)
async def receive_item(request: Request, response: Response, services: ServicesDep) -> ItemReceipt:
    """An item from a registered source system, signed (`X-Loaxa-Source`, `X-Loaxa-Signature`).

    201: it is stored as bulletins waiting for approval (or withdrawn); 200: a duplicate. A refused item
    answers 409 or 422 with the reason, and the province's staff see it among the source's deliveries.
    """
    body = await request.body()
    receipt = await asyncio.to_thread(
        _receive, services, request.headers.get(SOURCE_HEADER), request.headers.get(SIGNATURE_HEADER), body
    )
    if receipt.duplicate:
        response.status_code = 200
    return receipt
