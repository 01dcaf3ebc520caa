"""Audio for people logged in to the console: previews and approved bulletins, by content address.

Who may hear what is `controller.access.audio`, shared with the API.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse

from audio_library import AssetNotFound, AudioAsset
from controller.access.audio import keyed_audio_path, may_hear
from controller.accounts import User
from controller.deps import ServicesDep, SessionDep
from controller.errors import OutOfScope
from controller.services import Services
from controller.web.session import PageUser

router = APIRouter()

MEDIA_TYPES = {"opus": "audio/ogg", "mp3": "audio/mpeg"}


def audio_url(services: Services, user: User, sha256: str, codec: str) -> str:
    """A link to stored audio that this user may play (issue it only after checking their scope)."""
    return keyed_audio_path("/am-thanh", services.settings.secret_key.get_secret_value(), user, sha256, codec)


@router.get("/am-thanh/{filename}")
def play_audio(filename: str, session: SessionDep, services: ServicesDep, user: PageUser, k: str = "") -> Response:
    sha256, _, codec = filename.partition(".")
    asset = session.get(AudioAsset, sha256)
    if asset is None or asset.codec != codec:
        raise AssetNotFound(f"no asset {filename[:100]!r}")
    if not may_hear(session, user, sha256, k, services.settings.secret_key.get_secret_value()):
        raise OutOfScope(f"user {user.username} has no bulletin with audio {sha256}")
    return FileResponse(
        services.store.open_path(sha256, codec),
        media_type=MEDIA_TYPES.get(codec, "application/octet-stream"),
        headers={"Cache-Control": "private, max-age=31536000, immutable"},
    )
