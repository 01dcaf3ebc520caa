"""Publishing a commune's playlist: compile, store as a new version when it changed, notify the nodes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Text
from sqlmodel import Field, Session, SQLModel, select

from audio_library.timestamps import UtcDateTime
from devices.protocol import Playlist, PlaylistNotice
from devices.registry import Commune
from schedules.broadcast import commune_entries
from schedules.playlist import compile_playlist, content_digest, etag

log = logging.getLogger(__name__)

Notifier = Callable[[PlaylistNotice], None]


class CommunePlaylist(SQLModel, table=True):
    """The newest compiled playlist of a commune; nodes fetch `content` over HTTP."""

    __tablename__ = "commune_playlist"

    commune_id: int = Field(foreign_key="commune.id", primary_key=True)
    version: int
    etag: str = Field(max_length=64)
    digest: str = Field(max_length=64)
    content: str = Field(sa_type=Text, description="The Playlist as JSON, exactly as served.")
    generated_at: datetime = Field(sa_type=UtcDateTime)


def current_playlist(session: Session, commune: Commune) -> CommunePlaylist | None:
    return session.get(CommunePlaylist, commune.id)


def publish_playlist(
    session: Session,
    commune: Commune,
    *,
    now: datetime,
    horizon: timedelta,
    lookback: timedelta,
) -> tuple[CommunePlaylist, bool]:
    """Recompile the commune's playlist; store it as version+1 only if what nodes will play changed.

    Returns the stored playlist and whether it changed. The caller commits, then notifies.
    """
    assert commune.id is not None
    stored = session.get(CommunePlaylist, commune.id, with_for_update=True)
    version = stored.version + 1 if stored is not None else 1
    playlist: Playlist = compile_playlist(
        commune.code,
        commune_entries(session, commune, since=now - lookback),
        version=version,
        now=now,
        horizon=horizon,
    )
    digest = content_digest(playlist)
    if stored is not None and stored.digest == digest:
        return stored, False
    if stored is None:
        stored = CommunePlaylist(
            commune_id=commune.id, version=version, etag="", digest="", content="", generated_at=now
        )
    stored.version = version
    stored.digest = digest
    stored.etag = etag(playlist, digest)
    stored.content = playlist.model_dump_json()
    stored.generated_at = now
    session.add(stored)
    session.flush()
    return stored, True


def notice_for(commune: Commune, stored: CommunePlaylist) -> PlaylistNotice:
    return PlaylistNotice(commune=commune.code, version=stored.version, etag=stored.etag, issued_at=stored.generated_at)


def republish_all(
    sessions: Callable[[], Session],
    notify: Notifier,
    *,
    now: datetime,
    horizon: timedelta,
    lookback: timedelta,
) -> int:
    """Recompile every commune's playlist, so items entering the horizon (or leaving it) reach the nodes.

    Returns how many playlists changed. One commune failing is logged and does not stop the others.
    """
    changed_count = 0
    with sessions() as session:
        communes = list(session.exec(select(Commune)))
    for commune in communes:
        try:
            with sessions() as session:
                stored, changed = publish_playlist(session, commune, now=now, horizon=horizon, lookback=lookback)
                session.commit()
        except Exception:
            log.exception("republishing the playlist of %s failed", commune.code)
            continue
        if changed:
            changed_count += 1
            notify(notice_for(commune, stored))
    return changed_count
