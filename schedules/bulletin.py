"""Legal bulletins and their approval workflow.

draft -> pending (submitted) -> approved | rejected; a rejected bulletin can be submitted again.
Only an approved bulletin with its audio rendered can be scheduled, and only a user other than its
author may approve it. The audio is speech rendered from the text at approval, or a recording uploaded
while the bulletin was a draft. Editing an approved bulletin sends it back for approval.
A bulletin belongs to a commune, or to a province: a province's bulletin is approved once by the
province and may then air in every commune of it (`airs_in`).
Role checks (who is an approver, whose scope) belong to the caller; the rules about the bulletin itself
live here.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import model_validator
from sqlalchemy import JSON, Column, String, Text
from sqlmodel import Field, SQLModel

from audio_library.timestamps import UtcDateTime, utc_now
from devices.protocol import Priority
from schedules.errors import InvalidTransition, SelfApproval


class BulletinStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class AudioSource(StrEnum):
    SPEECH = "speech"  # synthesised from the text at approval
    RECORDING = "recording"  # an uploaded recording, approved as it is


class BulletinBase(SQLModel):
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=20_000, sa_type=Text)
    topic: str = Field(default="", max_length=100)
    priority: str = Field(default="normal", max_length=16, description="normal, priority or emergency (TT39)")
    dialect: str = Field(default="north", max_length=8, description="north or south reading")
    language: str = Field(default="vi", max_length=8, description="vi (Vietnamese) or km (Khmer)")
    valid_from: datetime | None = Field(default=None, sa_type=UtcDateTime)
    valid_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # "Công khai": once approved and scheduled, villagers may listen again on the public site and in the
    # podcast feeds. On for a normal bulletin; an internal notice (for the commune's staff) is written with
    # it off. It decides who may listen again, not what airs, so changing it keeps the approval.
    public: bool = Field(default=True, description="Công khai: on /nghe-lai/ and in the podcast feeds once it airs.")


def new_public_id() -> str:
    """The id a bulletin has on the public site: random, so it tells nothing of how many bulletins exist,
    of which commune wrote them, or of the ids the console and API use; fixed for life (podcast GUIDs)."""
    return secrets.token_hex(8)


class Bulletin(BulletinBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # A bulletin belongs to one commune, or (written and approved at the province) to a whole province.
    commune_id: int | None = Field(default=None, foreign_key="commune.id", index=True)
    province_id: int | None = Field(default=None, foreign_key="province.id", index=True)
    legal_refs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: BulletinStatus = Field(default=BulletinStatus.DRAFT, sa_type=String(16), index=True)
    author_id: int = Field(foreign_key="app_user.id")
    reviewer_id: int | None = Field(default=None, foreign_key="app_user.id")
    reviewed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    rejection_reason: str = Field(default="", max_length=1000)
    # Indexed: which bulletin a sound belongs to is asked on every publication and proof of play.
    audio_sha256: str | None = Field(default=None, foreign_key="audio_asset.sha256", max_length=64, index=True)
    audio_source: str = Field(default=AudioSource.SPEECH, max_length=16, description="speech or recording")
    spoken_text: str = Field(default="", sa_type=Text, description="What the engine read, after normalisation.")
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    # Approved at the province's source system by this named approver, whose signature the province chose
    # to accept as approval (`province_link`); None when approved in loaxa (reviewer_id) or not approved.
    approved_at_source_by: str | None = Field(default=None, max_length=200)
    # The field of law it is reported under (`schedules.legal_field`); indexed: reports group by it.
    legal_field: str = Field(default="khac", foreign_key="legal_field.code", max_length=48, index=True)
    # Nullable in the table so that rows written without loaxa's models still insert; such a row is never
    # listed publicly until it has one.
    public_id: str | None = Field(default_factory=new_public_id, max_length=16, unique=True, index=True)


class BulletinCreate(BulletinBase):
    """A new bulletin for one commune (`commune_code`) or for every commune of a province (`province_code`)."""

    commune_code: str | None = None
    province_code: str | None = None
    priority: Priority = "normal"
    dialect: Literal["north", "south"] = "north"
    language: Literal["vi", "km"] = "vi"
    legal_refs: list[str] = Field(default_factory=list, max_length=20)
    legal_field: str | None = Field(
        default=None,
        max_length=48,
        description="A code of GET /legal-fields; None: found from `topic`, else 'khac' (Khác).",
    )

    @model_validator(mode="after")
    def _one_owner(self) -> BulletinCreate:
        if bool(self.commune_code) == bool(self.province_code):
            raise ValueError("give exactly one of commune_code (a commune's bulletin) or province_code (a province's)")
        return self


class BulletinPublic(BulletinBase):
    id: int
    commune_id: int | None
    province_id: int | None
    legal_refs: list[str]
    status: BulletinStatus
    author_id: int
    reviewer_id: int | None
    reviewed_at: datetime | None
    rejection_reason: str
    audio_sha256: str | None
    audio_source: str
    spoken_text: str
    created_at: datetime
    updated_at: datetime
    approved_at_source_by: str | None = None
    legal_field: str = Field(description="The field of law it is reported under (GET /legal-fields).")
    public_id: str | None = Field(default=None, description="Its id on the public site: /nghe-lai/ban-tin/{id}.")


def airs_in(bulletin: Bulletin, commune_id: int, province_id: int) -> bool:
    """Whether the bulletin was approved for this commune: its own, or any commune of its province."""
    if bulletin.province_id is not None:
        return bulletin.province_id == province_id
    return bulletin.commune_id == commune_id


def submit(bulletin: Bulletin) -> None:
    if bulletin.status not in (BulletinStatus.DRAFT, BulletinStatus.REJECTED):
        raise InvalidTransition(f"bulletin {bulletin.id} is {bulletin.status}, cannot submit")
    bulletin.status = BulletinStatus.PENDING
    bulletin.updated_at = utc_now()


def check_audio_editable(bulletin: Bulletin) -> None:
    """The audio may change only while the bulletin is being written (draft, or rejected and reworked)."""
    if bulletin.status not in (BulletinStatus.DRAFT, BulletinStatus.REJECTED):
        raise InvalidTransition(f"bulletin {bulletin.id} is {bulletin.status}, its audio cannot change")


def attach_recording(bulletin: Bulletin, audio_sha256: str) -> None:
    """Air an uploaded recording instead of synthesised speech."""
    check_audio_editable(bulletin)
    bulletin.audio_source = AudioSource.RECORDING
    bulletin.audio_sha256 = audio_sha256
    bulletin.spoken_text = ""
    bulletin.updated_at = utc_now()


def detach_recording(bulletin: Bulletin) -> None:
    """Go back to synthesised speech."""
    check_audio_editable(bulletin)
    bulletin.audio_source = AudioSource.SPEECH
    bulletin.audio_sha256 = None
    bulletin.updated_at = utc_now()


def approve(bulletin: Bulletin, reviewer_id: int, audio_sha256: str) -> None:
    """Approve with the audio that was rendered from exactly this text."""
    _check_review(bulletin, reviewer_id)
    bulletin.status = BulletinStatus.APPROVED
    bulletin.reviewer_id = reviewer_id
    bulletin.reviewed_at = utc_now()
    bulletin.rejection_reason = ""
    bulletin.approved_at_source_by = None
    bulletin.audio_sha256 = audio_sha256
    bulletin.updated_at = bulletin.reviewed_at


def approve_at_source(bulletin: Bulletin, approver: str, audio_sha256: str) -> None:
    """Approved by a named approver at the province's source system (their signature checked by the caller)."""
    if bulletin.status != BulletinStatus.PENDING:
        raise InvalidTransition(f"bulletin {bulletin.id} is {bulletin.status}, cannot approve")
    bulletin.status = BulletinStatus.APPROVED
    bulletin.reviewer_id = None
    bulletin.reviewed_at = utc_now()
    bulletin.approved_at_source_by = approver[:200]
    bulletin.audio_sha256 = audio_sha256
    bulletin.updated_at = bulletin.reviewed_at


