"""Provinces, communes and clusters (their health: controller/api/fleet.py)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlmodel import col, select

from controller import audit
from controller.accounts import Role
from controller.deps import CurrentUser, ServicesDep, SessionDep, require_commune, require_role
from controller.errors import NotFound
from controller.provisioning import provision_device, revoke_device
from devices.proof_of_play import PlayRecord, PlayRecordPublic
from devices.protocol import CODE_PATTERN
from devices.registry import (
    Commune,
    CommunePublic,
    Device,
    DeviceCreate,
    DevicePublic,
    DeviceUpdate,
    HamletCreate,
    HamletPublic,
    Province,
    add_commune,
    add_hamlet,
    add_province,
    device_public,
    get_commune,
    get_device,
    list_hamlets,
    update_device,
)

router = APIRouter(tags=["registry"])


class PlaceCreate(BaseModel):
    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=200)


class MqttCredentials(BaseModel):
    client_id: str
    username: str
    password: str


class ProvisionedDevice(BaseModel):
    device: DevicePublic
    credentials: MqttCredentials
    # The node's `command_public_key` setting: it accepts only commands this key's owner signed.
    command_public_key: str = ""


@router.post("/provinces", status_code=201)
def create_province(data: PlaceCreate, session: SessionDep, user: CurrentUser) -> dict[str, object]:
    require_role(user, Role.ADMIN)
    province = add_province(session, data.code, data.name)
    session.commit()
    return {"id": province.id, "code": province.code, "name": province.name}


@router.post("/provinces/{province_code}/communes", status_code=201)
def create_commune(province_code: str, data: PlaceCreate, session: SessionDep, user: CurrentUser) -> CommunePublic:
    require_role(user, Role.ADMIN)
    province = session.exec(select(Province).where(Province.code == province_code)).first()
    if province is None:
        raise NotFound(f"no province {province_code[:80]!r}", message_vi="Không tìm thấy tỉnh.")
    commune = add_commune(session, province, data.code, data.name)
    session.commit()
    return CommunePublic.model_validate(commune)


@router.post("/communes/{commune_code}/devices", status_code=201)
def create_device(
    commune_code: str, data: DeviceCreate, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> ProvisionedDevice:
    """Register a cluster. The response carries its MQTT password: the only time it is shown."""
    require_role(user, Role.ADMIN)
    device, creds = provision_device(
        session, services.settings, commune_code, data.code, data.name, by=user, metadata=data
    )
    mqtt = services.settings.mqtt
    return ProvisionedDevice(
        device=device_public(session, device),
        credentials=MqttCredentials(
            client_id=creds.client_id,
            username=creds.username,
            password=creds.password,
            host=mqtt.host,
            port=mqtt.port,
        ),
        command_public_key=services.command_public_key(),
    )


@router.get("/communes/{commune_code}/devices")
def list_devices(commune_code: str, session: SessionDep, user: CurrentUser) -> list[DevicePublic]:
    commune = get_commune(session, commune_code)
    require_commune(session, user, commune)
    devices = session.exec(select(Device).where(Device.commune_id == commune.id).order_by(col(Device.code)))
    return [device_public(session, d) for d in devices]


def _device_in_scope(session: SessionDep, user: CurrentUser, code: str) -> Device:
    device = get_device(session, code)
    commune = session.get(Commune, device.commune_id)
    assert commune is not None
    require_commune(session, user, commune)
    return device


@router.get("/devices/{code}")
def read_device(code: str, session: SessionDep, user: CurrentUser) -> DevicePublic:
    return device_public(session, _device_in_scope(session, user, code))


@router.patch("/devices/{code}")
def patch_device(code: str, data: DeviceUpdate, session: SessionDep, user: CurrentUser) -> DevicePublic:
    """Change a cluster's name or installation facts (hamlet, GPS, horns, amplifier, network, date)."""
    require_role(user, Role.ADMIN)
    device = update_device(session, get_device(session, code), data)
    audit.record(session, user, "device.update", f"device:{code}", ", ".join(sorted(data.model_fields_set)))
    session.commit()
    return device_public(session, device)


@router.post("/devices/{code}/revoke")
def revoke(code: str, session: SessionDep, user: CurrentUser, services: ServicesDep) -> DevicePublic:
    """Revoke a cluster: the broker refuses its login from now on (auth files rewritten and reloaded)."""
    require_role(user, Role.ADMIN)
    device = revoke_device(session, services.settings, code, by=user)
    return device_public(session, device)


@router.post("/communes/{commune_code}/hamlets", status_code=201)
def create_hamlet(commune_code: str, data: HamletCreate, session: SessionDep, user: CurrentUser) -> HamletPublic:
    require_role(user, Role.ADMIN)
    commune = get_commune(session, commune_code)
    hamlet = add_hamlet(session, commune, data.code, data.name)
    audit.record(session, user, "hamlet.add", f"hamlet:{commune.code}/{data.code}", data.name)
    session.commit()
    return HamletPublic.model_validate(hamlet)


@router.get("/communes/{commune_code}/hamlets")
def read_hamlets(commune_code: str, session: SessionDep, user: CurrentUser) -> list[HamletPublic]:
    commune = get_commune(session, commune_code)
    require_commune(session, user, commune)
    return [HamletPublic.model_validate(h) for h in list_hamlets(session, commune)]


@router.get("/communes/{commune_code}/plays")
def list_plays(commune_code: str, session: SessionDep, user: CurrentUser, limit: int = 200) -> list[PlayRecordPublic]:
    """Proof of play, newest first. A report with `flag_reason` set did not match what the controller sent
    that cluster: kept for investigation, not counted as aired (docs/protocol.md)."""
    commune = get_commune(session, commune_code)
    require_commune(session, user, commune)
    rows = session.exec(
        select(PlayRecord)
        .where(PlayRecord.commune_code == commune.code)
        .order_by(col(PlayRecord.started_at).desc())
        .limit(max(1, min(limit, 1000)))
    )
    return [PlayRecordPublic.model_validate(r) for r in rows]
