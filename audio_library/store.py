"""Content-addressed storage of finished broadcast audio: one file per sha256, written atomically."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from audio_library.errors import AssetNotFound

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
CODEC_SUFFIX = {"opus": ".opus", "mp3": ".mp3"}


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    path: Path
    size_bytes: int


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class AssetStore:
    """Files live at `<root>/<sha[:2]>/<sha>.<codec>`; the same bytes are only ever stored once."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str, codec: str) -> Path:
        if not _SHA256_RE.match(sha256) or codec not in CODEC_SUFFIX:
            raise AssetNotFound(f"no such asset: {sha256[:80]!r}.{codec[:10]!r}")
        return self.root / sha256[:2] / f"{sha256}{CODEC_SUFFIX[codec]}"

    def put(self, data: bytes, codec: str) -> StoredFile:
        sha = sha256_bytes(data)
        path = self.path_for(sha, codec)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return StoredFile(sha256=sha, path=path, size_bytes=len(data))

    def open_path(self, sha256: str, codec: str) -> Path:
        """The path of a stored file; AssetNotFound if it is not there."""
        path = self.path_for(sha256, codec)
        if not path.is_file():
            raise AssetNotFound(f"asset {sha256} ({codec}) is not stored")
        return path
