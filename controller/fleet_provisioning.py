"""Identities for a simulated fleet: registered in the database once, remembered in a local file."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from controller.db import make_engine, session_factory
from controller.errors import Conflict
from controller.settings import Settings
from devices.broker import sync_broker_auth
from devices.registry import Device, add_device, get_commune
from firmware_sim import NodeIdentity, load_identities, save_identities


def fleet_codes(count: int, communes: list[str], prefix: str) -> list[tuple[str, str]]:
    """(device code, commune) pairs, spread round-robin over the communes."""
    return [
        (f"{prefix}-{communes[i % len(communes)]}-{i // len(communes) + 1:04d}", communes[i % len(communes)])
        for i in range(count)
    ]


def ensure_fleet_identities(
    settings: Settings, path: Path, count: int, communes: list[str], *, prefix: str
) -> list[NodeIdentity]:
    """Return `count` identities, registering the missing devices (then syncing the broker once)."""
    known = {ident.device_code: ident for ident in load_identities(path)}
    wanted = fleet_codes(count, communes, prefix)
    missing = [(code, commune) for code, commune in wanted if code not in known]
    if missing:
        engine = make_engine(settings.database)
        with session_factory(engine)() as session:
            for code, commune_code in missing:
                if session.exec(select(Device).where(Device.code == code)).first() is not None:
                    raise Conflict(
                        f"device {code} is registered but its password is not in {path}; use another --prefix"
                    )
                commune = get_commune(session, commune_code)
                _, creds = add_device(session, commune, code, hash_iterations=settings.mqtt.password_hash_iterations)
                known[code] = NodeIdentity(code, commune_code, creds.password)
            session.commit()
            sync_broker_auth(session, settings.mqtt)
        engine.dispose()
        path.parent.mkdir(parents=True, exist_ok=True)
        save_identities(path, list(known.values()))
    return [known[code] for code, _ in wanted]
