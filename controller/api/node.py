"""What speaker nodes pull over HTTP: their commune's playlist (with ETag) and audio by sha256."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, NamedTuple

from fastapi import APIRouter, Depends, Header, Response
from fastapi.responses import FileResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from sqlmodel import Session, col, select

from audio_library import AssetNotFound, AudioAsset
from controller.deps import CurrentDevice, ServicesDep, SessionDep
from controller.errors import NotAuthenticated
from devices.commands import awaits_play_now
from devices.content import mp3_variant
from devices.protocol import PLAYLIST_URL_HEADER, TIME_HEADER, Playlist
from devices.registry import Commune, Device
from schedules import current_playlist
from schedules.publication import CommunePlaylist

router = APIRouter(prefix="/node", tags=["node protocol"])

_EMPTY_ETAG = '"0-empty"'
_MEDIA_TYPES = {"opus": "audio/ogg", "mp3": "audio/mpeg"}
_AUDIO_CONTENT: dict[str, Any] = {
    media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in _MEDIA_TYPES.values()
}
# What an audio route sends: Opus in Ogg or MP3, whole or the Range asked for; Starlette's file response
# answers a Range it cannot serve itself, in plain text.
AUDIO_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The file (`{sha256}.opus` or `.mp3`).", "content": _AUDIO_CONTENT},
    206: {
        "description": "The Range asked for (several ranges: multipart/byteranges).",
        "content": {**_AUDIO_CONTENT, "multipart/byteranges": {}},
    },
    400: {"description": "A malformed Range header.", "content": {"text/plain": {}}},
    416: {"description": "A Range outside the file.", "content": {"text/plain": {}}},
}


def server_time() -> str:
    """Now, UTC, ISO 8601 with milliseconds: the `X-Loaxa-Time` header value."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _variant_etag(etag: str, codec: str) -> str:
    return etag if codec == "opus" else f'{etag.rstrip(chr(34))}-{codec}"'


def _commune_playlist(session: Session, commune: Commune, codec: str) -> Playlist | None:
    stored = current_playlist(session, commune)
    if stored is None:
        return None
    playlist = Playlist.model_validate_json(stored.content)
    return mp3_variant(session, playlist) if codec == "mp3" else playlist


class _PollRow(NamedTuple):
    commune_code: str
    password_hash: str
    revoked_at: datetime | None
    etag: str | None


def _playlist_etag_row(session: Session, username: str) -> _PollRow | None:
    """The device's login fields and its commune's current ETag, in one query (the 304 path's only one)."""
    row = session.exec(
        select(
            Commune.code,
            Device.password_hash,
            Device.revoked_at,
            CommunePlaylist.etag,
        )
        .join(Commune, col(Commune.id) == col(Device.commune_id))
        .outerjoin(CommunePlaylist, col(CommunePlaylist.commune_id) == col(Device.commune_id))
        .where(Device.mqtt_username == username)
    ).first()
    return _PollRow(*row) if row is not None else None


@router.get(
    "/playlist",
    response_model=Playlist,
    responses={304: {"description": "Unchanged since the ETag given in If-None-Match (no body)."}},
)
def node_playlist(
    session: SessionDep,
    services: ServicesDep,
    credentials: Annotated[HTTPBasicCredentials | None, Depends(HTTPBasic(auto_error=False))],
    if_none_match: str | None = Header(default=None),
    codec: Literal["opus", "mp3"] = "opus",
) -> Response:
    """The commune's playlist; `codec=mp3` (legacy nodes) lists MP3 renditions instead of Opus.

    Every node polls this about once a minute and nearly always gets 304, so that path is one query:
    the device's login fields joined to its commune's ETag. The same checks as every node endpoint apply
    (unknown, revoked or wrong password: 401).
    """
    row = _playlist_etag_row(session, credentials.username) if credentials is not None else None
    if (
        credentials is None
        or row is None
        or row.revoked_at is not None
        or not services.device_logins.verify(credentials.username, credentials.password, row.password_hash)
    ):
        raise NotAuthenticated("unknown device or wrong password")
    etag = _variant_etag(row.etag if row.etag is not None else _EMPTY_ETAG, codec)
    # The controller's clock, so the node can measure its own offset (docs/protocol.md, X-Loaxa-Time).
    headers = {"ETag": etag, "Cache-Control": "no-cache", TIME_HEADER: server_time()}
    if services.content is not None:
        # Where to poll from now on without touching the controller (docs/protocol.md, "Content server").
        headers[PLAYLIST_URL_HEADER] = services.content.playlist_url(row.commune_code, codec)
    if if_none_match is not None and etag in {tag.strip() for tag in if_none_match.split(",")}:
        return Response(status_code=304, headers=headers)
    commune = session.exec(select(Commune).where(Commune.code == row.commune_code)).first()
    assert commune is not None
    stored = current_playlist(session, commune)
    if stored is None:
        content = Playlist(commune=commune.code, version=0, generated_at=datetime.now(UTC)).model_dump_json()
    elif codec == "mp3":
        content = mp3_variant(session, Playlist.model_validate_json(stored.content)).model_dump_json()
    else:
        content = stored.content
    # The ETag of what is sent: a publication between the two queries must not pair new content with an old tag.
    if stored is not None:
        headers["ETag"] = _variant_etag(stored.etag, codec)
    return Response(content=content, media_type="application/json", headers=headers)


@router.get("/audio/{filename}", response_class=FileResponse, responses=AUDIO_RESPONSES)
def node_audio(filename: str, session: SessionDep, device: CurrentDevice, services: ServicesDep) -> FileResponse:
    """Audio by content address; immutable, so nodes and proxies may cache it forever. Supports Range.

    A node gets only audio that its own commune's current playlist uses, or that a play_now command
    it has not finished yet asks it to play.
    """
    sha256, _, codec = filename.partition(".")
    asset = session.get(AudioAsset, sha256)
    commune = session.get(Commune, device.commune_id)
    playlist = _commune_playlist(session, commune, codec) if commune is not None and codec in _MEDIA_TYPES else None
    in_playlist = playlist is not None and any(item.asset_sha256 == sha256 for item in playlist.items)
    if not in_playlist:
        in_playlist = awaits_play_now(session, device, sha256)
    if asset is None or asset.codec != codec or not in_playlist:
        raise AssetNotFound(f"no asset {filename[:100]!r} for this device")
    path = services.store.open_path(sha256, codec)
    return FileResponse(
        path,
        media_type=_MEDIA_TYPES.get(codec, "application/octet-stream"),
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )
