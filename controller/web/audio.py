"""Audio for people logged in to the console: previews and approved bulletins, by content address.

A page that has checked the user's scope links the audio with a key (an HMAC of the user and the sha256),
so a preview that no bulletin holds yet can be heard; without a key, the audio must belong to a bulletin
of a commune the user answers for.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse
from sqlmodel import Session, col, or_, select

from audio_library import AssetNotFound, AudioAsset
from controller.accounts import User
from controller.bulletin_scope import bulletin_filter
from controller.deps import ServicesDep, SessionDep
from controller.errors import OutOfScope
from controller.services import Services
from controller.web.session import PageUser
from schedules import Bulletin

router = APIRouter()

MEDIA_TYPES = {"opus": "audio/ogg", "mp3": "audio/mpeg"}


def audio_key(secret: str, user_id: int, sha256: str) -> str:
    return hmac.new(secret.encode(), f"audio:{user_id}:{sha256}".encode(), hashlib.sha256).hexdigest()[:32]


def audio_url(services: Services, user: User, sha256: str, codec: str) -> str:
    """A link to stored audio that this user may play (issue it only after checking their scope)."""
    assert user.id is not None
    return f"/am-thanh/{sha256}.{codec}?k={audio_key(services.settings.secret_key.get_secret_value(), user.id, sha256)}"


def _in_scope(session: Session, user: User, sha256: str) -> bool:
    # The opus asset whose MP3 rendition this is, if it is one.
    primary = session.exec(select(AudioAsset.sha256).where(AudioAsset.mp3_sha256 == sha256)).all()
    query = select(Bulletin.id).where(
        or_(col(Bulletin.audio_sha256) == sha256, col(Bulletin.audio_sha256).in_(primary))
    )
    readable = bulletin_filter(session, user)
    if readable is not None:
        query = query.where(readable)
    return session.exec(query.limit(1)).first() is not None


@router.get("/am-thanh/{filename}")
def play_audio(filename: str, session: SessionDep, services: ServicesDep, user: PageUser, k: str = "") -> Response:
    sha256, _, codec = filename.partition(".")
    asset = session.get(AudioAsset, sha256)
    if asset is None or asset.codec != codec:
        raise AssetNotFound(f"no asset {filename[:100]!r}")
    assert user.id is not None
    expected = audio_key(services.settings.secret_key.get_secret_value(), user.id, sha256)
    if not (k and hmac.compare_digest(k, expected)) and not _in_scope(session, user, sha256):
        raise OutOfScope(f"user {user.username} has no bulletin with audio {sha256}")
    return FileResponse(
        services.store.open_path(sha256, codec),
        media_type=MEDIA_TYPES.get(codec, "application/octet-stream"),
        headers={"Cache-Control": "private, max-age=31536000, immutable"},
    )
