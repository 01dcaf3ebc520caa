"""The node's audio cache: files named by sha256, verified before they are kept and before they play."""

from __future__ import annotations

import hashlib
from pathlib import Path

from firmware_sim.state import write_atomically


class ChecksumMismatch(Exception):
    """Downloaded bytes do not hash to the sha256 the playlist promised; they are discarded."""


class AudioCache:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str, codec: str) -> Path:
        return self.root / f"{sha256}.{codec}"

    def has(self, sha256: str, codec: str) -> bool:
        return self.path(sha256, codec).is_file()

    def put(self, sha256: str, codec: str, data: bytes) -> Path:
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise ChecksumMismatch(f"expected {sha256}, got {actual}")
        path = self.path(sha256, codec)
        write_atomically(path, data)
        return path

    def read_verified(self, sha256: str, codec: str) -> bytes | None:
        """The cached bytes if present and intact; a corrupt file is deleted and None returned."""
        path = self.path(sha256, codec)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != sha256:
            path.unlink(missing_ok=True)
            return None
        return data
