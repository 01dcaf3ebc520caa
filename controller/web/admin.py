"""Admin pages: users and roles, provinces, communes, hamlets and clusters (credentials shown once), the
abbreviation lexicon, and the audit log.

A refused form comes back with what was typed and the reason in Vietnamese.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from audio_library.errors import LoaxaError
from audio_library.row_id import RowId
from controller import audit
from controller.accounts import Role, User, UserCommune, UserCreate
from controller.api.users import create_user_from
from controller.audit import AuditEntry
from controller.deps import ServicesDep, SessionDep, require_role
from controller.errors import NotFound
from controller.provisioning import provision_device
from controller.web import labels
from controller.web.forms import messages_vi
from controller.web.notices import notices
from controller.web.session import PageUser
from controller.web.templating import render
from devices.errors import InvalidClusterMetadata
from devices.registry import (
    Commune,
    Device,
    DeviceCreate,
    Hamlet,
    Province,
    add_commune,
    add_hamlet,
    add_province,
    check_metadata,
    get_commune,
)
from tts.errors import DuplicateLexiconEntry
from tts.lexicon import LexiconEntry, add_entry

router = APIRouter(prefix="/quan-tri")

AUDIT_PAGE_SIZE = 200


def _admin(user: User) -> None:
    require_role(user, Role.ADMIN)


@router.get("")
def admin_home(request: Request, user: PageUser) -> HTMLResponse:
    _admin(user)
    return render(request, "admin_home.html", user=user)


# Users


def _users_page(
    request: Request,
    session: Session,
    user: User,
    *,
    form: dict[str, Any] | None = None,
    errors: list[str] | None = None,
) -> HTMLResponse:
    users = session.exec(select(User).order_by(col(User.username))).all()
    links = session.exec(select(UserCommune, Commune).join(Commune, col(Commune.id) == col(UserCommune.commune_id)))
    communes_by_user: dict[int, list[str]] = {}
    for link, commune in links:
        communes_by_user.setdefault(link.user_id, []).append(commune.name)
    context = {
        "users": users,
        "communes_by_user": communes_by_user,
        "provinces": {p.id: p for p in session.exec(select(Province).order_by(col(Province.name)))},
        "communes": session.exec(select(Commune).order_by(col(Commune.name))).all(),
        "form": form or {"username": "", "full_name": "", "role": "officer", "province_code": "", "commune_codes": []},
        "errors": errors or [],
        "flashes": notices(request),
    }
    return render(request, "admin_users.html", context, user=user, status_code=422 if errors else 200)


@router.get("/nguoi-dung")
def users_page(request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    _admin(user)
    return _users_page(request, session, user)


@router.post("/nguoi-dung")
def add_user_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    username: Annotated[str, Form()] = "",
    full_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "officer",
    password: Annotated[str, Form()] = "",
    province_code: Annotated[str, Form()] = "",
    commune_codes: Annotated[list[str] | None, Form()] = None,
) -> Response:
    _admin(user)
    form = {
        "username": username,
        "full_name": full_name,
        "role": role,
        "province_code": province_code,
        "commune_codes": commune_codes or [],
    }
    try:
        data = UserCreate.model_validate(
            {**form, "username": username.strip(), "password": password, "province_code": province_code or None}
        )
        created = create_user_from(session, data)
        audit.record(session, user, "user.create", f"user:{created.username}", f"role {created.role}")
        session.commit()
    except ValidationError as exc:
        return _users_page(request, session, user, form=form, errors=messages_vi(exc))
    except LoaxaError as exc:
        session.rollback()
        return _users_page(request, session, user, form=form, errors=[exc.message_vi])
    return RedirectResponse("/quan-tri/nguoi-dung", status_code=303)


# Provinces, communes, clusters


def _places_page(
    request: Request,
    session: Session,
    user: User,
    *,
    errors: list[str] | None = None,
    credentials: dict[str, str] | None = None,
    device_form: dict[str, str] | None = None,
) -> HTMLResponse:
    counts = dict(
        session.exec(
            select(Device.commune_id, func.count())
            .where(col(Device.revoked_at).is_(None))
            .group_by(col(Device.commune_id))
        ).all()
    )
    context = {
        "provinces": session.exec(select(Province).order_by(col(Province.name))).all(),
        "communes": session.exec(select(Commune).order_by(col(Commune.name))).all(),
        "device_counts": counts,
        "devices": session.exec(select(Device, Commune).join(Commune).order_by(col(Device.code))).all(),
        "hamlets": session.exec(
            select(Hamlet, Commune).join(Commune).order_by(col(Commune.name), col(Hamlet.name))
        ).all(),
        "network_types": labels.NETWORK_TYPES,
        "device_form": device_form or EMPTY_DEVICE_FORM,
        "errors": errors or [],
        "credentials": credentials,
    }
    return render(request, "admin_places.html", context, user=user, status_code=422 if errors else 200)


@router.get("/dia-ban")
def places_page(request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    _admin(user)
    return _places_page(request, session, user)


@router.post("/dia-ban/tinh")
def add_province_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    code: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
) -> Response:
    _admin(user)
    try:
        if not name.strip():
            raise NotFound("empty name", message_vi="Tên tỉnh không được để trống.")
        add_province(session, code.strip(), name.strip())
        session.commit()
    except LoaxaError as exc:
        session.rollback()
        return _places_page(request, session, user, errors=[exc.message_vi])
    return RedirectResponse("/quan-tri/dia-ban", status_code=303)


@router.post("/dia-ban/xa")
def add_commune_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    province_code: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
) -> Response:
    _admin(user)
    try:
        province = session.exec(select(Province).where(Province.code == province_code)).first()
        if province is None:
            raise NotFound(f"no province {province_code[:80]!r}", message_vi="Không tìm thấy tỉnh.")
        if not name.strip():
            raise NotFound("empty name", message_vi="Tên xã không được để trống.")
        add_commune(session, province, code.strip(), name.strip())
        session.commit()
    except LoaxaError as exc:
        session.rollback()
        return _places_page(request, session, user, errors=[exc.message_vi])
    return RedirectResponse("/quan-tri/dia-ban", status_code=303)


EMPTY_DEVICE_FORM = {
    "commune_code": "",
    "code": "",
    "name": "",
    "hamlet": "",
    "latitude": "",
    "longitude": "",
    "horn_count": "",
    "amplifier_watts": "",
    "network_type": "unknown",
    "installed_on": "",
}


def _number(value: str, parse: type[float] | type[int], message_vi: str) -> float | int | None:
    """A number field: empty means not given; anything else that is not a number is refused in Vietnamese."""
    text = value.strip().replace(",", ".") if parse is float else value.strip()
    if not text:
        return None
    try:
        return parse(text)
    except ValueError as exc:
        raise InvalidClusterMetadata(f"not a number: {text[:40]!r}", message_vi=message_vi) from exc


def _device_metadata(form: dict[str, str]) -> DeviceCreate:
    values = {
        "code": form["code"].strip(),
        "name": form["name"].strip(),
        "hamlet": form["hamlet"] or None,
        "latitude": _number(form["latitude"], float, "Vĩ độ phải là một số, ví dụ 10.76262."),
        "longitude": _number(form["longitude"], float, "Kinh độ phải là một số, ví dụ 106.66017."),
        "horn_count": _number(form["horn_count"], int, "Số loa phải là số nguyên từ 0 đến 1000."),
        "amplifier_watts": _number(
            form["amplifier_watts"], int, "Công suất âm ly phải là số nguyên từ 0 đến 100.000 W."
        ),
        "network_type": form["network_type"] or "unknown",
        "installed_on": form["installed_on"] or None,
    }
    metadata = DeviceCreate.model_validate(values)
    check_metadata(metadata)
    return metadata


@router.post("/dia-ban/cum-loa")
def add_device_page(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    user: PageUser,
    commune_code: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    hamlet: Annotated[str, Form()] = "",
    latitude: Annotated[str, Form()] = "",
    longitude: Annotated[str, Form()] = "",
    horn_count: Annotated[str, Form()] = "",
    amplifier_watts: Annotated[str, Form()] = "",
    network_type: Annotated[str, Form()] = "unknown",
    installed_on: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Register a cluster with its installation facts; its MQTT password and the command public key are
    on this response only (the password is never stored in clear)."""
    _admin(user)
    form = {
        "commune_code": commune_code,
        "code": code,
        "name": name,
        "hamlet": hamlet,
        "latitude": latitude,
        "longitude": longitude,
        "horn_count": horn_count,
        "amplifier_watts": amplifier_watts,
        "network_type": network_type,
        "installed_on": installed_on,
    }
    try:
        metadata = _device_metadata(form)
        device, creds = provision_device(
            session, services.settings, commune_code, metadata.code, metadata.name, by=user, metadata=metadata
        )
    except ValidationError as exc:
        return _places_page(request, session, user, errors=messages_vi(exc), device_form=form)
    except LoaxaError as exc:
        session.rollback()
        return _places_page(request, session, user, errors=[exc.message_vi], device_form=form)
    credentials = {
        "device": device.code,
        "client_id": creds.client_id,
        "username": creds.username,
        "password": creds.password,
        "broker": f"{services.settings.mqtt.host}:{services.settings.mqtt.port}",
        "command_public_key": services.command_public_key(),
    }
    return _places_page(request, session, user, credentials=credentials)