def reject(bulletin: Bulletin, reviewer_id: int, reason: str) -> None:
    _check_review(bulletin, reviewer_id)
    bulletin.status = BulletinStatus.REJECTED
    bulletin.reviewer_id = reviewer_id
    bulletin.reviewed_at = utc_now()
    bulletin.rejection_reason = reason
    bulletin.updated_at = bulletin.reviewed_at


def check_reviewable(bulletin: Bulletin, reviewer_id: int) -> None:
    """Raise unless `reviewer_id` may approve or reject this bulletin now (check before rendering audio)."""
    _check_review(bulletin, reviewer_id)


def _check_review(bulletin: Bulletin, reviewer_id: int) -> None:
    if bulletin.status != BulletinStatus.PENDING:
        raise InvalidTransition(f"bulletin {bulletin.id} is {bulletin.status}, not pending review")
    if bulletin.author_id == reviewer_id:
        raise SelfApproval(f"user {reviewer_id} wrote bulletin {bulletin.id}")


class BulletinUpdate(SQLModel):
    """A change to a bulletin's text or details; fields left out stay as they are."""

    title: str | None = Field(default=None, min_length=1, max_length=300)
    body: str | None = Field(default=None, min_length=1, max_length=20_000)
    topic: str | None = Field(default=None, max_length=100)
    priority: Priority | None = None
    dialect: Literal["north", "south"] | None = None
    language: Literal["vi", "km"] | None = None
    legal_refs: list[str] | None = Field(default=None, max_length=20)
    legal_field: str | None = Field(default=None, max_length=48, description="A code of GET /legal-fields.")
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    public: bool | None = Field(default=None, description="Công khai on the public site; keeps the approval.")

    @model_validator(mode="after")
    def _no_null_for_required_fields(self) -> BulletinUpdate:
        """`null` may clear the validity window, but never a field every bulletin must have."""
        cleared = sorted(name for name in self.model_fields_set & _REQUIRED_FIELDS if getattr(self, name) is None)
        if cleared:
            raise ValueError(f"these fields cannot be empty: {', '.join(cleared)}")
        return self


