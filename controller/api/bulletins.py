"""Bulletins: write, submit, approve or reject. Approval renders the speech the nodes will play."""

from __future__ import annotations

import asyncio

import anyio.from_thread
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from audio_library import AudioAsset, BroadcastAudio, produce_broadcast, save_broadcast
from audio_library.timestamps import utc_now
from controller.accounts import Role, User, commune_scope
from controller.api.speech import SpeechPreview, preview_of
from controller.deps import CurrentUser, ServicesDep, SessionDep, require_commune, require_role
from controller.services import Services
from controller.speech import speech_request
from controller.uploads import RECORDING_FORMATS, read_upload
from devices.registry import Commune, get_commune
from schedules import (
    AudioSource,
    Bulletin,
    BulletinCreate,
    BulletinNotFound,
    BulletinPublic,
    InvalidValidityWindow,
    approve,
    attach_recording,
    check_audio_editable,
    check_reviewable,
    detach_recording,
    in_zone,
    reject,
    submit,
)
from tts.speech_asset import RenderedSpeech

router = APIRouter(prefix="/bulletins", tags=["bulletins"])


class Rejection(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


def spoken_text(bulletin: Bulletin) -> str:
    """What the speakers read: the title, a pause, then the body."""
    return f"{bulletin.title.rstrip('.!')}.\n{bulletin.body}"


def _load(session: Session, user: User, bulletin_id: int) -> Bulletin:
    bulletin = session.get(Bulletin, bulletin_id)
    if bulletin is None:
        raise BulletinNotFound(f"no bulletin {bulletin_id}")
    commune = session.get(Commune, bulletin.commune_id)
    assert commune is not None
    require_commune(session, user, commune)
    return bulletin


def _render(session: Session, services: Services, bulletin: Bulletin) -> RenderedSpeech:
    """Speak the bulletin as its commune airs it (threaded route: the async renderer runs on the loop)."""
    commune = session.get(Commune, bulletin.commune_id)
    request = speech_request(
        session,
        services.store,
        spoken_text(bulletin),
        dialect="south" if bulletin.dialect == "south" else "north",
        language="km" if bulletin.language == "km" else "vi",
        commune=commune,
    )
    return anyio.from_thread.run(services.speech.render, request)


@router.post("", status_code=201)
def create_bulletin(
    data: BulletinCreate, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> BulletinPublic:
    require_role(user, Role.OFFICER, Role.ADMIN)
    commune = get_commune(session, data.commune_code)
    require_commune(session, user, commune)
    assert commune.id is not None and user.id is not None
    zone = services.settings.scheduler.timezone
    window = {
        name: in_zone(moment, zone) if moment else None
        for name, moment in (("valid_from", data.valid_from), ("valid_until", data.valid_until))
    }
    if window["valid_from"] and window["valid_until"] and window["valid_until"] <= window["valid_from"]:
        raise InvalidValidityWindow(
            f"valid_until {window['valid_until']} is not after valid_from {window['valid_from']}"
        )
    bulletin = Bulletin.model_validate(
        data.model_dump(exclude={"commune_code"}),
        update={"commune_id": commune.id, "author_id": user.id, **window},
    )
    session.add(bulletin)
    session.commit()
    return BulletinPublic.model_validate(bulletin)


@router.get("")
def list_bulletins(session: SessionDep, user: CurrentUser, status: str | None = None) -> list[BulletinPublic]:
    query = select(Bulletin).order_by(col(Bulletin.id).desc()).limit(500)
    scope = commune_scope(session, user)
    if scope is not None:
        query = query.where(col(Bulletin.commune_id).in_(scope))
    if status is not None:
        query = query.where(Bulletin.status == status)
    return [BulletinPublic.model_validate(b) for b in session.exec(query)]


@router.get("/{bulletin_id}")
def get_bulletin(bulletin_id: int, session: SessionDep, user: CurrentUser) -> BulletinPublic:
    return BulletinPublic.model_validate(_load(session, user, bulletin_id))


@router.post("/{bulletin_id}/submit")
def submit_bulletin(bulletin_id: int, session: SessionDep, user: CurrentUser) -> BulletinPublic:
    require_role(user, Role.OFFICER, Role.ADMIN)
    bulletin = _load(session, user, bulletin_id)
    submit(bulletin)
    session.commit()
    return BulletinPublic.model_validate(bulletin)


@router.post("/{bulletin_id}/approve")
def approve_bulletin(bulletin_id: int, session: SessionDep, user: CurrentUser, services: ServicesDep) -> BulletinPublic:
    """Approve and render the audio; the bulletin is approved only once its audio exists.

    A plain (threaded) route: the database work must not block the event loop, so the async speech
    engine is driven from this worker thread. An uploaded recording is approved as it is.
    """
    require_role(user, Role.APPROVER)
    bulletin = _load(session, user, bulletin_id)
    assert user.id is not None
    check_reviewable(bulletin, user.id)
    if bulletin.audio_source == AudioSource.RECORDING and bulletin.audio_sha256 is not None:
        audio_sha256 = bulletin.audio_sha256
    else:
        rendered = _render(session, services, bulletin)
        bulletin.spoken_text = rendered.spoken_text
        audio_sha256 = rendered.asset_sha256
    approve(bulletin, user.id, audio_sha256)
    session.commit()
    return BulletinPublic.model_validate(bulletin)


@router.post("/{bulletin_id}/reject")
def reject_bulletin(bulletin_id: int, data: Rejection, session: SessionDep, user: CurrentUser) -> BulletinPublic:
    require_role(user, Role.APPROVER)
    bulletin = _load(session, user, bulletin_id)
    assert user.id is not None
    reject(bulletin, user.id, data.reason)
    bulletin.updated_at = utc_now()
    session.commit()
    return BulletinPublic.model_validate(bulletin)


@router.post("/{bulletin_id}/preview")
def preview_bulletin(bulletin_id: int, session: SessionDep, user: CurrentUser, services: ServicesDep) -> SpeechPreview:
    """The audio approval would air (title and body, the commune's lexicon and chimes), or the recording."""
    require_role(user, Role.OFFICER, Role.APPROVER, Role.ADMIN)
    bulletin = _load(session, user, bulletin_id)
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
        return preview_of(rendered, asset.mp3_sha256)
    rendered = _render(session, services, bulletin)
    asset = session.get(AudioAsset, rendered.asset_sha256)
    return preview_of(rendered, asset.mp3_sha256 if asset else None)


def _check_recording_target(services: Services, user: User, bulletin_id: int) -> None:
    with services.sessions() as session:
        check_audio_editable(_load(session, user, bulletin_id))


def _attach(services: Services, user: User, bulletin_id: int, processed: BroadcastAudio) -> BulletinPublic:
    with services.sessions() as session:
        bulletin = _load(session, user, bulletin_id)
        asset = save_broadcast(session, services.store, processed, source="upload")
        attach_recording(bulletin, asset.sha256)
        session.commit()
        return BulletinPublic.model_validate(bulletin)


@router.put("/{bulletin_id}/recording")
async def upload_recording(
    bulletin_id: int, request: Request, user: CurrentUser, services: ServicesDep
) -> BulletinPublic:
    """Air an uploaded recording (MP3, WAV, M4A or OGG; raw body) instead of synthesised speech.

    It goes through the same chain as speech: silence trimmed, high-pass, loudness to the target.
    """
    require_role(user, Role.OFFICER, Role.ADMIN)
    # Refuse early (wrong commune, wrong status) before reading megabytes and running the chain;
    # the checks are repeated when attaching, since the bulletin may change meanwhile.
    await asyncio.to_thread(_check_recording_target, services, user, bulletin_id)
    audio = await read_upload(request, services.settings.audio.upload_max_bytes)
    processed = await asyncio.to_thread(
        produce_broadcast, audio, services.settings.audio, allowed_formats=RECORDING_FORMATS
    )
    return await asyncio.to_thread(_attach, services, user, bulletin_id, processed)


@router.delete("/{bulletin_id}/recording")
def remove_recording(bulletin_id: int, session: SessionDep, user: CurrentUser) -> BulletinPublic:
    """Go back to speech synthesised from the text."""
    require_role(user, Role.OFFICER, Role.ADMIN)
    bulletin = _load(session, user, bulletin_id)
    detach_recording(bulletin)
    session.commit()
    return BulletinPublic.model_validate(bulletin)
