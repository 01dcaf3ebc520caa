"""One `loaxa serve` per SQLite database: an exclusive lock on a file beside the database.

SQLite is the embedded, single-instance default: two controllers on one SQLite file would both lead
(`schedules.lease` lets the SQLite instance take the lease at once) and fight over its writer lock.
The lock is the kernel's (`flock`), so it is released when the process ends however it ends (`kill -9`
included) and the next `loaxa serve` starts at once. PostgreSQL needs no such lock: its instances share
the work under the leader lease.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from controller.errors import DatabaseInUse


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL; None for another database or an in-memory one."""
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[-1].split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path)


class InstanceLock:
    """Held from `acquire` until `release` (or the process's end); DatabaseInUse if another process holds it."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".serve-lock")
        self._fd: int | None = None

    def acquire(self) -> InstanceLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip()
            os.close(fd)
            raise DatabaseInUse(
                f"another loaxa serve (pid {holder or '?'}) holds {self.path}; SQLite runs one instance only, "
                "use PostgreSQL for several"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.release()
