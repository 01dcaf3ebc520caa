"""Emergency orders as stored: one row per commune an emergency reaches, with the instant it starts there.

The start is fixed when the order is issued (`issued_at` + the dispatch lead, later if another emergency
is on air), so every later compilation of the commune's playlist replays the same pre-emption
(`schedules.preemption.preempt`) and nodes see the same timeline each time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel, col, select

from audio_library.row_id import RowId
from audio_library.timestamps import UtcDateTime


class EmergencyOrder(SQLModel, table=True):
    __tablename__ = "emergency_order"

    id: int | None = Field(default=None, primary_key=True)
    bulletin_id: int = Field(foreign_key="bulletin.id", index=True)
    commune_id: int = Field(foreign_key="commune.id", index=True)
    # The clusters of the commune it is for; None: all of them.
    clusters: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    issued_by: int = Field(foreign_key="app_user.id")
    issued_at: datetime = Field(sa_type=UtcDateTime)
    starts_at: datetime = Field(sa_type=UtcDateTime, index=True)
    # Ended early by an officer (a false alarm, or the danger has passed): it airs only until then.
    cancelled_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cancelled_by: int | None = Field(default=None, foreign_key="app_user.id")

    def aired_ms(self, duration_ms: int) -> int:
        """How much of its `duration_ms` of audio airs: all of it, or what fits before the cancellation."""
        if self.cancelled_at is None:
            return duration_ms
        return max(0, min(duration_ms, round((self.cancelled_at - self.starts_at).total_seconds() * 1000)))


class EmergencyCreate(SQLModel):
    """An approved emergency bulletin and where it plays: a commune, a hamlet group, clusters or a province."""

    bulletin_id: RowId
    commune_code: str | None = None
    hamlet_group: str | None = Field(default=None, description="With commune_code: one of its hamlet groups.")
    clusters: list[str] | None = Field(default=None, max_length=500)
    province_code: str | None = None


class EmergencyPublic(SQLModel):
    id: int
    bulletin_id: int
    commune_code: str
    clusters: list[str] | None
    issued_at: datetime
    starts_at: datetime
    # The playlist version that carries it; None when it could not be published at once (the periodic
    # republish announces it).
    playlist_version: int | None
    cancelled_at: datetime | None = None


def commune_emergencies(session: Session, commune_id: int, since: datetime) -> list[EmergencyOrder]:
    """The commune's emergencies starting at or after `since`, in order of start (then of issue)."""
    return list(
        session.exec(
            select(EmergencyOrder)
            .where(EmergencyOrder.commune_id == commune_id, col(EmergencyOrder.starts_at) >= since)
            .order_by(col(EmergencyOrder.starts_at), col(EmergencyOrder.id))
        )
    )
