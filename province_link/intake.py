"""Taking in the source system's items: each becomes bulletins waiting for loaxa's approval.

The rules (`docs/source-link.md`):
- a message must be fresh (sent within `max_age` of now, either way) and its nonce unseen: a replay is refused;
- an item targets its source's own province: all of it (one province bulletin, approved by the province's
  staff) or communes of it (one bulletin each, approved in each commune);
- a new item enters as pending bulletins, in the approvers' queue like any other;
- the same version delivered twice is stored once (a duplicate changes nothing); the same version with
  other content, or a version older than the newest received, is refused;
- a newer version updates its bulletins and sends an approved one back for approval; a commune no longer
  targeted has its bulletin withdrawn;
- `withdraw` takes every bulletin of the item off the air (rejected, with the reason).
Every authenticated delivery is recorded (`SourceDelivery`); a refused one with a Vietnamese reason for
the province's staff and a technical one for the integrator, and nothing else of it is stored: all checks
run before the first write.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature
from pydantic import ValidationError
from sqlmodel import Session, col, delete, select

from devices.registry import Commune, Province
from province_link.errors import ItemRefused, StaleDelivery, VersionConflict
from province_link.item import SourceDelivery, SourceItemBulletin, SourceItemRecord
from province_link.recording import RecordingLoader
from province_link.source import SourceApprover, SourceNonce, SourceSystem, parse_public_key
from province_link.wire import PRIORITIES, ItemReceipt, SourceItem, SourceMessage, approval_text
from schedules.bulletin import AudioSource, Bulletin, BulletinStatus, revise, submit, withdraw
from schedules.legal_field import legal_fields, match_legal_field

BODY_KEPT_BYTES = 64 * 1024

Owner = tuple[int | None, int | None]  # (commune_id, province_id) of a bulletin


@dataclass(frozen=True)
class Signed:
    """What an approver at the source approved of one bulletin: its item's version, words and recording."""

    version: int
    title: str
    body: str
    recording: str | None  # the recording's audio hash; None: loaxa's speech of the words

    @classmethod
    def of(cls, bulletin: Bulletin, version: int) -> Signed:
        return cls(version, bulletin.title, bulletin.body, _recording_of(bulletin))


def _recording_of(bulletin: Bulletin) -> str | None:
    return bulletin.audio_sha256 if bulletin.audio_source == AudioSource.RECORDING else None


@dataclass(frozen=True)
class IntakeResult:
    """What a delivery did: a receipt, or the refusal to answer with; and bulletins that lost their approval
    (their communes' playlists must be published again)."""

    receipt: ItemReceipt | None = None
    refusal: ItemRefused | None = None
    off_air: list[Bulletin] = field(default_factory=list)
    created: list[Bulletin] = field(default_factory=list)
    # Approved at the source by this named approver (signature checked, and the province accepts it):
    # the caller renders the speech of `to_approve` and approves them (`schedules.bulletin.approve_at_source`).
    approved_by: str | None = None
    to_approve: list[Bulletin] = field(default_factory=list)
    # What the approver signed, per bulletin id. The caller approves a bulletin only if it still holds
    # exactly that when its speech is ready (`still_as_signed`).
    signed: dict[int, Signed] = field(default_factory=dict)


def receive(
    session: Session,
    source: SourceSystem,
    body: bytes,
    *,
    now: datetime,
    max_age: timedelta | None,
    recordings: RecordingLoader | None = None,
) -> IntakeResult:
    """Take one authenticated message (its exact bytes). Flushes; the caller commits, whatever the outcome.

    `max_age` None: a message pulled from the source's feed, which keeps old messages by design; it is
    not judged by age or nonce (a replay of it can do nothing: the same version is a duplicate and an
    older one is refused).
    `recordings` stores an item's recording (fetched only for a new version, after every other check; it
    refuses before it writes anything); without it an item with a recording is refused.
    """
    assert source.id is not None
    # One delivery of a source at a time (on PostgreSQL): two versions of an item racing in must not both
    # read the old version and both apply.
    session.exec(select(SourceSystem.id).where(SourceSystem.id == source.id).with_for_update()).first()
    message: SourceMessage | None = None
    try:
        try:
            message = SourceMessage.model_validate_json(body)
        except ValidationError as exc:
            raise _malformed(exc) from exc
        _check_source(source, message)
        if max_age is not None:
            _check_fresh(session, source, message, now=now, max_age=max_age)
        owners = _owners(session, source, message.item)
        approver = _approver(session, source, message)
        result = _apply(session, source, message.item, owners, now=now, recordings=recordings)
        if approver is not None and result.receipt is not None and not result.receipt.duplicate:
            pending = [
                b
                for b in _bulletins_of(session, _record_of(session, source, message.item))
                if b.status == BulletinStatus.PENDING and b.id is not None
            ]
            version = message.item.version
            result = replace(
                result,
                approved_by=approver,
                to_approve=pending,
                signed={b.id: Signed.of(b, version) for b in pending if b.id is not None},
            )
    except ItemRefused as refusal:
        _record(session, source, message, body, "refused", now, refusal)
        return IntakeResult(refusal=refusal)
    assert result.receipt is not None
    _record(session, source, message, body, "duplicate" if result.receipt.duplicate else "accepted", now, None)
    return result


