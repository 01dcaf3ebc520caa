"""The device registry: provinces, communes, hamlets and their loudspeaker clusters (devices).

Hierarchy: province -> commune -> hamlet (ấp/thôn) -> cluster. A `Hamlet` is where a cluster is
installed (one place, part of its metadata, shown on the map). It is not a broadcast target: that is a
hamlet *group* (`schedules.hamlet.HamletGroup`), a named list of a commune's clusters that officers
address bulletins to, which may span several hamlets or only part of one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from audio_library.timestamps import UtcDateTime, utc_now
from devices.credentials import Credentials, hash_password, new_password
from devices.errors import (
    DuplicateCode,
    InvalidClusterMetadata,
    InvalidCode,
    UnknownCommune,
    UnknownDevice,
    UnknownHamlet,
    UnknownProvince,
)
from devices.protocol import Code, NetworkType, is_valid_code
from devices.settings import SERVICE_USERNAME_PREFIX


class Province(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=64)
    name: str = Field(max_length=200)


class CommuneBase(SQLModel):
    code: str = Field(unique=True, index=True, max_length=64)
    name: str = Field(max_length=200)


class Commune(CommuneBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    province_id: int = Field(foreign_key="province.id", index=True)
    # Its code in Vietnam's list of administrative units (mã đơn vị hành chính, 5 digits), which CAP
    # alerts name in `<geocode>` (`province_link.cap.area`); None until the province sets it.
    admin_code: str | None = Field(default=None, max_length=16, unique=True, index=True)
    # The commune's own jingles around every spoken bulletin (optional), as stored audio assets.
    intro_chime_sha256: str | None = Field(default=None, foreign_key="audio_asset.sha256", max_length=64)
    outro_chime_sha256: str | None = Field(default=None, foreign_key="audio_asset.sha256", max_length=64)


class CommunePublic(CommuneBase):
    id: int
    province_id: int
    intro_chime_sha256: str | None = None
    outro_chime_sha256: str | None = None


class HamletBase(SQLModel):
    code: str = Field(max_length=64)
    name: str = Field(max_length=200)


class Hamlet(HamletBase, table=True):
    """An ấp/thôn of a commune: where clusters are installed. Codes are unique within the commune."""

    __table_args__ = (UniqueConstraint("commune_id", "code", name="uq_hamlet_commune_code"),)

    id: int | None = Field(default=None, primary_key=True)
    commune_id: int = Field(foreign_key="commune.id", index=True)


class HamletCreate(HamletBase):
    code: Code
    name: str = Field(min_length=1, max_length=200)


class HamletPublic(HamletBase):
    id: int
    commune_id: int


class ClusterMetadata(SQLModel):
    """What the installer records about a cluster. Ranges are checked by `check_metadata`, with messages
    people can read, rather than by field constraints (whose errors are generic)."""

    latitude: float | None = Field(default=None, description="Degrees north, -90..90 (Vietnam: about 8..24).")
    longitude: float | None = Field(default=None, description="Degrees east, -180..180 (Vietnam: about 102..110).")
    horn_count: int | None = Field(default=None, description="Horn speakers on the cluster.")
    amplifier_watts: int | None = Field(default=None, description="Rated amplifier power.")
    installed_on: date | None = None


class DeviceBase(SQLModel):
    code: str = Field(unique=True, index=True, max_length=64)
    name: str = Field(default="", max_length=200)


class Device(DeviceBase, ClusterMetadata, table=True):
    id: int | None = Field(default=None, primary_key=True)
    commune_id: int = Field(foreign_key="commune.id", index=True)
    hamlet_id: int | None = Field(default=None, foreign_key="hamlet.id", index=True)
    # One of devices.protocol.NetworkType (a plain string column).
    network_type: str = Field(default="unknown", max_length=16)
    mqtt_username: str = Field(unique=True, max_length=64)
    password_hash: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Connection state as the broker last told us (birth / last will): unknown, online, offline.
    state: str = Field(default="unknown", max_length=16)
    state_changed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    session_seq: int = 0
    firmware: str = Field(default="", max_length=64)


class DevicePublic(DeviceBase, ClusterMetadata):
    id: int
    commune_id: int
    hamlet_id: int | None = None
    hamlet: str | None = Field(default=None, description="Code of the hamlet where the cluster is installed.")
    network_type: str = "unknown"
    state: str
    state_changed_at: datetime | None
    firmware: str
    revoked_at: datetime | None


class DeviceCreate(ClusterMetadata):
    code: Code
    name: str = Field(default="", max_length=200)
    hamlet: str | None = Field(default=None, description="Code of a hamlet of the device's commune.")
    network_type: NetworkType = "unknown"


class DeviceUpdate(ClusterMetadata):
    """Only the fields sent are changed; `"hamlet": null` detaches the cluster from its hamlet."""

    name: str | None = Field(default=None, max_length=200)
    hamlet: str | None = None
    network_type: NetworkType | None = None


def check_metadata(metadata: ClusterMetadata) -> None:
    """Refuse impossible values, naming the field in Vietnamese."""
    if metadata.latitude is not None and not -90 <= metadata.latitude <= 90:
        raise InvalidClusterMetadata(
            f"latitude {metadata.latitude} out of range", message_vi="Vĩ độ phải nằm trong khoảng -90 đến 90."
        )
    if metadata.longitude is not None and not -180 <= metadata.longitude <= 180:
        raise InvalidClusterMetadata(
            f"longitude {metadata.longitude} out of range", message_vi="Kinh độ phải nằm trong khoảng -180 đến 180."
        )
    if (metadata.latitude is None) != (metadata.longitude is None):
        raise InvalidClusterMetadata("latitude and longitude go together", message_vi="Cần nhập cả vĩ độ và kinh độ.")
    if metadata.horn_count is not None and not 0 <= metadata.horn_count <= 1000:
        raise InvalidClusterMetadata(
            f"horn_count {metadata.horn_count}", message_vi="Số loa phải là số nguyên từ 0 đến 1000."
        )
    if metadata.amplifier_watts is not None and not 0 <= metadata.amplifier_watts <= 100_000:
        raise InvalidClusterMetadata(
            f"amplifier_watts {metadata.amplifier_watts}",
            message_vi="Công suất âm ly phải là số nguyên từ 0 đến 100.000 W.",
        )


def _check_code(code: str) -> None:
    if not is_valid_code(code) or code.startswith(SERVICE_USERNAME_PREFIX):
        raise InvalidCode(f"invalid code {code[:80]!r}")


def add_province(session: Session, code: str, name: str) -> Province:
    _check_code(code)
    if session.exec(select(Province).where(Province.code == code)).first() is not None:
        raise DuplicateCode(f"province {code} exists")
    province = Province(code=code, name=name)
    session.add(province)
    session.flush()
    return province


def add_commune(session: Session, province: Province, code: str, name: str) -> Commune:
    _check_code(code)
    if session.exec(select(Commune).where(Commune.code == code)).first() is not None:
        raise DuplicateCode(f"commune {code} exists")
    assert province.id is not None
    commune = Commune(code=code, name=name, province_id=province.id)
    session.add(commune)
    session.flush()
    return commune


def get_commune(session: Session, code: str) -> Commune:
    commune = session.exec(select(Commune).where(Commune.code == code)).first()
    if commune is None:
        raise UnknownCommune(f"no commune {code[:80]!r}")
    return commune


def get_province(session: Session, code: str) -> Province:
    province = session.exec(select(Province).where(Province.code == code)).first()
    if province is None:
        raise UnknownProvince(f"no province {code[:80]!r}")
    return province


def province_communes(session: Session, province: Province) -> list[Commune]:
    """The province's communes, by code."""
    return list(session.exec(select(Commune).where(Commune.province_id == province.id).order_by(col(Commune.code))))


