"""The bulletin workflow as both the API and the console run it: write, submit, review, record, schedule.

Each step checks role and commune scope, changes the bulletin through `schedules`, writes the audit
log in the same transaction, and commits. The API routes and the console pages are thin around these.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import anyio.from_thread
from sqlmodel import Session, col, select

from audio_library import AudioAsset, BroadcastAudio, produce_broadcast, save_broadcast
from audio_library.timestamps import utc_now
from controller import audit
from controller.accounts import Role, User
from controller.bulletin_scope import check_airs_in, owner_for, require_bulletin
from controller.deps import require_commune, require_role
from controller.services import Services
from controller.speech import reading_issues, speech_request
from controller.translations.speech import approve_versions, speak_versions
from controller.uploads import RECORDING_FORMATS
from devices.registry import Commune, get_commune
from schedules import (
    AudioSource,
    Broadcast,
    BroadcastCreate,
    Bulletin,
    BulletinCreate,
    BulletinNotFound,
    BulletinStatus,
    BulletinUpdate,
    InvalidValidityWindow,
    approve,
    attach_recording,
    check_audio_editable,
    check_reviewable,
    in_zone,
    legal_fields,
    match_legal_field,
    reject,
    require_active_field,
    revise,
    schedule_broadcast,
    submit,
)
from schedules.bulletin import KEEPS_APPROVAL
from schedules.commune_hours import commune_quiet_hours
from schedules.emergency_order import EmergencyOrder
from schedules.program_record import ProgramItemRecord, ProgramRecord
from schedules.timetable import commune_timetable
from schedules.translation import check_complete, translations_of, unapprove
from tts.normalizer import ReadingIssue
from tts.speech_asset import RenderedSpeech, SpeechRequest

log = logging.getLogger(__name__)


def spoken_text(bulletin: Bulletin) -> str:
    """What the speakers read: the title, a pause, then the body."""
    return f"{bulletin.title.rstrip('.!')}.\n{bulletin.body}"


def load_bulletin(session: Session, user: User, bulletin_id: int, *, to_change: bool) -> Bulletin:
    """The bulletin, if the user may read it (or, `to_change`, edit or review it); OutOfScope otherwise.

    See `controller.bulletin_scope`: a province's bulletin is changed only by the province's staff.
    """
    bulletin = session.get(Bulletin, bulletin_id)
    if bulletin is None:
        raise BulletinNotFound(f"no bulletin {bulletin_id}")
    require_bulletin(session, user, bulletin, to_change=to_change)
    return bulletin


def _target(bulletin: Bulletin) -> str:
    return f"bulletin:{bulletin.id} «{bulletin.title[:120]}»"


def bulletin_speech(session: Session, services: Services, bulletin: Bulletin) -> SpeechRequest:
    """What the speakers will say for the bulletin, as its commune airs it.

    A province's bulletin is read with its province's lexicon and no commune's chimes: it airs in every commune.
    """
    commune = session.get(Commune, bulletin.commune_id) if bulletin.commune_id is not None else None
    return speech_request(
        session,
        services.store,
        spoken_text(bulletin),
        dialect="south" if bulletin.dialect == "south" else "north",
        language="km" if bulletin.language == "km" else "vi",
        commune=commune,
        province_id=bulletin.province_id,
    )


def render_speech(session: Session, services: Services, bulletin: Bulletin) -> RenderedSpeech:
    """Speak the bulletin (from a worker thread: the async renderer runs on the loop)."""
    return anyio.from_thread.run(services.speech.render, bulletin_speech(session, services, bulletin))


def scheduled_anywhere(session: Session, bulletin: Bulletin) -> bool:
    """Whether a broadcast or a program uses the bulletin (then an approval changes playlists now)."""
    return (
        session.exec(
            select(Broadcast.id).where(Broadcast.bulletin_id == bulletin.id, col(Broadcast.cancelled_at).is_(None))
        ).first()
        or session.exec(select(ProgramItemRecord.id).where(ProgramItemRecord.bulletin_id == bulletin.id)).first()
    ) is not None


def create_bulletin(session: Session, services: Services, user: User, data: BulletinCreate) -> Bulletin:
    """A commune's bulletin, or a province's (written by the province's own staff)."""
    require_role(user, Role.OFFICER, Role.ADMIN)
    owner, where = owner_for(session, user, data.province_code, data.commune_code)
    assert user.id is not None
    zone = services.settings.scheduler.timezone
    window = {
        name: in_zone(moment, zone) if moment else None
        for name, moment in (("valid_from", data.valid_from), ("valid_until", data.valid_until))
    }
    if window["valid_from"] and window["valid_until"] and window["valid_until"] <= window["valid_from"]:
        raise InvalidValidityWindow(
            f"valid_until {window['valid_until']} is not after valid_from {window['valid_from']}"
        )
    if data.legal_field is not None:
        field = require_active_field(session, data.legal_field).code
    else:
        field = match_legal_field(legal_fields(session, active_only=True), data.topic)
    bulletin = Bulletin.model_validate(
        data.model_dump(exclude={"commune_code", "province_code", "legal_field"}),
        update={**owner, "author_id": user.id, **window, "legal_field": field},
    )
    session.add(bulletin)
    session.flush()
    audit.record(session, user, "bulletin.create", _target(bulletin), where)
    session.commit()
    return bulletin


def update_bulletin(
    session: Session, services: Services, user: User, bulletin_id: int, data: BulletinUpdate
) -> tuple[Bulletin, bool]:
    """Change a bulletin; an approved one goes back for approval and leaves the playlist until then.

    Returns the bulletin and whether it lost its approval.
    """
    require_role(user, Role.OFFICER, Role.ADMIN)
    bulletin = load_bulletin(session, user, bulletin_id, to_change=True)
    changes: dict[str, object] = data.model_dump(exclude_unset=True)
    zone = services.settings.scheduler.timezone
    for name in ("valid_from", "valid_until"):
        moment = changes.get(name)
        if isinstance(moment, datetime):
            changes[name] = in_zone(moment, zone)
    valid_from = changes.get("valid_from", bulletin.valid_from)
    valid_until = changes.get("valid_until", bulletin.valid_until)
    if isinstance(valid_from, datetime) and isinstance(valid_until, datetime) and valid_until <= valid_from:
        raise InvalidValidityWindow(f"valid_until {valid_until} is not after valid_from {valid_from}")
    # Only what really changes counts: saving an unchanged form must not take a bulletin off the air.
    changes = {name: value for name, value in changes.items() if getattr(bulletin, name) != value}
    if not changes:
        return bulletin, False
    if "legal_field" in changes:
        require_active_field(session, str(changes["legal_field"]))
    if changes.keys() <= KEEPS_APPROVAL:  # how it is filed and shown, not what is heard: the approval stands
        if "legal_field" in changes:
            bulletin.legal_field = str(changes["legal_field"])
            audit.record(session, user, "bulletin.classify", _target(bulletin), f"legal field {bulletin.legal_field}")
        if "public" in changes:
            bulletin.public = bool(changes["public"])
            audit.record(
                session, user, "bulletin.publicity", _target(bulletin), "public" if bulletin.public else "internal"
            )
        bulletin.updated_at = utc_now()
        session.commit()
        return bulletin, False
    lost_approval = revise(bulletin, changes)
    if lost_approval:
        unapprove(translations_of(session, bulletin_id))
    audit.record(
        session,
        user,
        "bulletin.edit",
        _target(bulletin),
        ("sent back for approval; " if lost_approval else "") + ", ".join(sorted(changes)),
    )
    if lost_approval:
        _republish(session, services, bulletin)
    else:
        session.commit()
    return bulletin, lost_approval


def _republish(session: Session, services: Services, bulletin: Bulletin) -> None:
    """Commit; recompile the playlists of the communes where the bulletin is scheduled, and tell their nodes."""
    session.commit()
    services.publish_each(session, communes_scheduling(session, bulletin))


def communes_scheduling(session: Session, bulletin: Bulletin) -> list[Commune]:
    """The communes whose programs, broadcasts or emergencies use the bulletin (a province's: a few of 200)."""
    ids = set(
        session.exec(
            select(ProgramRecord.commune_id)
            .join(ProgramItemRecord, col(ProgramItemRecord.program_id) == col(ProgramRecord.id))
            .where(ProgramItemRecord.bulletin_id == bulletin.id)
        ).all()
    )
    ids |= set(session.exec(select(Broadcast.commune_id).where(Broadcast.bulletin_id == bulletin.id)).all())
    ids |= set(session.exec(select(EmergencyOrder.commune_id).where(EmergencyOrder.bulletin_id == bulletin.id)).all())
    if bulletin.commune_id is not None:
        ids.add(bulletin.commune_id)
    return list(session.exec(select(Commune).where(col(Commune.id).in_(ids)).order_by(col(Commune.code))))


def submit_bulletin(session: Session, user: User, bulletin_id: int) -> Bulletin:
    require_role(user, Role.OFFICER, Role.ADMIN)
    bulletin = load_bulletin(session, user, bulletin_id, to_change=True)
    check_complete(translations_of(session, bulletin_id))
    submit(bulletin)
    audit.record(session, user, "bulletin.submit", _target(bulletin))
    session.commit()
    return bulletin


def speak_ahead(services: Services, bulletin_id: int) -> None:
    """Make a submitted bulletin's speech now, in the background after the submission was answered, so
    that its approval finds the audio ready (and its reviewer's preview plays exactly what will air).

    Run in a worker thread. A bulletin no longer waiting, or with its own recording, is left alone; a
    failure is only logged, since approval makes the speech itself then (and says why if it cannot).
    """
    with services.sessions() as session:
        bulletin = session.get(Bulletin, bulletin_id)
        if bulletin is None or bulletin.status != BulletinStatus.PENDING:
            return
        if bulletin.audio_source == AudioSource.RECORDING:
            return
        try:
            render_speech(session, services, bulletin)
        except Exception:  # a background edge: the approval renders (and reports) on its own
            log.warning("bulletin %s: speaking it ahead of approval failed", bulletin_id, exc_info=True)


def approve_bulletin(session: Session, services: Services, user: User, bulletin_id: int) -> Bulletin:
    """Approve and render the audio; the bulletin is approved only once its audio exists.

    Call from a worker thread (a plain route): the async speech engine is driven from it.
    An uploaded recording is approved as it is. Every version in another language is approved with it
    (`controller.translations.speech`): one no engine could speak gets no audio and does not air, the rest does.
    """
    require_role(user, Role.APPROVER)
    bulletin = load_bulletin(session, user, bulletin_id, to_change=True)
    assert user.id is not None
    check_reviewable(bulletin, user.id)
    translations = translations_of(session, bulletin_id)
    check_complete(translations)
    rendered = None
    if bulletin.audio_source == AudioSource.RECORDING and bulletin.audio_sha256 is not None:
        audio_sha256 = bulletin.audio_sha256
    else:
        rendered = render_speech(session, services, bulletin)
        audio_sha256 = rendered.asset_sha256
    versions_audio = speak_versions(session, services, bulletin, translations)  # before any change: see there
    if rendered is not None:
        bulletin.spoken_text = rendered.spoken_text
    approve(bulletin, user.id, audio_sha256)
    approve_versions(bulletin, versions_audio)
    versions = "".join(
        f"; {t.language} " + (f"audio {t.approved_sha256}" if t.approved_sha256 else "needs a recording")
        for t in translations
    )
    audit.record(session, user, "bulletin.approve", _target(bulletin), f"audio {audio_sha256}{versions}")
    if scheduled_anywhere(session, bulletin):
        # Approved again after an edit: it returns to the playlists now, not at the next republish.
        _republish(session, services, bulletin)
    else:
        session.commit()
    return bulletin


def reject_bulletin(session: Session, user: User, bulletin_id: int, reason: str) -> Bulletin:
    require_role(user, Role.APPROVER)
    bulletin = load_bulletin(session, user, bulletin_id, to_change=True)
    assert user.id is not None
    reject(bulletin, user.id, reason)
    bulletin.updated_at = utc_now()
    audit.record(session, user, "bulletin.reject", _target(bulletin), reason)
    session.commit()
    return bulletin


def preview_bulletin(
    session: Session, services: Services, user: User, bulletin_id: int
) -> tuple[RenderedSpeech, str | None]:
    """The audio approval would air (title and body, the commune's lexicon and chimes), or the recording;
    with the sha256 of its MP3 rendition when there is one."""
    require_role(user, Role.OFFICER, Role.APPROVER, Role.ADMIN)
    bulletin = load_bulletin(session, user, bulletin_id, to_change=False)
    if bulletin.audio_source == AudioSource.RECORDING and bulletin.audio_sha256 is not None:
        asset = session.get(AudioAsset, bulletin.audio_sha256)
        assert asset is not None
        rendered = RenderedSpeech(
            asset_sha256=asset.sha256,
            codec=asset.codec,
            duration_ms=asset.duration_ms,
            spoken_text="",
            engine="",
            voice="",
            loudness_lufs=asset.loudness_lufs,
            cached=True,
        )
        return rendered, asset.mp3_sha256
    rendered = render_speech(session, services, bulletin)
    stored = session.get(AudioAsset, rendered.asset_sha256)
    return rendered, stored.mp3_sha256 if stored else None


def preview_reading_issues(
    session: Session, services: Services, user: User, bulletin_id: int
) -> tuple[ReadingIssue, ...]:
    """What the normaliser cannot read in the bulletin's text (nothing for a recording), for its preview."""
    bulletin = load_bulletin(session, user, bulletin_id, to_change=False)
    if bulletin.audio_source == AudioSource.RECORDING and bulletin.audio_sha256 is not None:
        return ()
    return reading_issues(bulletin_speech(session, services, bulletin))


def check_recording_target(services: Services, user: User, bulletin_id: int) -> None:
    """Refuse early (role, commune, status) before reading megabytes and running the chain."""
    require_role(user, Role.OFFICER, Role.ADMIN)
    with services.sessions() as session:
        check_audio_editable(load_bulletin(session, user, bulletin_id, to_change=True))


def process_recording(services: Services, audio: bytes) -> BroadcastAudio:
    """An upload through the broadcast chain: silence trimmed, high-pass, loudness to the target."""
    return produce_broadcast(audio, services.settings.audio, allowed_formats=RECORDING_FORMATS)


def attach_processed_recording(services: Services, user: User, bulletin_id: int, processed: BroadcastAudio) -> Bulletin:
    """Store the processed recording and make it the bulletin's audio (checks repeated: it may have changed)."""
    with services.sessions() as session:
        bulletin = load_bulletin(session, user, bulletin_id, to_change=True)
        asset = save_broadcast(session, services.store, processed, source="upload")
        attach_recording(bulletin, asset.sha256)
        audit.record(session, user, "bulletin.recording", _target(bulletin), f"audio {asset.sha256}")
        session.commit()
        session.refresh(bulletin)
        session.expunge(bulletin)
        return bulletin


def schedule_once(session: Session, services: Services, user: User, data: BroadcastCreate) -> Broadcast:
    """Schedule an approved bulletin once; a time without offset is read in the scheduler's time zone.

    Recompiles the commune's playlist and tells its nodes.
    """
    require_role(user, Role.OFFICER, Role.ADMIN)
    sched = services.settings.scheduler
    commune = get_commune(session, data.commune_code)
    require_commune(session, user, commune)
    bulletin = session.get(Bulletin, data.bulletin_id)
    if bulletin is None:
        raise BulletinNotFound(f"no bulletin {data.bulletin_id}")
    check_airs_in(bulletin, commune)
    assert user.id is not None
    starts_at = in_zone(data.starts_at, sched.timezone)
    lookback = timedelta(minutes=sched.max_item_duration_min)
    broadcast = schedule_broadcast(
        session,
        bulletin,
        commune,
        starts_at,
        created_by=user.id,
        now=services.clock(),
        lookback=lookback,
        quiet=commune_quiet_hours(session, commune, sched.planning().quiet),
        on_interrupt=data.on_interrupt,
    )
    # Programs air too: refuse an overlap with one of their items on a shared cluster, naming it.
    commune_timetable(
        session,
        commune,
        start=starts_at - lookback,
        end=starts_at + lookback,
        planning=sched.planning(),
        check_conflicts=True,
        changed=f"b{broadcast.id}",
    )
    audit.record(
        session,
        user,
        "broadcast.create",
        _target(bulletin),
        json.dumps({"commune": commune.code, "starts_at": starts_at.isoformat()}, ensure_ascii=False),
    )
    services.publish(session, commune)
    return broadcast