def record_refused(session: Session, source: SourceSystem, body: bytes, refusal: ItemRefused, *, now: datetime) -> None:
    """Keep a message refused before it could be read (a feed message whose signature fails)."""
    _record(session, source, None, body, "refused", now, refusal)


def _approver(session: Session, source: SourceSystem, message: SourceMessage) -> str | None:
    """The named approver whose signature approves this item, if the province accepts approval at this source.

    Without that choice an approval is ignored (the item waits like any other); with it, a signature that
    is not the named approver's refuses the item: approval must never be taken on a forged signature.
    """
    approval = message.item.approval
    if approval is None or not source.approval_at_source or message.item.action != "publish":
        return None
    approver = session.exec(
        select(SourceApprover).where(SourceApprover.source_id == source.id, SourceApprover.name == approval.approver)
    ).first()
    try:
        if approver is None:
            raise ValueError("unknown approver")
        signature = base64.b64decode(approval.signature, validate=True)
        parse_public_key(approver.public_key_b64).verify(signature, approval_text(source.code, message.item))
    except (ValueError, binascii.Error, InvalidSignature) as exc:
        raise ItemRefused(
            f"approval by {approval.approver[:200]!r} does not verify: {exc}",
            message_vi=f"Chữ ký duyệt của “{approval.approver[:200]}” không hợp lệ hoặc người duyệt chưa được đăng ký.",
        ) from exc
    return approver.name


def still_as_signed(session: Session, bulletin_id: int, signed: Signed) -> Bulletin | None:
    """The bulletin, locked, if it is still pending with the signed text and its item still at the signed
    version; None if anything changed since (a newer version, an officer's edit): no approval then."""
    bulletin = session.get(Bulletin, bulletin_id, with_for_update=True, populate_existing=True)
    if bulletin is None or bulletin.status != BulletinStatus.PENDING or Signed.of(bulletin, signed.version) != signed:
        return None
    record = session.exec(
        select(SourceItemRecord)
        .join(SourceItemBulletin, col(SourceItemBulletin.source_item_id) == col(SourceItemRecord.id))
        .where(SourceItemBulletin.bulletin_id == bulletin_id)
    ).first()
    return bulletin if record is not None and record.version == signed.version else None


def _record_of(session: Session, source: SourceSystem, item: SourceItem) -> SourceItemRecord:
    record = session.exec(
        select(SourceItemRecord).where(SourceItemRecord.source_id == source.id, SourceItemRecord.external_id == item.id)
    ).one()
    return record


def _malformed(exc: ValidationError) -> ItemRefused:
    problems = [f"{'.'.join(str(p) for p in error['loc']) or 'body'}: {error['msg']}" for error in exc.errors()[:10]]
    fields = sorted({str(error["loc"][-1]) for error in exc.errors() if error["loc"]})[:5]
    where = f" (trường: {', '.join(fields)})" if fields else ""
    return ItemRefused("; ".join(problems)[:2000], message_vi=f"Bản tin từ nguồn không đúng định dạng{where}.")


def _check_source(source: SourceSystem, message: SourceMessage) -> None:
    if message.source != source.code:
        raise ItemRefused(
            f"message names source {message.source!r} but was signed by {source.code!r}",
            message_vi="Mã nguồn trong bản tin không khớp với nguồn đã ký.",
        )