_REQUIRED_FIELDS = frozenset(
    {"title", "body", "topic", "priority", "dialect", "language", "legal_refs", "legal_field", "public"}
)

# Changes to how a bulletin is filed and shown, not to what is heard: the approval stands.
KEEPS_APPROVAL = frozenset({"legal_field", "public"})


def revise(bulletin: Bulletin, changes: dict[str, object]) -> bool:
    """Apply changes to the text or details. Returns True when this took an approval away.

    An approved bulletin goes back for approval (pending): it no longer airs until approved again, and
    speech rendered from the old text is dropped (an uploaded recording stays its audio).
    """
    for name, value in changes.items():
        setattr(bulletin, name, value)
    bulletin.updated_at = utc_now()
    if bulletin.status != BulletinStatus.APPROVED:
        return False
    bulletin.status = BulletinStatus.PENDING
    bulletin.reviewer_id = None
    bulletin.reviewed_at = None
    bulletin.approved_at_source_by = None
    bulletin.spoken_text = ""
    if bulletin.audio_source != AudioSource.RECORDING:
        bulletin.audio_sha256 = None
    return True


def withdraw(bulletin: Bulletin, reason: str) -> bool:
    """Taken back by whoever sent it (the province's source system): it leaves every playlist.

    The bulletin becomes rejected with `reason`; a later version may bring it back for approval.
    Returns True when this took an approval away.
    """
    was_approved = bulletin.status == BulletinStatus.APPROVED
    bulletin.status = BulletinStatus.REJECTED
    bulletin.rejection_reason = reason[:1000]
    bulletin.reviewer_id = None
    bulletin.reviewed_at = None
    bulletin.approved_at_source_by = None
    bulletin.spoken_text = ""
    if bulletin.audio_source != AudioSource.RECORDING:
        bulletin.audio_sha256 = None
    bulletin.updated_at = utc_now()
    return was_approved
