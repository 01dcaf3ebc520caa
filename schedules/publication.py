"""Publishing a commune's playlist: compile, store as a new version when it changed, notify the nodes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import Text
from sqlmodel import Field, Session, SQLModel, select

from audio_library.timestamps import UtcDateTime
from devices.command_signing import CommandSigner
from devices.protocol import MAX_PUSHED_PLAYLIST_CHARS, Playlist, PlaylistNotice
from devices.registry import Commune
from schedules.clearance import cleared_audio
from schedules.lease import Fence, NotLeader, hold
from schedules.planning import Planning
from schedules.playlist import PlaylistEntry, compile_playlist, content_digest, etag
from schedules.published_item import record_published_items
from schedules.timetable import DEFAULT_PLANNING, commune_timetable

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
    planning: Planning = DEFAULT_PLANNING,
    fence: Fence | None = None,
) -> tuple[CommunePlaylist, bool]:
    """Recompile the commune's playlist; store it as version+1 only if what nodes will play changed.

    Idempotent: the same content keeps its version and ETag however often this runs (a scheduler job
    run twice after a crash publishes nothing new). Returns the stored playlist and whether it changed.
    The caller commits, then notifies.

    `fence` (a leader's job) is checked first in the same transaction (`schedules.lease.hold`): NotLeader
    if another instance leads now, and the row stays locked until the caller commits, so no takeover
    comes between. A request publishing a user's change passes none: it may run on any instance, and
    concurrent publications of one commune are serialised by the playlist row's lock.
    """
    assert commune.id is not None
    if fence is not None:
        hold(session, fence)
    stored = session.get(CommunePlaylist, commune.id, with_for_update=True)
    version = stored.version + 1 if stored is not None else 1
    timetable = commune_timetable(session, commune, start=now - lookback, end=now + horizon, planning=planning)
    playlist: Playlist = compile_playlist(
        commune.code,
        _only_cleared(session, commune, timetable.entries()),
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
    # Kept beyond this version: a node's proof of play names the version it played from.
    record_published_items(session, commune.id, playlist)
    session.flush()
    return stored, True


def _only_cleared(session: Session, commune: Commune, entries: list[PlaylistEntry]) -> list[PlaylistEntry]:
    """The last gate before nodes: an item whose audio is not cleared for the commune never reaches them.

    The timetable already leaves such items out; this check holds whatever path put one there.
    """
    cleared = cleared_audio(session, commune, {e.asset_sha256 for e in entries if e.approved and e.stream is None})
    kept = []
    for entry in entries:
        # A relay has no audio to clear: its source was checked as the commune's (`schedules.stream_source`).
        if entry.approved and entry.stream is None and entry.asset_sha256 not in cleared:
            log.error(
                "%s: item %s left out: audio %s is not approved for it", commune.code, entry.item_id, entry.asset_sha256
            )
            entry = replace(entry, approved=False)
        kept.append(entry)
    return kept


def notice_for(
    commune: Commune, stored: CommunePlaylist, *, urgent: bool = False, signer: CommandSigner | None = None
) -> PlaylistNotice:
    """The notice of the stored version; `urgent` (an emergency) tells nodes to pull without waiting.

    An urgent notice with a `signer` also carries the playlist itself, signed (protocol 1.5), so nodes
    apply the emergency without pulling it; unless it is too big to push, when they pull as before.
    """
    pushed: dict[str, str] = {}
    if urgent and signer is not None and len(stored.content) <= MAX_PUSHED_PLAYLIST_CHARS:
        pushed = {
            "playlist": stored.content,
            "key_id": signer.key_id,
            "signature": signer.sign_bytes(stored.content.encode()),
        }
    return PlaylistNotice(
        commune=commune.code,
        version=stored.version,
        etag=stored.etag,
        issued_at=stored.generated_at,
        urgent=urgent,
        **pushed,
    )


def republish_all(
    sessions: Callable[[], Session],
    notify: Notifier,
    *,
    now: datetime,
    horizon: timedelta,
    lookback: timedelta,
    planning: Planning = DEFAULT_PLANNING,
    fence: Callable[[], Fence] | None = None,
) -> int:
    """Recompile every commune's playlist, so items entering the horizon (or leaving it) reach the nodes.

    Returns how many playlists changed. One commune failing is logged and does not stop the others;
    `fence` (the leader's current fence, read per commune) raising NotLeader stops them all.
    """
    changed_count = 0
    with sessions() as session:
        communes = list(session.exec(select(Commune)))
    for commune in communes:
        try:
            with sessions() as session:
                stored, changed = publish_playlist(
                    session,
                    commune,
                    now=now,
                    horizon=horizon,
                    lookback=lookback,
                    planning=planning,
                    fence=fence() if fence is not None else None,
                )
                session.commit()
        except NotLeader:
            raise
        except Exception:
            log.exception("republishing the playlist of %s failed", commune.code)
            continue
        if changed:
            changed_count += 1
            notify(notice_for(commune, stored))
    return changed_count


def announce_all(sessions: Callable[[], Session], notify: Notifier) -> int:
    """Send the notice of every commune's current version again (retained; nodes with it ignore it).

    Run at start-up: a controller killed between storing a version and announcing it announces it now.
    """
    with sessions() as session:
        rows = list(session.exec(select(Commune, CommunePlaylist).where(Commune.id == CommunePlaylist.commune_id)))
    for commune, stored in rows:
        notify(notice_for(commune, stored))
    return len(rows)