def _check_fresh(
    session: Session, source: SourceSystem, message: SourceMessage, *, now: datetime, max_age: timedelta
) -> None:
    if abs(now - message.sent_at) > max_age:
        raise StaleDelivery(
            f"sent_at {message.sent_at.isoformat()} is more than {max_age.total_seconds():.0f} s from now",
            message_vi="Bản tin gửi quá cũ hoặc đồng hồ của hệ thống nguồn bị lệch; hãy gửi lại với thời điểm mới.",
        )
    # Nonces older than any message still fresh enough to pass are of no more use.
    session.exec(delete(SourceNonce).where(col(SourceNonce.seen_at) < now - 2 * max_age))
    seen = session.exec(
        select(SourceNonce.id).where(SourceNonce.source_id == source.id, SourceNonce.nonce == message.nonce)
    ).first()
    if seen is not None:
        raise StaleDelivery(f"nonce {message.nonce} already used", message_vi="Bản tin này đã được nhận (gửi lặp lại).")
    assert source.id is not None
    session.add(SourceNonce(source_id=source.id, nonce=message.nonce, seen_at=now))


def _owners(session: Session, source: SourceSystem, item: SourceItem) -> list[Owner]:
    """The bulletins' owners the item asks for; refused when it reaches outside its source's province."""
    if item.action == "withdraw" or item.target is None:
        return []
    province = session.get(Province, source.province_id)
    assert province is not None
    if item.target.province is not None:
        if item.target.province != province.code:
            raise ItemRefused(
                f"source {source.code} serves province {province.code}, not {item.target.province}",
                message_vi=f"Nguồn {source.code} chỉ gửi được bản tin cho {province.name}.",
            )
        return [(None, province.id)]
    codes = list(dict.fromkeys(item.target.communes or []))
    found = {c.code: c for c in session.exec(select(Commune).where(col(Commune.code).in_(codes)))}
    for code in codes:
        commune = found.get(code)
        if commune is None or commune.province_id != province.id:
            raise ItemRefused(
                f"no commune {code} in province {province.code}",
                message_vi=f"Không có xã {code} trong {province.name}: bản tin không được nhận.",
            )
    return [(found[code].id, None) for code in codes]


def _digest(item: SourceItem) -> str:
    return hashlib.sha256(item.model_dump_json().encode()).hexdigest()


def _apply(
    session: Session,
    source: SourceSystem,
    item: SourceItem,
    owners: list[Owner],
    *,
    now: datetime,
    recordings: RecordingLoader | None,
) -> IntakeResult:
    assert source.id is not None
    record = session.exec(
        select(SourceItemRecord).where(SourceItemRecord.source_id == source.id, SourceItemRecord.external_id == item.id)
    ).first()
    digest = _digest(item)
    linked = _bulletins_of(session, record) if record is not None else []
    if record is not None and item.version == record.version:
        if digest != record.digest:
            raise VersionConflict(f"version {item.version} of {item.id} was received with other content")
        return IntakeResult(receipt=_receipt(record, linked, duplicate=True))
    if record is not None and item.version < record.version:
        raise VersionConflict(
            f"version {item.version} of {item.id} is older than {record.version}",
            message_vi=f"Đã nhận phiên bản {record.version} của bản tin này; phiên bản {item.version} cũ hơn.",
        )
    if record is None and item.action == "withdraw":
        raise ItemRefused(f"withdrawal of unknown item {item.id}", message_vi="Không có bản tin này để thu hồi.")
    recording = _recording(session, item, recordings)
    # How it is reported, found from the source's own wording: not part of what an approval covers.
    field = match_legal_field(legal_fields(session, active_only=True), item.legal_field)
    if record is None:
        record = SourceItemRecord(
            source_id=source.id,
            external_id=item.id,
            version=item.version,
            status="pending",
            title=item.title[:300],
            digest=digest,
            received_at=now,
            updated_at=now,
        )
        session.add(record)
        session.flush()
    off_air: list[Bulletin] = []
    created: list[Bulletin] = []
    by_owner = {(b.commune_id, b.province_id): b for b in linked}
    reason = f"Hệ thống thông tin nguồn đã thu hồi bản tin {item.id} (phiên bản {item.version})."
    for owner, gone in by_owner.items():
        if owner not in owners and withdraw(gone, reason):
            off_air.append(gone)
    for owner in owners:
        existing = by_owner.get(owner)
        if existing is None:
            fresh = _new_bulletin(source, item, owner, recording)
            fresh.legal_field = field
            session.add(fresh)
            session.flush()
            assert fresh.id is not None and record.id is not None
            session.add(SourceItemBulletin(source_item_id=record.id, bulletin_id=fresh.id))
            created.append(fresh)
            linked.append(fresh)
            continue
        bulletin = existing
        wanted = {**_content(item), **_audio(bulletin, recording)}
        bulletin.legal_field = field
        changes = {k: v for k, v in wanted.items() if getattr(bulletin, k) != v}
        if changes and revise(bulletin, changes):  # a version that changes only where it airs keeps approvals
            off_air.append(bulletin)
        if bulletin.status in (BulletinStatus.DRAFT, BulletinStatus.REJECTED):
            submit(bulletin)
            bulletin.rejection_reason = ""
    record.version, record.digest, record.updated_at = item.version, digest, now
    record.status = "withdrawn" if item.action == "withdraw" else "pending"
    if item.action == "publish":
        record.title = item.title[:300]
    session.flush()
    return IntakeResult(receipt=_receipt(record, linked, duplicate=False), off_air=off_air, created=created)