def add_hamlet(session: Session, commune: Commune, code: str, name: str) -> Hamlet:
    _check_code(code)
    assert commune.id is not None
    if _find_hamlet(session, commune, code) is not None:
        raise DuplicateCode(f"hamlet {code} exists in commune {commune.code}")
    hamlet = Hamlet(commune_id=commune.id, code=code, name=name)
    session.add(hamlet)
    session.flush()
    return hamlet


def _find_hamlet(session: Session, commune: Commune, code: str) -> Hamlet | None:
    return session.exec(select(Hamlet).where(Hamlet.commune_id == commune.id, Hamlet.code == code)).first()


def get_hamlet(session: Session, commune: Commune, code: str) -> Hamlet:
    hamlet = _find_hamlet(session, commune, code)
    if hamlet is None:
        raise UnknownHamlet(f"no hamlet {code[:80]!r} in commune {commune.code}")
    return hamlet


def list_hamlets(session: Session, commune: Commune) -> list[Hamlet]:
    return list(session.exec(select(Hamlet).where(Hamlet.commune_id == commune.id).order_by(col(Hamlet.code))))


def get_device(session: Session, code: str) -> Device:
    device = session.exec(select(Device).where(Device.code == code)).first()
    if device is None:
        raise UnknownDevice(f"no device {code[:80]!r}")
    return device


