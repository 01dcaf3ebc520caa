"""Source systems registered with loaxa: who may send content, with which key, for which province."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlmodel import Field, Session, SQLModel, UniqueConstraint, select

from audio_library.timestamps import UtcDateTime, utc_now
from province_link.errors import SourceNotAuthenticated

SIGNATURE_HEADER = "X-Loaxa-Signature"
SOURCE_HEADER = "X-Loaxa-Source"


class SourceSystem(SQLModel, table=True):
    """A province's source information system (or another sender the province trusts).

    Its bulletins are written in loaxa by `author_id`, a service account that cannot log in. Only the
    public half of its Ed25519 key is kept: loaxa can check its signatures but never make one.
    """

    __tablename__ = "source_system"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=64)
    name: str = Field(max_length=200)
    province_id: int = Field(foreign_key="province.id")
    public_key_b64: str = Field(max_length=64, description="Raw Ed25519 public key, base64.")
    author_id: int = Field(foreign_key="app_user.id")
    active: bool = True
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    # Pull mode, for a source that only publishes: loaxa reads `feed_url` (`province_link.feed`).
    feed_url: str | None = Field(default=None, max_length=500)
    feed_cursor: int = Field(default=0, description="The sequence of the last feed message taken.")
    feed_checked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    feed_error: str = Field(default="", max_length=500, description="Why the last read failed; empty when it worked.")
    # Results out: where loaxa posts what aired in the province (`province_link.outbox`); None: nothing sent.
    report_url: str | None = Field(default=None, max_length=500)
    # When the last periodic snapshot of the province's stations and clusters was written for this source
    # (`province_link.fleet_report`); None: never, so the next housekeeping pass writes one.
    snapshot_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # The province chose (audited) that a named approver's signature at this source counts as approval.
    approval_at_source: bool = False


class SourceApprover(SQLModel, table=True):
    """A person at the source system whose signature approves an item, when the province accepts that."""

    __tablename__ = "source_approver"
    __table_args__ = (UniqueConstraint("source_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source_system.id", index=True)
    name: str = Field(max_length=200, description="As the item names them, e.g. Nguyễn Văn An - Phó Giám đốc Sở.")
    public_key_b64: str = Field(max_length=64, description="Their raw Ed25519 public key, base64.")
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class SourceNonce(SQLModel, table=True):
    """Nonces of accepted messages, kept while a replay could still pass the freshness check."""

    __tablename__ = "source_nonce"
    __table_args__ = (UniqueConstraint("source_id", "nonce"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source_system.id", index=True)
    nonce: str = Field(max_length=64)
    seen_at: datetime = Field(sa_type=UtcDateTime, index=True)


def parse_public_key(public_key_b64: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(public_key_b64, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the public key must be 32 raw Ed25519 bytes in base64") from exc


def authenticate_source(session: Session, code: str | None, signature_b64: str | None, body: bytes) -> SourceSystem:
    """The active source named `code` whose key signed exactly `body`; SourceNotAuthenticated otherwise."""
    if not code or not signature_b64:
        raise SourceNotAuthenticated(f"{SOURCE_HEADER} and {SIGNATURE_HEADER} are required")
    source = session.exec(select(SourceSystem).where(SourceSystem.code == code[:64])).first()
    if source is None or not source.active:
        raise SourceNotAuthenticated(f"unknown or inactive source {code[:64]!r}")
    verify_signature(source, signature_b64, body)
    return source


def verify_signature(source: SourceSystem, signature_b64: str, body: bytes) -> None:
    """Raise SourceNotAuthenticated unless the source's key signed exactly `body`."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        parse_public_key(source.public_key_b64).verify(signature, body)
    except (binascii.Error, ValueError, InvalidSignature) as exc:
        raise SourceNotAuthenticated(f"bad signature from {source.code}") from exc