def _recording(session: Session, item: SourceItem, recordings: RecordingLoader | None) -> str | None:
    """The stored recording's audio hash for a published item that carries one."""
    if item.action != "publish" or item.audio is None:
        return None
    if recordings is None:
        raise ItemRefused(
            "this intake takes no recordings", message_vi="Kênh nhận này không nhận tệp ghi âm kèm bản tin."
        )
    return recordings(session, item.audio)


def _audio(bulletin: Bulletin | None, recording: str | None) -> dict[str, object]:
    """The audio fields a version asks for: its recording, or back to speech if an earlier one had one."""
    if recording is not None:
        return {"audio_source": AudioSource.RECORDING, "audio_sha256": recording}
    if bulletin is not None and bulletin.audio_source == AudioSource.RECORDING:
        return {"audio_source": AudioSource.SPEECH, "audio_sha256": None}
    return {}


def _content(item: SourceItem) -> dict[str, object]:
    return {
        "title": item.title.strip(),
        "body": item.text.strip(),
        "topic": item.legal_field.strip(),
        "priority": PRIORITIES[item.priority],
        "language": item.language,
        "valid_from": item.valid_from,
        "valid_until": item.valid_until,
    }


def _new_bulletin(source: SourceSystem, item: SourceItem, owner: Owner, recording: str | None) -> Bulletin:
    commune_id, province_id = owner
    return Bulletin.model_validate(
        {**_content(item), "commune_id": commune_id, "province_id": province_id},
        update={
            "author_id": source.author_id,
            "status": BulletinStatus.PENDING,
            "commune_id": commune_id,
            "province_id": province_id,
            **_audio(None, recording),
        },
    )


def _bulletins_of(session: Session, record: SourceItemRecord) -> list[Bulletin]:
    return list(
        session.exec(
            select(Bulletin)
            .join(SourceItemBulletin, col(SourceItemBulletin.bulletin_id) == col(Bulletin.id))
            .where(SourceItemBulletin.source_item_id == record.id)
            .order_by(col(Bulletin.id))
        )
    )


def _receipt(record: SourceItemRecord, bulletins: list[Bulletin], *, duplicate: bool) -> ItemReceipt:
    return ItemReceipt(
        item_id=record.external_id,
        version=record.version,
        status="withdrawn" if record.status == "withdrawn" else "pending",
        duplicate=duplicate,
        bulletin_ids=sorted(b.id for b in bulletins if b.id is not None),
    )


def _record(
    session: Session,
    source: SourceSystem,
    message: SourceMessage | None,
    body: bytes,
    outcome: str,
    now: datetime,
    refusal: ItemRefused | None,
) -> None:
    assert source.id is not None
    session.add(
        SourceDelivery(
            source_id=source.id,
            external_id=message.item.id if message else "",
            version=message.item.version if message else None,
            outcome=outcome,
            reason=(refusal.message_vi if refusal else "")[:1000],
            detail=(refusal.detail if refusal else "")[:2000],
            body=body[:BODY_KEPT_BYTES].decode("utf-8", "replace"),
            received_at=now,
        )
    )
    session.flush()
