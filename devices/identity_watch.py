"""Noticing a cluster's MQTT identity used from two places at once (a stolen node password).

mosquitto binds the client id to the username, so a second client logging in with a node's password
takes the session over: the broker drops the real node, which reconnects and takes it back, and so on,
every few seconds. Each time the real node comes back it publishes a birth (`state` "online") with a
new `session_seq`; an impostor running a node agent publishes its own. The signal is therefore the
number of distinct births (session number and time) heard for one cluster within a sliding window.

A normal restart or reconnect is one birth; a reboot command, one; even a poor 4G link needs a
keep-alive timeout (1.5 x 30 s) to notice a drop, so a genuine cluster seldom reconnects more than a
handful of times in five minutes, while a takeover fight makes one birth every second or two. A
retained birth delivered again (the controller reconnected) has the same session number and time and
is not counted twice.

The births are counted in the database (`device_birth`), not in memory: with several controller
instances, the broker hands each birth to one of them (a shared subscription), so each instance hears
only its share, while the count must cover them all. Each birth is stored (in the transaction that
stores the cluster's new state: one commit per birth, as before), then counted after its commit, so of
two instances storing births of one cluster at once, the later one counts both. A
cluster keeps at most `births_max` rows, none older than the window: a flood of births costs a few small
statements each, and the table stays as small as the fleet.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, Session, SQLModel, UniqueConstraint, col, select

from audio_library.timestamps import UtcDateTime


class DeviceBirth(SQLModel, table=True):
    """One distinct birth of a cluster heard within the identity watch's window."""

    __tablename__ = "device_birth"
    __table_args__ = (UniqueConstraint("device_id", "birth_key"),)

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="device.id", index=True)
    # "<session_seq>|<the node's time of birth, ISO 8601, or ->": what makes two births the same one.
    birth_key: str = Field(max_length=80)
    # When a controller instance heard it (its clock; instances' clocks agree to well within a window).
    heard_at: datetime = Field(sa_type=UtcDateTime)


def _now() -> datetime:
    return datetime.now(UTC)


class IdentityWatch:
    """`birth(session, device_id, session_seq, at)` returns how many distinct births fell within the window
    when that reaches `births_max`, else None."""

    def __init__(self, *, window_s: float, births_max: int, clock: Callable[[], datetime] = _now) -> None:
        self.window_s = window_s
        self.births_max = births_max
        self._clock = clock

    def birth(self, session: Session, device_id: int, session_seq: int, at: datetime | None) -> int | None:
        """Store the birth in `session`'s transaction and commit it, with whatever else the transaction
        holds (the cluster's new state: one commit per birth), then count the cluster's births."""
        now = self._clock()
        cutoff = now - timedelta(seconds=self.window_s)
        key = f"{session_seq}|{at.isoformat() if at is not None else '-'}"
        # Rows, not objects: nothing of this table is ever loaded into a session, so there is nothing to
        # synchronise (and looking through the session's objects for them would cost more than the DELETE).
        session.execute(
            delete(DeviceBirth).where(col(DeviceBirth.device_id) == device_id, col(DeviceBirth.heard_at) < cutoff),
            execution_options={"synchronize_session": False},
        )
        insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgres_insert
        stored = session.execute(
            insert(DeviceBirth)
            .values(device_id=device_id, birth_key=key, heard_at=now)
            .on_conflict_do_nothing(index_elements=["device_id", "birth_key"])
            .returning(col(DeviceBirth.id))
        ).first()
        session.commit()
        if stored is None:  # the same birth again (retained, a retried batch, or stored by another instance)
            return None
        count = session.exec(
            select(func.count())
            .select_from(DeviceBirth)
            .where(col(DeviceBirth.device_id) == device_id, col(DeviceBirth.heard_at) >= cutoff)
        ).one()
        if count > self.births_max:
            # Only what the alert needs: the newest births_max.
            keep_from = session.exec(
                select(DeviceBirth.id)
                .where(DeviceBirth.device_id == device_id)
                .order_by(col(DeviceBirth.id).desc())
                .offset(self.births_max - 1)
                .limit(1)
            ).one()
            assert keep_from is not None
            session.execute(
                delete(DeviceBirth).where(col(DeviceBirth.device_id) == device_id, col(DeviceBirth.id) < keep_from),
                execution_options={"synchronize_session": False},
            )
            session.commit()
            count = self.births_max
        return count if count >= self.births_max else None
