"""The node's local state directory: every file written atomically, so a power cut leaves old or new."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class NodeState:
    """Small persistent facts: the connection counter and the playlist with its ETag."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def next_session_seq(self) -> int:
        path = self.root / "session_seq"
        try:
            seq = int(path.read_text()) + 1
        except (OSError, ValueError):
            seq = 1
        write_atomically(path, str(seq).encode())
        return seq

    def save_playlist(self, raw: bytes, etag: str) -> None:
        write_atomically(self.root / "playlist.json", raw)
        write_atomically(self.root / "playlist.meta.json", json.dumps({"etag": etag}).encode())

    def load_playlist(self) -> tuple[bytes, str] | None:
        try:
            raw = (self.root / "playlist.json").read_bytes()
            meta: dict[str, Any] = json.loads((self.root / "playlist.meta.json").read_text())
            return raw, str(meta.get("etag", ""))
        except (OSError, ValueError):
            return None
