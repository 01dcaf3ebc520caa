"""Keeps mosquitto's password file and ACL in step with the registry.

Each device may read its commune's topics and its own command topic, and publish only its own uplink.
mosquitto re-reads both files on SIGHUP, so a change takes effect without dropping connections.
"""

from __future__ import annotations

import logging
import os
import signal
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from devices.credentials import hash_password
from devices.protocol import (
    TOPIC_ROOT,
    commune_topics_filter,
    device_ack_topic,
    device_heartbeat_topic,
    device_play_topic,
    device_relay_topic,
    device_result_topic,
    device_state_topic,
)
from devices.registry import active_devices
from devices.settings import MqttSettings

log = logging.getLogger(__name__)

# The only topics a device may publish to: its own uplink channels.
_DEVICE_UPLINKS = (
    device_state_topic,
    device_play_topic,
    device_heartbeat_topic,
    device_ack_topic,
    device_result_topic,
    device_relay_topic,
)


@dataclass(frozen=True)
class BrokerAccount:
    username: str
    password_hash: str
    commune_code: str | None  # None: a loaxa service account with access to all of loaxa's topics


def service_account(settings: MqttSettings) -> BrokerAccount:
    """This instance's account."""
    return BrokerAccount(
        username=settings.username,
        password_hash=hash_password(settings.password.get_secret_value(), settings.password_hash_iterations),
        commune_code=None,
    )


def service_accounts(settings: MqttSettings) -> list[BrokerAccount]:
    """Every controller instance's account (`service_usernames`), with the one password they share."""
    password_hash = hash_password(settings.password.get_secret_value(), settings.password_hash_iterations)
    return [
        BrokerAccount(username=name, password_hash=password_hash, commune_code=None)
        for name in settings.service_username_list()
    ]


def render_password_file(accounts: Iterable[BrokerAccount]) -> str:
    return "".join(f"{a.username}:{a.password_hash}\n" for a in accounts)


def render_acl(accounts: Iterable[BrokerAccount]) -> str:
    lines = ["# Written by loaxa from its device registry; edits here are overwritten.", ""]
    for account in accounts:
        lines.append(f"user {account.username}")
        if account.commune_code is None:
            lines.append(f"topic readwrite {TOPIC_ROOT}/#")
        else:
            lines.append(f"topic read {commune_topics_filter(account.commune_code)}")
            lines.append(f"topic read {TOPIC_ROOT}/devices/{account.username}/cmd/#")
            lines.extend(f"topic write {uplink(account.username)}" for uplink in _DEVICE_UPLINKS)
        lines.append("")
    return "\n".join(lines)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        # Group-readable: mosquitto reads the files through a shared group (see systemd/README.md).
        os.chmod(tmp, 0o640)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_auth_files(settings: MqttSettings, accounts: list[BrokerAccount]) -> bool:
    """Write both files and ask mosquitto to reload them. False when mirroring is not configured."""
    if settings.password_file is None or settings.acl_file is None:
        return False
    _write_atomically(settings.password_file, render_password_file(accounts))
    _write_atomically(settings.acl_file, render_acl(accounts))
    reload_broker(settings)
    return True


def reload_broker(settings: MqttSettings) -> None:
    if settings.broker_pid_file is None:
        return
    try:
        pid = int(settings.broker_pid_file.read_text().strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError) as exc:
        # The files are written; the broker picks them up at its next start or reload.
        log.warning("could not signal the broker to reload its auth files: %s", exc)


def registry_accounts(session: Session, settings: MqttSettings) -> list[BrokerAccount]:
    """The service accounts plus every device that is not revoked."""
    accounts = service_accounts(settings)
    accounts += [
        BrokerAccount(username=device.mqtt_username, password_hash=device.password_hash, commune_code=commune.code)
        for device, commune in active_devices(session)
    ]
    return accounts


def sync_broker_auth(session: Session, settings: MqttSettings) -> bool:
    """Mirror the registry into the broker's auth files (call after any device change is committed)."""
    return write_auth_files(settings, registry_accounts(session, settings))
