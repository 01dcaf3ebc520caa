"""What speaker nodes pull over HTTP: their commune's playlist (with ETag) and audio by sha256."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Header, Response
from fastapi.responses import FileResponse

from audio_library import AssetNotFound, AudioAsset
from controller.deps import CurrentDevice, ServicesDep, SessionDep
from devices.protocol import Playlist
from devices.registry import Commune
from schedules import current_playlist

router = APIRouter(prefix="/node", tags=["node protocol"])

_EMPTY_ETAG = '"0-empty"'
_MEDIA_TYPES = {"opus": "audio/ogg", "mp3": "audio/mpeg"}


@router.get("/playlist", response_model=Playlist)
def node_playlist(
    session: SessionDep, device: CurrentDevice, if_none_match: str | None = Header(default=None)
) -> Response:
    commune = session.get(Commune, device.commune_id)
    assert commune is not None
    stored = current_playlist(session, commune)
    if stored is None:
        etag = _EMPTY_ETAG
        content = Playlist(commune=commune.code, version=0, generated_at=datetime.now(UTC)).model_dump_json()
    else:
        etag, content = stored.etag, stored.content
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if if_none_match is not None and etag in {tag.strip() for tag in if_none_match.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(content=content, media_type="application/json", headers=headers)


@router.get("/audio/{filename}")
def node_audio(filename: str, session: SessionDep, device: CurrentDevice, services: ServicesDep) -> FileResponse:
    """Audio by content address; immutable, so nodes and proxies may cache it forever. Supports Range.

    A node gets only audio that its own commune's current playlist uses.
    """
    sha256, _, codec = filename.partition(".")
    asset = session.get(AudioAsset, sha256)
    commune = session.get(Commune, device.commune_id)
    stored = current_playlist(session, commune) if commune is not None else None
    in_playlist = stored is not None and any(
        item.asset_sha256 == sha256 for item in Playlist.model_validate_json(stored.content).items
    )
    if asset is None or asset.codec != codec or not in_playlist:
        raise AssetNotFound(f"no asset {filename[:100]!r} for this device")
    path = services.store.open_path(sha256, codec)
    return FileResponse(
        path,
        media_type=_MEDIA_TYPES.get(codec, "application/octet-stream"),
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )
