"""The node's audio cache: files named by sha256, verified before they are kept and before they play.

A download in progress lives beside the cache as `<sha256>.<codec>.part` (with the server's ETag in
`<sha256>.<codec>.part.etag`), so a download cut by the network resumes where it stopped. The part is
hashed as a whole and only then renamed into the cache: a file under its final name is always complete.

The stock library's files are pinned beside it, in their own directory (`firmware_sim.stock_library`):
only a new library version that no longer lists one removes it.
"""

from __future__ import annotations

import hashlib
import os
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

    def part_path(self, sha256: str, codec: str) -> Path:
        return self.root / f"{sha256}.{codec}.part"

    def part_size(self, sha256: str, codec: str) -> int:
        try:
            return self.part_path(sha256, codec).stat().st_size
        except OSError:
            return 0

    def part_etag(self, sha256: str, codec: str) -> str:
        try:
            return self._etag_path(sha256, codec).read_text().strip()
        except OSError:
            return ""

    def start_part(self, sha256: str, codec: str, etag: str) -> None:
        """Begin a download from zero (dropping any earlier part)."""
        self.part_path(sha256, codec).write_bytes(b"")
        write_atomically(self._etag_path(sha256, codec), etag.encode())

    def append_part(self, sha256: str, codec: str, chunk: bytes) -> None:
        with self.part_path(sha256, codec).open("ab") as handle:
            handle.write(chunk)

    def discard_part(self, sha256: str, codec: str) -> None:
        self.part_path(sha256, codec).unlink(missing_ok=True)
        self._etag_path(sha256, codec).unlink(missing_ok=True)

    def commit_part(self, sha256: str, codec: str) -> bytes:
        """Verify the finished part and move it into the cache; a part that does not verify is deleted."""
        part = self.part_path(sha256, codec)
        with part.open("rb+") as handle:
            data = handle.read()
            actual = hashlib.sha256(data).hexdigest()
            if actual == sha256:
                os.fsync(handle.fileno())
        if actual != sha256:
            self.discard_part(sha256, codec)
            raise ChecksumMismatch(f"expected {sha256}, got {actual}")
        os.replace(part, self.path(sha256, codec))
        self._etag_path(sha256, codec).unlink(missing_ok=True)
        return data

    def _etag_path(self, sha256: str, codec: str) -> Path:
        return self.root / f"{sha256}.{codec}.part.etag"

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
