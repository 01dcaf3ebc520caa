"""The controller's command-signing key: Ed25519, kept in a PEM file that is created once, mode 0600.

Nodes get the public key (raw 32 bytes, base64) at provisioning and refuse any command it did not sign,
so a stolen broker password alone cannot make a speaker talk.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devices.errors import DeviceError
from devices.protocol import CommandBody, SignedCommand


class SigningKeyUnusable(DeviceError):
    code = "signing_key_unusable"
    http_status = 500
    message_vi = "Không đọc được khóa ký lệnh của hệ thống."


def key_id_of(public_raw: bytes) -> str:
    """The key's short name on the wire: the first 16 hex digits of the sha256 of its raw public bytes."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


def _create_atomically(path: Path, pem: bytes) -> None:
    """Write a new key file with mode 0600 from the start; if another process won the race, keep theirs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        # link() fails if the file exists: two controllers starting together end up with the same key.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


class CommandSigner:
    """Signs command bodies with the controller's key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_raw = private_key.public_key().public_bytes_raw()
        self.key_id = key_id_of(self.public_raw)
        self.public_key_b64 = base64.b64encode(self.public_raw).decode()

    @classmethod
    def load_or_create(cls, path: Path) -> CommandSigner:
        """The key in `path`, created there on first use."""
        try:
            if not path.exists():
                pem = Ed25519PrivateKey.generate().private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
                _create_atomically(path, pem)
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise SigningKeyUnusable(f"cannot read the command-signing key {path}: {exc}") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyUnusable(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
        return cls(key)

    def sign_bytes(self, data: bytes) -> str:
        """The base64 signature of exactly `data` (for another key file than the commands': see its users)."""
        return base64.b64encode(self._key.sign(data)).decode()

    def sign(self, body: CommandBody) -> SignedCommand:
        text = body.model_dump_json()
        signature = self._key.sign(text.encode())
        return SignedCommand(body=text, key_id=self.key_id, signature=base64.b64encode(signature).decode())
