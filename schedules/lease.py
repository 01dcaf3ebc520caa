"""The leader lease: which `loaxa serve` instance runs the singleton jobs, and the fencing token that proves it.

Several instances may share one PostgreSQL database. Exactly one of them, the leader, runs the jobs that
must not run twice at once (publication jobs, the health sweep, command timeouts, the source link's
outbox and feeds, the as-run sealer and the report filer). The lease is one row of `leader_lease`:
who holds it, until when (by the database's clock, so instances on machines with skewed clocks agree),
and a fencing token that grows by one at every change of holder.

- `Lease.claim()` renews the lease of the holder, or takes over a lapsed lease with the next token.
  `LeaseKeeper` calls it every `renew_s` in a thread and tells the controller when it was elected or deposed.
- `hold(session, fence)` is the fence: a conditional UPDATE of the lease row by holder and token inside
  the caller's transaction. A publication job runs it in the transaction that stores the playlist, so a
  stale leader (paused, cut off, or back after its lease lapsed and another took over) cannot commit: on
  PostgreSQL the UPDATE locks the row until commit, so a takeover either waits for the publication or
  makes it fail with `NotLeader`.

On SQLite, one instance only may run (the `serve` command holds a lock next to the database file), so
it takes the lease at once (`claim(force=True)`), even from a predecessor killed without releasing it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import BigInteger, ColumnElement, Float, cast, func, literal, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Field, Session, SQLModel, col

from schedules.errors import ScheduleError

log = logging.getLogger(__name__)

# The one lease of an installation: the singleton jobs go together (publication and the sweeps share state).
LEADER = "leader"


class NotLeader(ScheduleError):
    """This instance's fencing token is no longer the lease's: another instance leads now."""

    code = "not_leader"
    http_status = 503
    message_vi = "Máy chủ này không còn giữ quyền điều phối lịch phát; máy chủ khác đã tiếp quản."


class LeaderLease(SQLModel, table=True):
    """The lease row (one per `name`; migration 0026 inserts the `leader` row, lapsed, token 0)."""

    __tablename__ = "leader_lease"

    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(default="", max_length=200)
    token: int = Field(default=0, sa_type=BigInteger)
    # Seconds since the epoch by the database's clock; a lease with expires_at < now may be taken over.
    expires_at: float = Field(default=0.0, sa_type=Float)


@dataclass(frozen=True)
class Fence:
    """What a leader shows to write as the leader: the lease, its holder, and the token it was given."""

    name: str
    holder: str
    token: int


def database_now(session: Session) -> ColumnElement[float]:
    """Now, in seconds since the epoch, by the database's clock (the same for every instance)."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday("now") - 2440587.5) * 86400.0
    return cast(func.extract("epoch", func.clock_timestamp()), Float)


def hold(session: Session, fence: Fence) -> None:
    """Check, inside the caller's transaction, that `fence` still holds the lease; NotLeader otherwise.

    The UPDATE changes nothing but locks the lease row until the caller commits or rolls back, so no
    takeover can slip in between this check and the caller's commit.
    """
    result = session.connection().execute(
        update(LeaderLease)
        .where(
            col(LeaderLease.name) == fence.name,
            col(LeaderLease.holder) == fence.holder,
            col(LeaderLease.token) == fence.token,
        )
        .values(token=col(LeaderLease.token))
    )
    if result.rowcount != 1:
        raise NotLeader(f"{fence.holder} no longer holds lease {fence.name!r} with token {fence.token}")


