"""The source link's wire format, version 1 (`docs/source-link.md`): what the source system sends.

The Ministry's guidance for the source systems (Thông tư 39/2020/TT-BTTTT; guidelines 1273/BTTTT-TTCS,
2455/BTTTT-TTCS) names the three priorities and the kinds of data exchanged, but no fields, format or
authentication that we could obtain, so this is loaxa's own small, versioned JSON interface. One signed
message carries one item: the source's own id and version, what to do (publish or withdraw), and the
bulletin's content and targets.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

LINK_VERSION = 1

# TT39's three priorities, as the source names them, and loaxa's.
PRIORITIES: dict[str, str] = {"thong_thuong": "normal", "uu_tien": "priority", "khan_cap": "emergency"}


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("times must carry an offset, e.g. 2026-12-03T08:00:00+07:00")
    return moment


AwareTime = Annotated[datetime, AfterValidator(_aware)]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]


class Target(BaseModel):
    """Where the item airs: the whole province (`province`), or the communes listed, all of that province."""

    model_config = ConfigDict(extra="forbid")

    province: Code | None = None
    communes: list[Code] | None = Field(default=None, min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _one_of(self) -> Target:
        if (self.province is None) == (self.communes is None):
            raise ValueError("give exactly one of `province` or `communes`")
        return self


class Approval(BaseModel):
    """An approver's signature at the source over `approval_text(source, item)`."""

    model_config = ConfigDict(extra="forbid")

    approver: str = Field(min_length=1, max_length=200)
    signature: str = Field(min_length=1, max_length=200, description="Base64 Ed25519 signature.")


class ItemAudio(BaseModel):
    """A recording to air instead of loaxa's speech: fetched from `url`, accepted only if it is `bytes` long
    and hashes to `sha256` (the signed message names the exact file, wherever it is served from)."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s]{1,2000}$")]
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    bytes: int = Field(ge=1, le=2**40, description="The file's size; loaxa's limit is `audio.upload_max_bytes`.")


class SourceItem(BaseModel):
    """One bulletin as the source knows it. `version` grows with each change at the source."""

    model_config = ConfigDict(extra="forbid")

    id: Code
    version: int = Field(ge=1, le=2**31 - 1)
    action: Literal["publish", "withdraw"] = "publish"
    title: str = Field(default="", max_length=300)
    text: str = Field(default="", max_length=20_000)
    legal_field: str = Field(default="", max_length=100, description="Lĩnh vực pháp luật, e.g. giao thông.")
    language: Literal["vi", "km"] = "vi"
    priority: Literal["thong_thuong", "uu_tien", "khan_cap"] = "thong_thuong"
    target: Target | None = None
    valid_from: AwareTime | None = None
    valid_until: AwareTime | None = None
    approval: Approval | None = None
    audio: ItemAudio | None = Field(
        default=None, description="A recording aired as it is; `text` stays what villagers read along."
    )

    @model_validator(mode="after")
    def _content_to_publish(self) -> SourceItem:
        if self.action == "publish":
            if not self.title.strip() or not self.text.strip():
                raise ValueError("a published item needs a title and a text")
            if self.target is None:
                raise ValueError("a published item needs a target")
            if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
                raise ValueError("valid_until must be after valid_from")
        return self


class SourceMessage(BaseModel):
    """The signed envelope: who sends, when, a nonce against replays, and the item."""

    model_config = ConfigDict(extra="forbid")

    link_version: Literal[1]
    source: Code
    sent_at: AwareTime
    nonce: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{16,64}$")]
    item: SourceItem


class ItemReceipt(BaseModel):
    """loaxa's answer to a delivery: what became of the item, and the bulletins it is."""

    item_id: str
    version: int
    status: Literal["pending", "withdrawn"]
    duplicate: bool = Field(description="True when this version had been received before: nothing changed.")
    bulletin_ids: list[int]


APPROVAL_LABEL = "loaxa-approval/3"


def _utc(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else ""


def approval_fields(source: str, item: SourceItem) -> list[str]:
    """What an approver at the source approves: what is heard, where, when, in that order (docs/source-link.md).

    The last field is the recording's SHA-256 (empty without one): the approver approves that exact sound."""
    target = item.target
    where = ""
    if target is not None and target.province is not None:
        where = f"province:{target.province}"
    elif target is not None:
        where = "communes:" + ",".join(sorted(set(target.communes or [])))
    return [
        APPROVAL_LABEL,
        source,
        item.id,
        str(item.version),
        item.action,
        item.language,
        item.priority,
        where,
        _utc(item.valid_from),
        _utc(item.valid_until),
        item.title,
        item.text,
        item.audio.sha256 if item.audio is not None else "",
    ]


def approval_text(source: str, item: SourceItem) -> bytes:
    """The bytes an approver signs: each field as a netstring (`<UTF-8 length>:<value>,`), so that no field
    can run into the next whatever it contains."""
    return b"".join(
        f"{len(value.encode())}:".encode() + value.encode() + b"," for value in approval_fields(source, item)
    )
