"""Playlist compilation: pure functions over plain data, no database and no clock.

A commune's playlist lists every approved item that is playing or due within the horizon, each with
an absolute start time. Items may not overlap; an overlap is an error naming both items.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from devices.protocol import Playlist, PlaylistItem, Priority, StreamSpec
from schedules.errors import PlaylistConflict


@dataclass(frozen=True)
class PlaylistEntry:
    """One airing as the compiler sees it: everything it needs, nothing it must look up."""

    item_id: str
    title: str
    priority: Priority
    approved: bool
    asset_sha256: str
    codec: str
    duration_ms: int
    starts_at: datetime
    offset_ms: int = 0
    # The clusters it is for; None: every cluster of the commune.
    clusters: frozenset[str] | None = None
    # A relay: the stream it carries live (then `asset_sha256` is the stream's `stream_asset_sha256`).
    stream: StreamSpec | None = None

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(milliseconds=self.duration_ms)

    def shares_clusters(self, other: PlaylistEntry) -> bool:
        return self.clusters is None or other.clusters is None or bool(self.clusters & other.clusters)


def asset_url(sha256: str, codec: str) -> str:
    return f"/api/v1/node/audio/{sha256}.{codec}"


def compile_playlist(
    commune_code: str,
    entries: Iterable[PlaylistEntry],
    *,
    version: int,
    now: datetime,
    horizon: timedelta,
) -> Playlist:
    """Build the playlist of items still to finish by `now + horizon`; unapproved entries never appear.

    Two items may overlap in time only when they are for different clusters.
    """
    upcoming = sorted(
        (e for e in entries if e.approved and e.ends_at > now and e.starts_at <= now + horizon),
        key=lambda e: (e.starts_at, e.item_id),
    )
    for index, after in enumerate(upcoming):
        clash = next(
            (b for b in upcoming[:index] if after.starts_at < b.ends_at and after.shares_clusters(b)),
            None,
        )
        if clash is not None:
            before = clash
            raise PlaylistConflict(
                f"item {after.item_id} ({after.title!r}) starts at {after.starts_at.isoformat()}, "
                f"before item {before.item_id} ({before.title!r}) ends at {before.ends_at.isoformat()}"
            )
    items = tuple(
        PlaylistItem(
            item_id=e.item_id,
            title=e.title,
            priority=e.priority,
            asset_sha256=e.asset_sha256,
            asset_url=e.stream.url if e.stream is not None else asset_url(e.asset_sha256, e.codec),
            codec="mp3" if e.codec == "mp3" else "opus",
            duration_ms=e.duration_ms,
            starts_at=e.starts_at,
            offset_ms=e.offset_ms,
            clusters=tuple(sorted(e.clusters)) if e.clusters is not None else None,
            stream=e.stream,
        )
        for e in upcoming
    )
    return Playlist(commune=commune_code, version=version, generated_at=now, items=items)


def content_digest(playlist: Playlist) -> str:
    """Identifies what nodes will play, ignoring version and generation time."""
    canonical = "".join(item.model_dump_json() for item in playlist.items)
    return hashlib.sha256(f"{playlist.commune}|{canonical}".encode()).hexdigest()


def etag(playlist: Playlist, digest: str) -> str:
    return f'"{playlist.version}-{digest[:16]}"'
