"""Device MQTT credentials, hashed the way mosquitto's password file expects (PBKDF2-SHA512, `$7$`).

Storing the mosquitto hash means the registry can rewrite the broker's password file at any time
without ever keeping a password; the controller checks node HTTP logins against the same hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
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
