"""Device MQTT credentials, hashed the way mosquitto's password file expects (PBKDF2-SHA512, `$7$`).

Storing the mosquitto hash means the registry can rewrite the broker's password file at any time
without ever keeping a password; the controller checks node HTTP logins against the same hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

_SALT_BYTES = 12  # what mosquitto_passwd uses


@dataclass(frozen=True)
class Credentials:
    client_id: str
    username: str
    password: str


def new_password() -> str:
    """192 random bits, URL-safe so it survives config files and shells."""
    return secrets.token_urlsafe(24)


def hash_password(password: str, iterations: int) -> str:
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, kind, rounds, salt_b64, digest_b64 = stored.split("$")
        if kind != "7":
            return False
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(digest_b64, validate=True)
        iterations = int(rounds)
    except ValueError:
        return False
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return hmac.compare_digest(digest, expected)


class VerifiedLogins:
    """Remembers which (username, password) pairs already matched which stored hash.

    Nodes poll every minute; without this, every poll pays a full PBKDF2 (about 1.7 ms of CPU). An
    entry only counts while the device's stored hash is unchanged, so a new password or a revoked
    device (checked on the row by the caller) takes effect at once. Bounded, least recently used out.
    """

    def __init__(self, max_entries: int = 100_000) -> None:
        self._max = max_entries
        self._entries: OrderedDict[tuple[str, bytes], str] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(username: str, password: str) -> tuple[str, bytes]:
        return username, hashlib.sha256(password.encode()).digest()

    def verify(self, username: str, password: str, stored_hash: str) -> bool:
        key = self._key(username, password)
        with self._lock:
            if self._entries.get(key) == stored_hash:
                self._entries.move_to_end(key)
                return True
        if not verify_password(password, stored_hash):
            return False
        with self._lock:
            self._entries[key] = stored_hash
            if len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return True