@router.post("/dia-ban/ap")
def add_hamlet_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    commune_code: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
) -> Response:
    _admin(user)
    try:
        commune = get_commune(session, commune_code)
        if not name.strip():
            raise NotFound("empty name", message_vi="Tên ấp/thôn không được để trống.")
        add_hamlet(session, commune, code.strip(), name.strip())
        audit.record(session, user, "hamlet.add", f"hamlet:{commune.code}/{code.strip()}", name.strip())
        session.commit()
    except LoaxaError as exc:
        session.rollback()
        return _places_page(request, session, user, errors=[exc.message_vi])
    return RedirectResponse("/quan-tri/dia-ban", status_code=303)


# Lexicon


def _lexicon_page(
    request: Request,
    session: Session,
    user: User,
    *,
    form: dict[str, str] | None = None,
    errors: list[str] | None = None,
) -> HTMLResponse:
    provinces = {p.id: p for p in session.exec(select(Province).order_by(col(Province.name)))}
    context = {
        "entries": session.exec(select(LexiconEntry).order_by(col(LexiconEntry.abbreviation))).all(),
        "provinces": provinces,
        "form": form or {"abbreviation": "", "expansion": "", "province_code": ""},
        "errors": errors or [],
    }
    return render(request, "admin_lexicon.html", context, user=user, status_code=422 if errors else 200)


