"""Who may hear stored audio: the API's `/api/v1/audio/...` and the console's `/am-thanh/...` share this.

Stored audio belongs to a bulletin (its approved audio, or that audio's MP3 rendition) or to a commune (its
chimes). A user may hear it when they may read that bulletin (`controller.bulletin_scope`) or answer for that
commune. A preview that no bulletin holds yet is heard through a link carrying a key: an HMAC of the user
and the hash under the secret key, handed only to the user who asked for the preview (or to a page that
checked their scope), so the link is worth nothing to anyone else. Knowing a hash is not enough.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlmodel import Session, col, or_, select

from audio_library import AudioAsset
from controller.accounts import User, commune_scope
from controller.bulletin_scope import bulletin_filter
from devices.registry import Commune
from schedules import Bulletin


def audio_key(secret: str, user_id: int, sha256: str) -> str:
    return hmac.new(secret.encode(), f"audio:{user_id}:{sha256}".encode(), hashlib.sha256).hexdigest()[:32]


def keyed_audio_path(prefix: str, secret: str, user: User, sha256: str, codec: str) -> str:
    """`prefix/sha.codec?k=key`: a link this user may open (issue it only after checking their scope)."""
    assert user.id is not None
    return f"{prefix}/{sha256}.{codec}?k={audio_key(secret, user.id, sha256)}"


def _in_scope(session: Session, user: User, sha256: str) -> bool:
    # The asset whose MP3 rendition this is, if it is one.
    primary = list(session.exec(select(AudioAsset.sha256).where(AudioAsset.mp3_sha256 == sha256)).all())
    hashes = [sha256, *primary]
    query = select(Bulletin.id).where(col(Bulletin.audio_sha256).in_(hashes))
    readable = bulletin_filter(session, user)
    if readable is not None:
        query = query.where(readable)
    if session.exec(query.limit(1)).first() is not None:
        return True
    chimes = select(Commune.id).where(
        or_(col(Commune.intro_chime_sha256).in_(hashes), col(Commune.outro_chime_sha256).in_(hashes))
    )
    scope = commune_scope(session, user)
    if scope is not None:
        chimes = chimes.where(col(Commune.id).in_(scope))
    return session.exec(chimes.limit(1)).first() is not None


def may_hear(session: Session, user: User, sha256: str, key: str, secret: str) -> bool:
    """Whether the user may download this audio: a valid key for them, or audio of something in their scope."""
    assert user.id is not None
    if key and hmac.compare_digest(key, audio_key(secret, user.id, sha256)):
        return True
    return _in_scope(session, user, sha256)
