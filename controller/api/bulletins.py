"""Bulletins: write, submit, approve or reject. Approval renders the speech the nodes will play."""

from __future__ import annotations

from functools import partial

import anyio.from_thread
from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from audio_library.timestamps import utc_now
from controller.accounts import Role, User, commune_scope
from controller.deps import CurrentUser, ServicesDep, SessionDep, require_commune, require_role
from devices.registry import Commune, get_commune
from schedules import (
    Bulletin,
    BulletinCreate,
    BulletinNotFound,
    BulletinPublic,
    InvalidValidityWindow,
    approve,
    check_reviewable,
    in_zone,
    reject,
    submit,
)
from tts.speech_asset import speak, store_spoken

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
    engine is driven from this worker thread.
    """
    require_role(user, Role.APPROVER)
    bulletin = _load(session, user, bulletin_id)
    assert user.id is not None
    check_reviewable(bulletin, user.id)
    spoken = anyio.from_thread.run(
        partial(
            speak,
            spoken_text(bulletin),
            synthesizer=services.synthesizer,
            dialect="south" if bulletin.dialect == "south" else "north",
            audio=services.settings.audio,
        )
    )
    asset = store_spoken(session, services.store, spoken)
    approve(bulletin, user.id, asset.sha256)
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
