"""Wiring of nodes' content served by nginx (devices.content): its secret, the database reads, start and stop."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from controller.services import Services
from controller.settings import Settings
from devices.content import ContentDelivery, mp3_variant
from devices.errors import ContentServerUnavailable
from devices.protocol import Playlist
from devices.registry import Commune
from schedules import current_playlist

log = logging.getLogger(__name__)


def content_secret(settings: Settings) -> str:
    """`content.secret`, or one derived from LOAXA_SECRET_KEY (which production refuses to leave default)."""
    explicit = settings.content.secret.get_secret_value()
    if explicit:
        return explicit
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, b"loaxa content links", hashlib.sha256).hexdigest()


def playlist_variants(sessions: Callable[[], Session], commune_code: str) -> dict[str, Playlist] | None:
    """The commune's current playlist per codec, as the controller's node endpoint serves it.

    A commune with nothing published yet gets the empty version 0 the endpoint answers with; None for
    an unknown commune.
    """
    with sessions() as session:
        commune = session.exec(select(Commune).where(col(Commune.code) == commune_code)).first()
        if commune is None:
            return None
        stored = current_playlist(session, commune)
        if stored is None:
            # Dated at the Unix epoch, not now: rewriting it must give the same bytes (and ETag).
            empty = Playlist(commune=commune.code, version=0, generated_at=datetime.fromtimestamp(0, UTC))
            return {"opus": empty, "mp3": empty}
        playlist = Playlist.model_validate_json(stored.content)
        return {"opus": playlist, "mp3": mp3_variant(session, playlist)}


def _commune_codes(sessions: Callable[[], Session]) -> list[str]:
    with sessions() as session:
        return list(session.exec(select(Commune.code)))


def start_content(services: Services) -> ContentDelivery | None:
    """Start serving nodes' playlists and audio through nginx when `content.enabled`.

    Without nginx (not installed, or it fails to start) the controller keeps serving them itself, as
    every node falls back to it: logged, not fatal.
    """
    settings = services.settings
    if not settings.content.enabled:
        return None
    sessions = services.sessions
    delivery = ContentDelivery(
        settings.content,
        content_secret(settings),
        settings.audio.storage_dir,
        load=lambda code: playlist_variants(sessions, code),
        communes=lambda: _commune_codes(sessions),
    )
    try:
        delivery.start()
    except (ContentServerUnavailable, ValueError) as exc:
        log.warning("nodes fetch playlists and audio from the controller (nginx not used): %s", exc)
        return None
    log.info("nodes fetch playlists and audio from nginx at %s", delivery.public_url)
    return delivery
