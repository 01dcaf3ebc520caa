"""Taking things off the air from the console: cancelling a one-off broadcast, ending an emergency.

Each is two steps that work without JavaScript: a page that asks "are you sure?" (GET), and its form
(POST, with the CSRF token) that calls the same function as the API. An inline `onclick=confirm(...)`
would be blocked by the pages' content security policy, and a page also leaves room to say what stops.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session

from audio_library.row_id import RowId
from controller.accounts import Role, User
from controller.api.broadcasts import cancel_broadcast
from controller.api.emergencies import cancel as cancel_emergency
from controller.deps import ServicesDep, SessionDep, require_commune, require_role
from controller.web.session import PageUser
from controller.web.templating import render
from devices.registry import Commune
from schedules import Broadcast, Bulletin, BulletinNotFound
from schedules.emergency_order import EmergencyOrder, emergency_title
from schedules.errors import EmergencyNotFound

router = APIRouter()


def _broadcast(session: Session, user: User, broadcast_id: int) -> tuple[Broadcast, Commune]:
    require_role(user, Role.OFFICER, Role.ADMIN)
    broadcast = session.get(Broadcast, broadcast_id)
    commune = session.get(Commune, broadcast.commune_id) if broadcast else None
    if broadcast is None or commune is None:
        raise BulletinNotFound(f"no broadcast {broadcast_id}", message_vi="Không tìm thấy lịch phát.")
    require_commune(session, user, commune)
    return broadcast, commune


def _emergency(session: Session, user: User, order_id: int) -> tuple[EmergencyOrder, Commune]:
    require_role(user, Role.OFFICER, Role.ADMIN)
    order = session.get(EmergencyOrder, order_id)
    commune = session.get(Commune, order.commune_id) if order is not None else None
    if order is None or commune is None:
        raise EmergencyNotFound(f"no emergency order {order_id}")
    require_commune(session, user, commune)
    return order, commune


def _title(session: Session, bulletin_id: int) -> str:
    bulletin = session.get(Bulletin, bulletin_id)
    return bulletin.title if bulletin is not None else f"Bản tin {bulletin_id}"


@router.get("/lich-phat/{broadcast_id}/huy")
def cancel_broadcast_page(broadcast_id: RowId, request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    broadcast, commune = _broadcast(session, user, broadcast_id)
    context = {
        "heading": "Huỷ lịch phát",
        "title": _title(session, broadcast.bulletin_id),
        "moment": broadcast.starts_at,
        "moment_label": "Giờ phát",
        "question": "Bản tin này sẽ không được phát nữa; nếu đang phát, các cụm loa sẽ dừng ngay.",
        "done": broadcast.cancelled_at is not None,
        "action": f"/lich-phat/{broadcast_id}/huy",
        "button": "Huỷ lịch phát",
        "back": f"/xa/{commune.code}/lich-phat",
    }
    return render(request, "confirm.html", context, user=user)


@router.post("/lich-phat/{broadcast_id}/huy")
def cancel_broadcast_action(
    broadcast_id: RowId, session: SessionDep, services: ServicesDep, user: PageUser
) -> RedirectResponse:
    _, commune = _broadcast(session, user, broadcast_id)
    cancel_broadcast(broadcast_id, session, user, services)
    return RedirectResponse(f"/xa/{commune.code}/lich-phat?tb=da-huy-phat", status_code=303)


@router.get("/khan-cap/{order_id}/ket-thuc")
def end_emergency_page(order_id: RowId, request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    order, commune = _emergency(session, user, order_id)
    context = {
        "heading": "Kết thúc phát khẩn cấp",
        "title": emergency_title(session, order),
        "moment": order.starts_at,
        "moment_label": "Bắt đầu phát",
        "question": "Các cụm loa sẽ dừng tin khẩn cấp này ngay và tiếp tục lịch phát thường.",
        "done": order.cancelled_at is not None,
        "action": f"/khan-cap/{order_id}/ket-thuc",
        "button": "Kết thúc phát khẩn cấp",
        "back": f"/xa/{commune.code}/lich-tuan",
    }
    return render(request, "confirm.html", context, user=user)


@router.post("/khan-cap/{order_id}/ket-thuc")
def end_emergency_action(
    order_id: RowId, session: SessionDep, services: ServicesDep, user: PageUser
) -> RedirectResponse:
    _, commune = _emergency(session, user, order_id)
    cancel_emergency(order_id, session, user, services)
    return RedirectResponse(f"/xa/{commune.code}/lich-tuan?tb=da-ket-thuc-khan-cap", status_code=303)