@router.get("/tu-dien")
def lexicon_page(request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    _admin(user)
    return _lexicon_page(request, session, user)


@router.post("/tu-dien")
def add_lexicon_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    abbreviation: Annotated[str, Form()] = "",
    expansion: Annotated[str, Form()] = "",
    province_code: Annotated[str, Form()] = "",
) -> Response:
    _admin(user)
    form = {"abbreviation": abbreviation, "expansion": expansion, "province_code": province_code}
    try:
        province_id = None
        if province_code:
            province = session.exec(select(Province).where(Province.code == province_code)).first()
            if province is None:
                raise NotFound(f"no province {province_code[:80]!r}", message_vi="Không tìm thấy tỉnh.")
            province_id = province.id
        entry = add_entry(session, abbreviation, expansion, province_id=province_id, created_by=user.id)
        audit.record(session, user, "lexicon.add", f"lexicon:{entry.abbreviation}", entry.expansion)
        session.commit()
    except IntegrityError:
        session.rollback()
        message = DuplicateLexiconEntry.message_vi
        return _lexicon_page(request, session, user, form=form, errors=[message])
    except LoaxaError as exc:
        session.rollback()
        return _lexicon_page(request, session, user, form=form, errors=[exc.message_vi])
    return RedirectResponse("/quan-tri/tu-dien", status_code=303)


@router.post("/tu-dien/{entry_id}/xoa")
def delete_lexicon_page(entry_id: RowId, session: SessionDep, user: PageUser) -> RedirectResponse:
    _admin(user)
    entry = session.get(LexiconEntry, entry_id)
    if entry is None:
        raise NotFound(f"no lexicon entry {entry_id}")
    session.delete(entry)
    audit.record(session, user, "lexicon.delete", f"lexicon:{entry.abbreviation}", entry.expansion)
    session.commit()
    return RedirectResponse("/quan-tri/tu-dien", status_code=303)


# Audit log


@router.get("/nhat-ky")
def audit_page(request: Request, session: SessionDep, user: PageUser, action: str = "") -> HTMLResponse:
    _admin(user)
    query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(AUDIT_PAGE_SIZE)
    if action:
        query = query.where(AuditEntry.action == action)
    context = {"entries": session.exec(query).all(), "action": action}
    return render(request, "admin_audit.html", context, user=user)
