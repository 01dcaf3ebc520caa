"""Registering clusters: the registry row, its credentials, and the broker's auth files, in one step."""

from __future__ import annotations

import logging

from sqlmodel import Session

from audio_library.timestamps import utc_now
from controller import audit
from controller.accounts import User
from controller.settings import Settings
from devices.broker import sync_broker_auth
from devices.credentials import Credentials
from devices.registry import Device, DeviceCreate, add_device, get_commune, get_device

log = logging.getLogger(__name__)


def provision_device(
    session: Session,
    settings: Settings,
    commune_code: str,
    code: str,
    name: str = "",
    *,
    by: User | None = None,
    metadata: DeviceCreate | None = None,
) -> tuple[Device, Credentials]:
    """Add a device and mirror the registry to the broker. The password in the result is shown once."""
    commune = get_commune(session, commune_code)
    device, credentials = add_device(
        session,
        commune,
        code,
        name=name,
        hash_iterations=settings.mqtt.password_hash_iterations,
        metadata=metadata,
    )
    audit.record(session, by, "device.add", f"device:{code}", f"commune {commune.code}")
    session.commit()
    _sync_broker(session, settings, code)
    return device, credentials


def revoke_device(session: Session, settings: Settings, code: str, *, by: User | None = None) -> Device:
    """Revoke a cluster's credentials: the broker refuses it from now on and HTTP pulls are refused."""
    device = get_device(session, code)
    if device.revoked_at is None:
        device.revoked_at = utc_now()
        session.add(device)
        audit.record(session, by, "device.revoke", f"device:{code}", "")
        session.commit()
    _sync_broker(session, settings, code)
    return device


def _sync_broker(session: Session, settings: Settings, code: str) -> None:
    try:
        sync_broker_auth(session, settings.mqtt)
    except OSError:
        # The registry is right; the broker files are rewritten from it at the next change or
        # controller start (for a new device: its password is shown only now, so return it anyway).
        log.exception("device %s changed, but the broker's auth files could not be written", code)
