"""Bulletins: write, submit, approve or reject. Approval renders the speech the nodes will play."""

from __future__ import annotations

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
    approve,
    check_reviewable,
    reject,
    submit,
)
from tts.speech_asset import render_speech

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
def create_bulletin(data: BulletinCreate, session: SessionDep, user: CurrentUser) -> BulletinPublic:
    require_role(user, Role.OFFICER, Role.ADMIN)
    commune = get_commune(session, data.commune_code)
    require_commune(session, user, commune)
    assert commune.id is not None and user.id is not None
    bulletin = Bulletin.model_validate(
        data.model_dump(exclude={"commune_code"}), update={"commune_id": commune.id, "author_id": user.id}
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
async def approve_bulletin(
    bulletin_id: int, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> BulletinPublic:
    """Approve and render the audio; the bulletin is approved only once its audio exists."""
    require_role(user, Role.APPROVER)
    bulletin = _load(session, user, bulletin_id)
    assert user.id is not None
    check_reviewable(bulletin, user.id)
    asset = await render_speech(
        spoken_text(bulletin),
        synthesizer=services.synthesizer,
        dialect="south" if bulletin.dialect == "south" else "north",
        session=session,
        store=services.store,
        audio=services.settings.audio,
    )
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
