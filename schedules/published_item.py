"""Every item ever published to a commune, and for which clusters: what proof of play is checked against.

`commune_playlist` keeps only the newest version, but a node reports what it played from the version it
had (an item an emergency cut from a newer version was still aired). So each published version adds its
items here, one row per (commune, item, start, audio); a later version that sends the same item to more
clusters widens the row's `clusters`. Rows are written only when a version changes (a few per bulletin),
and checking a report is one lookup on the unique key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, delete, select

from audio_library.timestamps import UtcDateTime
from devices.protocol import Playlist


class PublishedItem(SQLModel, table=True):
    __tablename__ = "published_item"
    __table_args__ = (UniqueConstraint("commune_id", "item_id", "starts_at", "asset_sha256", name="uq_published_item"),)

    id: int | None = Field(default=None, primary_key=True)
    commune_id: int = Field(foreign_key="commune.id")
    item_id: str = Field(max_length=64)
    starts_at: datetime = Field(sa_type=UtcDateTime, index=True)
    asset_sha256: str = Field(max_length=64)
    # Device codes it was sent to, over every version; None: every cluster of the commune.
    clusters: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    first_version: int

    def is_for(self, device_code: str) -> bool:
        return self.clusters is None or device_code in self.clusters


def widen(current: list[str] | None, added: tuple[str, ...] | None) -> list[str] | None:
    """The clusters of both (None, every cluster, absorbs anything). Pure."""
    if current is None or added is None:
        return None
    return sorted(set(current) | set(added))


def record_published_items(session: Session, commune_id: int, playlist: Playlist) -> int:
    """Add the playlist's items not yet recorded, widen the clusters of those that are; the caller commits.

    One SELECT over the version's time span, then only the new or widened rows are written. Returns how
    many rows were added or changed.
    """
    if not playlist.items:
        return 0
    earliest = min(item.starts_at for item in playlist.items)
    known = {
        (row.item_id, row.starts_at, row.asset_sha256): row
        for row in session.exec(
            select(PublishedItem).where(
                PublishedItem.commune_id == commune_id, col(PublishedItem.starts_at) >= earliest
            )
        )
    }
    changed = 0
    for item in playlist.items:
        key = (item.item_id, item.starts_at, item.asset_sha256)
        row = known.get(key)
        if row is None:
            row = PublishedItem(
                commune_id=commune_id,
                item_id=item.item_id,
                starts_at=item.starts_at,
                asset_sha256=item.asset_sha256,
                clusters=list(item.clusters) if item.clusters is not None else None,
                first_version=playlist.version,
            )
            known[key] = row
        else:
            wider = widen(row.clusters, item.clusters)
            if wider == row.clusters:
                continue
            row.clusters = wider
        session.add(row)
        changed += 1
    return changed


def published_matches(session: Session, commune_id: int, item_id: str, starts_at: datetime) -> list[PublishedItem]:
    """The recorded items with this id and start (one per audio it was published with)."""
    query: Any = select(PublishedItem).where(
        PublishedItem.commune_id == commune_id,
        PublishedItem.item_id == item_id,
        PublishedItem.starts_at == starts_at,
    )
    return list(session.exec(query))


def prune_published_items(session: Session, *, before: datetime) -> int:
    """Forget items that started before `before` (kept long enough for any late report); how many."""
    result = session.execute(delete(PublishedItem).where(col(PublishedItem.starts_at) < before))
    return int(getattr(result, "rowcount", 0) or 0)