def add_device(
    session: Session,
    commune: Commune,
    code: str,
    *,
    name: str = "",
    hash_iterations: int,
    metadata: DeviceCreate | None = None,
) -> tuple[Device, Credentials]:
    """Register a cluster and issue its MQTT credentials; the password is returned once, stored hashed.

    `metadata` (its code and name are ignored in favour of the arguments) adds the installation facts.
    """
    _check_code(code)
    if session.exec(select(Device).where(Device.code == code)).first() is not None:
        raise DuplicateCode(f"device {code} exists")
    assert commune.id is not None
    extra: dict[str, Any] = {}
    if metadata is not None:
        check_metadata(metadata)
        extra = metadata.model_dump(include=set(ClusterMetadata.model_fields) | {"network_type"})
        if metadata.hamlet is not None:
            extra["hamlet_id"] = get_hamlet(session, commune, metadata.hamlet).id
    password = new_password()
    device = Device(
        code=code,
        name=name,
        commune_id=commune.id,
        mqtt_username=code,
        password_hash=hash_password(password, hash_iterations),
        **extra,
    )
    session.add(device)
    session.flush()
    return device, Credentials(client_id=code, username=code, password=password)


def update_device(session: Session, device: Device, changes: DeviceUpdate) -> Device:
    """Apply the fields that `changes` sets; the result is checked as a whole before it is kept."""
    sent = changes.model_dump(exclude_unset=True)
    merged = ClusterMetadata.model_validate(
        {field: sent.get(field, getattr(device, field)) for field in ClusterMetadata.model_fields}
    )
    check_metadata(merged)
    if "hamlet" in sent:
        if sent["hamlet"] is None:
            device.hamlet_id = None
        else:
            commune = session.get(Commune, device.commune_id)
            assert commune is not None
            device.hamlet_id = get_hamlet(session, commune, sent["hamlet"]).id
    for field in ClusterMetadata.model_fields:
        setattr(device, field, getattr(merged, field))
    if sent.get("name") is not None:
        device.name = sent["name"]
    if sent.get("network_type") is not None:
        device.network_type = sent["network_type"]
    session.add(device)
    session.flush()
    return device


def device_public(session: Session, device: Device) -> DevicePublic:
    public = DevicePublic.model_validate(device)
    if device.hamlet_id is not None:
        hamlet = session.get(Hamlet, device.hamlet_id)
        public.hamlet = hamlet.code if hamlet else None
    return public


def active_devices(session: Session) -> list[tuple[Device, Commune]]:
    """Devices that may connect, with their commune, in a stable order."""
    rows = session.exec(
        select(Device, Commune)
        .where(Device.commune_id == Commune.id, col(Device.revoked_at).is_(None))
        .order_by(col(Device.code))
    ).all()
    return [(device, commune) for device, commune in rows]
