"""Approver pages: the queue of bulletins waiting in the user's communes, approve, reject with a reason."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field, ValidationError
from sqlmodel import col, select

from audio_library.row_id import RowId
from controller.accounts import Role, User
from controller.bulletin_scope import bulletin_filter, owner_label
from controller.bulletin_workflow import approve_bulletin, reject_bulletin
from controller.deps import ServicesDep, SessionDep, require_role
from controller.errors import InvalidInput
from controller.translations.speech import in_sentence
from controller.web.forms import messages_vi
from controller.web.session import PageUser
from controller.web.templating import render
from schedules import Bulletin, BulletinStatus
from schedules.translation import translation_language, translations_of

router = APIRouter()


class RejectionForm(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


@router.get("/duyet")
def review_queue(request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    require_role(user, Role.APPROVER, Role.ADMIN)
    query = (
        select(Bulletin, User)
        .join(User, col(User.id) == col(Bulletin.author_id))
        .where(Bulletin.status == BulletinStatus.PENDING)
        .order_by(col(Bulletin.updated_at))
        .limit(500)
    )
    # Only what this approver may decide: a province's bulletins wait for the province's approvers.
    reviewable = bulletin_filter(session, user, to_change=True)
    if reviewable is not None:
        query = query.where(reviewable)
    rows = [(bulletin, owner_label(session, bulletin), author) for bulletin, author in session.exec(query).all()]
    # The versions in other languages each bulletin is approved with (shown on its page, one by one).
    versions = {
        b.id: [in_sentence(translation_language(session, t.language).name_vi) for t in translations_of(session, b.id)]
        for b, _, _ in rows
        if b.id is not None
    }
    return render(request, "review_queue.html", {"rows": rows, "versions": versions}, user=user)


@router.post("/ban-tin/{bulletin_id}/duyet")
def approve_page(bulletin_id: RowId, session: SessionDep, services: ServicesDep, user: PageUser) -> RedirectResponse:
    approve_bulletin(session, services, user, bulletin_id)
    return RedirectResponse(f"/ban-tin/{bulletin_id}?tb=da-duyet", status_code=303)


@router.post("/ban-tin/{bulletin_id}/tu-choi")
def reject_page(
    bulletin_id: RowId, session: SessionDep, user: PageUser, reason: Annotated[str, Form()] = ""
) -> RedirectResponse:
    try:
        data = RejectionForm(reason=reason.strip())
    except ValidationError as exc:
        raise InvalidInput("rejection without reason", message_vi=" ".join(messages_vi(exc))) from exc
    reject_bulletin(session, user, bulletin_id, data.reason)
    return RedirectResponse(f"/ban-tin/{bulletin_id}?tb=da-tu-choi", status_code=303)