def instance_name() -> str:
    """A name no other instance has, now or later: host, process, and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """One instance's side of a lease row."""

    def __init__(
        self, sessions: Callable[[], Session], *, duration_s: float, name: str = LEADER, holder: str | None = None
    ) -> None:
        self._sessions = sessions
        self.name = name
        self.holder = holder or instance_name()
        self.duration_s = duration_s
        self._fence: Fence | None = None
        self._lock = threading.Lock()

    @property
    def fence(self) -> Fence | None:
        """The fence this instance last obtained, or None if it is not (or no longer) the leader."""
        with self._lock:
            return self._fence

    def claim(self, *, force: bool = False) -> Fence | None:
        """Renew the lease if held; otherwise take it over if it lapsed (or at once with `force`).

        Returns the fence when this instance holds the lease afterwards, None otherwise. Database errors
        propagate: the caller decides how long it may go on believing it leads.
        """
        with self._sessions() as session:
            now = database_now(session)
            until = now + literal(self.duration_s, Float)
            mine = self.fence
            fence = None
            if mine is not None and not force:
                renewed = session.connection().execute(
                    update(LeaderLease)
                    .where(
                        col(LeaderLease.name) == self.name,
                        col(LeaderLease.holder) == self.holder,
                        col(LeaderLease.token) == mine.token,
                    )
                    .values(expires_at=until)
                )
                if renewed.rowcount == 1:
                    fence = mine
            if fence is None:
                taken = session.connection().execute(
                    update(LeaderLease)
                    .where(col(LeaderLease.name) == self.name, *(() if force else (col(LeaderLease.expires_at) < now,)))
                    .values(holder=self.holder, token=col(LeaderLease.token) + 1, expires_at=until)
                    .returning(col(LeaderLease.token))
                )
                token = taken.scalar_one_or_none()
                if token is not None:
                    fence = Fence(self.name, self.holder, int(token))
            session.commit()
        with self._lock:
            self._fence = fence
        return fence

    def release(self) -> None:
        """Let the lease lapse now (a clean shutdown), so another instance takes over without waiting."""
        mine = self.fence
        with self._lock:
            self._fence = None
        if mine is None:
            return
        with self._sessions() as session:
            session.connection().execute(
                update(LeaderLease)
                .where(
                    col(LeaderLease.name) == self.name,
                    col(LeaderLease.holder) == self.holder,
                    col(LeaderLease.token) == mine.token,
                )
                .values(expires_at=0.0)
            )
            session.commit()

    def forget(self) -> None:
        """Stop believing this instance leads (its lease may have lapsed while it could not renew)."""
        with self._lock:
            self._fence = None


# Told of a change of leadership: elected with the new fence, or deposed (None).
LeadershipListener = Callable[[Fence | None], None]


class LeaseKeeper:
    """Claims the lease every `renew_s` in a daemon thread and tells `on_change` when leadership changes.

    A leader that cannot renew (the database is away) steps down by itself once `duration_s` has passed
    since its last successful renewal began: by then another instance may have taken over. Measured on
    the monotonic clock from before the renewal was sent, so a slow answer only shortens the belief.
    """

    def __init__(self, lease: Lease, *, renew_s: float, on_change: LeadershipListener, force: bool = False) -> None:
        self.lease = lease
        self._renew_s = renew_s
        self._on_change = on_change
        self._force = force
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="leader-lease", daemon=True)
        self._leading: Fence | None = None
        self._valid_until = 0.0
        self._changing = threading.RLock()

    @property
    def leading(self) -> Fence | None:
        return self._leading

    def start(self) -> None:
        """Claim once now (so a lone instance starts its jobs before it serves), then keep claiming."""
        self._round(force=self._force)
        self._thread.start()

    def stop(self) -> None:
        """Stop claiming, step down (the listener stops the jobs) and release the lease for the next leader."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)
        self._change(None)
        try:
            self.lease.release()
        except SQLAlchemyError as exc:
            log.warning("lease %s not released (it lapses by itself): %s", self.lease.name, exc)

    def step_down(self) -> None:
        """Stop leading now (a job found its fence refused); claim again only once the lease lapses."""
        self.lease.forget()
        self._change(None)

    def _run(self) -> None:
        while not self._stop.wait(self._renew_s):
            self._round(force=False)

    def _round(self, *, force: bool) -> None:
        started = time.monotonic()
        try:
            fence = self.lease.claim(force=force)
        except SQLAlchemyError as exc:
            if self._leading is not None and time.monotonic() >= self._valid_until:
                held_s = self.lease.duration_s
                log.error("lease %s not renewed for %.0f s: stepping down (%s)", self.lease.name, held_s, exc)
                self.lease.forget()
                self._change(None)
            else:
                log.warning("lease %s not claimed, trying again in %.1f s: %s", self.lease.name, self._renew_s, exc)
            return
        if fence is not None:
            self._valid_until = started + self.lease.duration_s
        self._change(fence)

    def _change(self, fence: Fence | None) -> None:
        with self._changing:
            if fence == self._leading:
                return
            previous, self._leading = self._leading, fence
            if previous is not None and fence is not None:
                # A new token without having stepped down (a forced claim): the jobs restart under it.
                self._notify(None)
            if fence is None:
                log.warning("%s no longer leads (lease %s)", self.lease.holder, self.lease.name)
                self._notify(None)
                return
            log.info("%s leads (lease %s, token %d)", self.lease.holder, fence.name, fence.token)
            if not self._notify(fence):
                # The jobs did not start (the database went away meanwhile...): give way, and try again later.
                self._leading = None
                self._notify(None)
                try:
                    self.lease.release()
                except SQLAlchemyError as exc:
                    self.lease.forget()
                    log.warning("lease %s not released (it lapses by itself): %s", self.lease.name, exc)

    def _notify(self, fence: Fence | None) -> bool:
        try:
            self._on_change(fence)
        except Exception:
            log.exception("the leadership listener failed on %s", "election" if fence else "deposition")
            return False
        return True
