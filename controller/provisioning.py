"""Registering clusters: the registry row, its credentials, and the broker's auth files, in one step."""

from __future__ import annotations

import logging

from sqlmodel import Session

from controller import audit
from controller.accounts import User
from controller.settings import Settings
from devices.broker import sync_broker_auth
from devices.credentials import Credentials
from devices.registry import Device, add_device, get_commune

log = logging.getLogger(__name__)


def provision_device(
    session: Session, settings: Settings, commune_code: str, code: str, name: str = "", *, by: User | None = None
) -> tuple[Device, Credentials]:
    """Add a device and mirror the registry to the broker. The password in the result is shown once."""
    commune = get_commune(session, commune_code)
    device, credentials = add_device(
        session, commune, code, name=name, hash_iterations=settings.mqtt.password_hash_iterations
    )
    audit.record(session, by, "device.add", f"device:{code}", f"commune {commune.code}")
    session.commit()
    try:
        sync_broker_auth(session, settings.mqtt)
    except OSError:
        # The device exists and its password is shown only now: return it. The broker files are
        # rewritten from the registry at the next change or controller start.
        log.exception("device %s registered, but the broker's auth files could not be written", code)
    return device, credentials
