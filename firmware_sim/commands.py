"""The node's side of signed commands: is this command real, fresh, for me, and new?

Checked in this order: the envelope parses (else `malformed`), it names the key this node trusts
(`unknown_key`), the Ed25519 signature over the exact body text verifies (`bad_signature`), the body is
addressed to this device or its commune (`not_for_me`), `issued_at` is within `command_max_age_s` of
the node's clock either way (`stale`), and its nonce has not been seen (`replayed`). Nonces are kept
for as long as their command could still pass the freshness check, in a file written atomically, so a
reboot does not reopen the window for replays.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from devices.protocol import MAX_PAYLOAD_BYTES, CommandBody, ProtocolError, RefusalReason, SignedCommand, decode
from firmware_sim.state import write_atomically

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    """What to do with one received command: run `body`, or refuse with `reason`.

    `command_id` is None only when nothing in the payload names a command: then nobody is told.
    """

    command_id: str | None
    body: CommandBody | None = None
    reason: RefusalReason | None = None


class NonceStore:
    """Nonces of accepted commands with the instant until which each must be remembered."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._until: dict[str, datetime] = {}
        try:
            raw: dict[str, str] = json.loads(path.read_text())
            self._until = {nonce: datetime.fromisoformat(until) for nonce, until in raw.items()}
        except FileNotFoundError:
            pass
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            # Refusing every command forever would be worse; the freshness window still bounds replays.
            log.error("nonce store %s unreadable, starting empty: %s", path, exc)

    def __contains__(self, nonce: str) -> bool:
        return nonce in self._until

    def __len__(self) -> int:
        return len(self._until)

    def remember(self, nonce: str, until: datetime, now: datetime) -> None:
        """Keep `nonce` until `until`, forget expired ones, and store the set before returning."""
        self._until = {n: u for n, u in self._until.items() if u >= now}
        self._until[nonce] = until
        data = {n: u.isoformat() for n, u in self._until.items()}
        try:
            write_atomically(self.path, json.dumps(data).encode())
        except OSError as exc:
            # Still refused while the node runs; only a reboot within the window could let it through.
            log.error("nonce store %s not written: %s", self.path, exc)


def _command_id_in(payload: bytes) -> str | None:
    """A command id recoverable from a payload that did not verify, to address the refusal to."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return None  # oversized: not worth parsing, and nobody to answer
    try:
        data: Any = json.loads(payload)
        if isinstance(data, dict) and isinstance(data.get("body"), str):
            data = json.loads(data["body"])
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    command_id = data.get("command_id")
    if isinstance(command_id, str) and 1 <= len(command_id) <= 64:
        return command_id
    return None


def _looks_unsigned(payload: bytes) -> bool:
    """A bare command body, or an envelope whose signature is missing or not a signature at all."""
    try:
        data: Any = json.loads(payload)
    except (ValueError, RecursionError):
        return False
    if not isinstance(data, dict):
        return False
    signature = data.get("signature")
    has_signature = isinstance(signature, str) and len(signature) == 88
    return data.get("type") == "command" or (data.get("type") == "signed_command" and not has_signature)


class CommandVerifier:
    def __init__(
        self, public_key_b64: str, *, device_code: str, commune: str, max_age_s: float, nonces: NonceStore
    ) -> None:
        self.device_code = device_code
        self.commune = commune
        self.max_age = timedelta(seconds=max_age_s)
        self.nonces = nonces
        self._key: Ed25519PublicKey | None = None
        self.key_id = ""
        if public_key_b64:
            try:
                raw = base64.b64decode(public_key_b64, validate=True)
                self._key = Ed25519PublicKey.from_public_bytes(raw)
                self.key_id = hashlib.sha256(raw).hexdigest()[:16]
            except (binascii.Error, ValueError) as exc:
                log.error("command public key unusable, every command will be refused: %s", exc)

    def signed_by_controller(self, data: bytes, key_id: str | None, signature: str | None) -> bool:
        """Whether `signature` (base64 Ed25519) over `data` is the controller's, by the key named `key_id`."""
        if self._key is None or key_id != self.key_id or not signature:
            return False
        try:
            self._key.verify(base64.b64decode(signature, validate=True), data)
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True

    def check(self, payload: bytes, now: datetime) -> Verdict:
        """Judge one payload from a `cmd` topic; an accepted command's nonce is stored before this returns."""
        try:
            envelope = decode(SignedCommand, payload)
        except ProtocolError:
            reason: RefusalReason = "bad_signature" if _looks_unsigned(payload) else "malformed"
            return Verdict(_command_id_in(payload), reason=reason)
        command_id = _command_id_in(envelope.body_bytes())
        if self._key is None or envelope.key_id != self.key_id:
            return Verdict(command_id, reason="unknown_key")
        try:
            self._key.verify(base64.b64decode(envelope.signature), envelope.body_bytes())
        except (InvalidSignature, binascii.Error, ValueError):
            return Verdict(command_id, reason="bad_signature")
        try:
            body = CommandBody.model_validate_json(envelope.body)
        except ValidationError:
            return Verdict(command_id, reason="malformed")
        mine = self.device_code if body.scope == "device" else self.commune
        if body.target != mine:
            return Verdict(body.command_id, reason="not_for_me")
        if abs(now - body.issued_at) > self.max_age:
            return Verdict(body.command_id, reason="stale")
        if body.nonce in self.nonces:
            return Verdict(body.command_id, reason="replayed")
        # Remembered past the end of its window by one more window, so a clock stepped back a little
        # after the nonce was forgotten cannot make the command fresh again.
        self.nonces.remember(body.nonce, body.issued_at + 2 * self.max_age, now)
        return Verdict(body.command_id, body=body)


VOLUME_FILE = "volume"


def load_volume(state_dir: Path, default: int = 100) -> int:
    """The output volume last set by a command, so it survives a restart."""
    try:
        volume = int((state_dir / VOLUME_FILE).read_text())
    except (OSError, ValueError):
        return default
    return volume if 0 <= volume <= 100 else default


def save_volume(state_dir: Path, volume: int) -> None:
    write_atomically(state_dir / VOLUME_FILE, str(volume).encode())
