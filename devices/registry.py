"""The device registry: provinces, communes and their loudspeaker clusters (devices)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, Session, SQLModel, col, select

from audio_library.timestamps import UtcDateTime, utc_now
from devices.credentials import Credentials, hash_password, new_password
from devices.errors import DuplicateCode, InvalidCode, UnknownCommune, UnknownDevice
from devices.protocol import is_valid_code
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
    # The commune's own jingles around every spoken bulletin (optional), as stored audio assets.
    intro_chime_sha256: str | None = Field(default=None, foreign_key="audio_asset.sha256", max_length=64)
    outro_chime_sha256: str | None = Field(default=None, foreign_key="audio_asset.sha256", max_length=64)


class CommunePublic(CommuneBase):
    id: int
    province_id: int
    intro_chime_sha256: str | None = None
    outro_chime_sha256: str | None = None


class DeviceBase(SQLModel):
    code: str = Field(unique=True, index=True, max_length=64)
    name: str = Field(default="", max_length=200)


class Device(DeviceBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    commune_id: int = Field(foreign_key="commune.id", index=True)
    mqtt_username: str = Field(unique=True, max_length=64)
    password_hash: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Connection state as the broker last told us (birth / last will): unknown, online, offline.
    state: str = Field(default="unknown", max_length=16)
    state_changed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    session_seq: int = 0
    firmware: str = Field(default="", max_length=64)


class DevicePublic(DeviceBase):
    id: int
    commune_id: int
    state: str
    state_changed_at: datetime | None
    firmware: str
    revoked_at: datetime | None


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


def get_device(session: Session, code: str) -> Device:
    device = session.exec(select(Device).where(Device.code == code)).first()
    if device is None:
        raise UnknownDevice(f"no device {code[:80]!r}")
    return device


def add_device(
    session: Session, commune: Commune, code: str, *, name: str = "", hash_iterations: int
) -> tuple[Device, Credentials]:
    """Register a cluster and issue its MQTT credentials; the password is returned once, stored hashed."""
    _check_code(code)
    if session.exec(select(Device).where(Device.code == code)).first() is not None:
        raise DuplicateCode(f"device {code} exists")
    assert commune.id is not None
    password = new_password()
    device = Device(
        code=code,
        name=name,
        commune_id=commune.id,
        mqtt_username=code,
        password_hash=hash_password(password, hash_iterations),
    )
    session.add(device)
    session.flush()
    return device, Credentials(client_id=code, username=code, password=password)


def active_devices(session: Session) -> list[tuple[Device, Commune]]:
    """Devices that may connect, with their commune, in a stable order."""
    rows = session.exec(
        select(Device, Commune)
        .where(Device.commune_id == Commune.id, col(Device.revoked_at).is_(None))
        .order_by(col(Device.code))
    ).all()
    return [(device, commune) for device, commune in rows]
