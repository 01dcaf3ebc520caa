"""Results out: the bulletins that air, with their schedules, as the source system is told of them.

A *bulletin* report (kind `bulletin`, subject `bulletin:<id>`) carries the bulletin (title, field of law,
priority, owner, validity, the source's item it came from) with `status` `approved` (it may air) or
`withdrawn` (it lost its approval: withdrawn by the source, sent back for approval after an edit), and its
schedule: for each commune, the airings on the playlist published to its nodes (start, length, clusters;
`null` clusters: every cluster of the commune). Only what is still to air, or airing, is listed: the
published playlist reaches `playlist_horizon_h` ahead, so the schedule grows as the horizon moves.

It is written when the bulletin's approval changes and when a publication changes its airings
(`province_link.change_report`), in the same transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from audio_library import AudioAsset
from devices.protocol import Playlist, PlaylistItem
from devices.registry import Commune, Province
from province_link.item import SourceItemBulletin, SourceItemRecord
from province_link.outbox import report
from schedules.bulletin import Bulletin, BulletinStatus
from schedules.legal_field import LegalField
from schedules.publication import CommunePlaylist


def bulletin_audio(session: Session, bulletin: Bulletin) -> set[str]:
    """The hashes its audio airs under: the asset and its MP3 rendition."""
    if bulletin.audio_sha256 is None:
        return set()
    mp3 = session.exec(select(AudioAsset.mp3_sha256).where(AudioAsset.sha256 == bulletin.audio_sha256)).first()
    return {bulletin.audio_sha256} | ({mp3} if mp3 else set())


def upcoming(content: str | None, audio: set[str], now: datetime) -> list[PlaylistItem]:
    """The playlist's items of this audio that have not ended by `now`. Pure."""
    if not content or not audio:
        return []
    try:
        playlist = Playlist.model_validate_json(content)
    except ValidationError:
        return []
    return [
        item
        for item in playlist.items
        if item.asset_sha256 in audio and item.starts_at + timedelta(milliseconds=item.duration_ms) > now
    ]


def airing(item: PlaylistItem) -> dict[str, Any]:
    return {
        "item_id": item.item_id,
        "starts_at": item.starts_at.isoformat(),
        "duration_ms": item.duration_ms,
        "priority": item.priority,
        "clusters": list(item.clusters) if item.clusters is not None else None,
    }


def bulletin_communes(session: Session, bulletin: Bulletin) -> list[Commune]:
    """The communes it may air in: its own, or every commune of its province."""
    if bulletin.commune_id is not None:
        commune = session.get(Commune, bulletin.commune_id)
        return [commune] if commune is not None else []
    return list(
        session.exec(select(Commune).where(Commune.province_id == bulletin.province_id).order_by(col(Commune.code)))
    )


def bulletin_payload(session: Session, bulletin: Bulletin, *, now: datetime) -> tuple[int, dict[str, Any]] | None:
    """(province id, what a source is told about the bulletin), None if it belongs to no known place."""
    communes = bulletin_communes(session, bulletin)
    province_id = bulletin.province_id if bulletin.province_id is not None else None
    if province_id is None and communes:
        province_id = communes[0].province_id
    if province_id is None:
        return None
    province = session.get(Province, province_id)
    approved = bulletin.status == BulletinStatus.APPROVED
    schedule = []
    if approved:
        audio = bulletin_audio(session, bulletin)
        for commune in communes:
            content = session.exec(
                select(CommunePlaylist.content).where(CommunePlaylist.commune_id == commune.id)
            ).first()
            items = upcoming(content, audio, now)
            if items:
                schedule.append({"commune": commune.code, "airings": [airing(item) for item in items]})
    field = session.get(LegalField, bulletin.legal_field)
    item = session.exec(
        select(SourceItemRecord)
        .join(SourceItemBulletin, col(SourceItemBulletin.source_item_id) == col(SourceItemRecord.id))
        .where(SourceItemBulletin.bulletin_id == bulletin.id)
    ).first()
    return province_id, {
        "bulletin_id": bulletin.id,
        "title": bulletin.title,
        "legal_field": {"code": bulletin.legal_field, "name": field.name if field is not None else ""},
        "topic": bulletin.topic,
        "priority": bulletin.priority,
        "language": bulletin.language,
        "province": province.code if province is not None else None,
        "commune": communes[0].code if bulletin.commune_id is not None and communes else None,
        "source_item": {"id": item.external_id, "version": item.version} if item is not None else None,
        "status": "approved" if approved else "withdrawn",
        "reason": "" if approved else bulletin.rejection_reason,
        "approved_at": bulletin.reviewed_at.isoformat() if approved and bulletin.reviewed_at else None,
        "approved_at_source_by": bulletin.approved_at_source_by,
        "valid_from": bulletin.valid_from.isoformat() if bulletin.valid_from else None,
        "valid_until": bulletin.valid_until.isoformat() if bulletin.valid_until else None,
        "schedule": schedule,
    }


def report_bulletin(session: Session, bulletin: Bulletin, *, now: datetime) -> int:
    built = bulletin_payload(session, bulletin, now=now)
    if built is None:
        return 0
    province_id, payload = built
    return report(session, province_id, "bulletin", f"bulletin:{bulletin.id}", payload, now=now)


def changed_audio(old: str | None, new: str | None, now: datetime) -> set[str]:
    """The audio whose upcoming airings differ between two versions of a playlist. Pure."""

    def plan(content: str | None) -> dict[str, set[tuple[str, datetime, tuple[str, ...] | None]]]:
        if not content:
            return {}
        try:
            playlist = Playlist.model_validate_json(content)
        except ValidationError:
            return {}
        plans: dict[str, set[tuple[str, datetime, tuple[str, ...] | None]]] = {}
        for item in playlist.items:
            if item.starts_at + timedelta(milliseconds=item.duration_ms) > now:
                plans.setdefault(item.asset_sha256, set()).add((item.item_id, item.starts_at, item.clusters))
        return plans

    before, after = plan(old), plan(new)
    return {sha for sha in before.keys() | after.keys() if before.get(sha) != after.get(sha)}


def bulletins_airing(session: Session, commune: Commune, audio: set[str]) -> list[Bulletin]:
    """The bulletins of the commune (or its province) whose audio, or its MP3 rendition, is in `audio`."""
    if not audio:
        return []
    primary = set(session.exec(select(AudioAsset.sha256).where(col(AudioAsset.mp3_sha256).in_(audio))).all())
    candidates = session.exec(select(Bulletin).where(col(Bulletin.audio_sha256).in_(audio | primary)))
    return [
        b
        for b in candidates
        if b.commune_id == commune.id or (b.province_id is not None and b.province_id == commune.province_id)
    ]
