"""The stock library over HTTP: admins keep it, everyone logged in reads it, nodes pull it.

`/stock/...` for people (admins change drafts, make or upload audio, approve, withdraw; an admin may not
approve their own change); `/node/stock` (manifest with ETag) and `/node/stock/{sha256}.{codec}` for
speaker nodes, which keep every approved message pinned (docs/protocol.md, "Stock library").
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Annotated

import anyio.from_thread
from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlmodel import col, select

from audio_library import AssetNotFound, AudioAsset, produce_broadcast
from controller import audit
from controller.accounts import Role, User
from controller.api.node import AUDIO_RESPONSES, server_time
from controller.deps import CurrentDevice, CurrentUser, ServicesDep, SessionDep, require_role
from controller.services import Services
from controller.stock import approve_message, make_audio, store_recording, withdraw_message
from controller.uploads import RECORDING_FORMATS, UPLOAD_OPENAPI, UPLOAD_RESPONSES, read_upload
from devices.protocol import TIME_HEADER, StockManifest
from devices.registry import Commune
from schedules.stock_message import (
    STOCK_KEYS,
    StockLanguage,
    StockMessage,
    approved_stock_audio,
    find_message,
    library_etag,
    list_messages,
    manifest,
    save_draft,
)

router = APIRouter(tags=["stock library"])

KeyPath = Annotated[str, Path(max_length=32, description="storm, flood, fire, evacuation, all_clear or test_tone.")]
LanguagePath = Annotated[str, Path(max_length=64, description="A language of the library: vi, km...")]


class StockLanguagePublic(BaseModel):
    code: str
    name_vi: str
    offline_speech: bool = Field(description="An offline engine reads it; otherwise audio must be uploaded.")


class StockMessagePublic(BaseModel):
    key: str
    key_vi: str
    language: str
    title: str
    text: str
    audio_sha256: str | None
    audio_source: str
    changed_by: str
    changed_at: datetime
    approved_sha256: str | None
    approved_title: str
    approved_by: str
    approved_at: datetime | None
    pending: bool = Field(description="The draft differs from what nodes hold: it waits for approval.")


class StockDraft(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    text: str = Field(default="", max_length=5000)


class StockWithdrawn(BaseModel):
    key: str
    language: str
    library_version: int


def public(message: StockMessage) -> StockMessagePublic:
    return StockMessagePublic(
        key=message.key,
        key_vi=STOCK_KEYS.get(message.key, message.key),
        language=message.language,
        title=message.title,
        text=message.text,
        audio_sha256=message.audio_sha256,
        audio_source=message.audio_source,
        changed_by=message.changed_by,
        changed_at=message.changed_at,
        approved_sha256=message.approved_sha256,
        approved_title=message.approved_title,
        approved_by=message.approved_by,
        approved_at=message.approved_at,
        pending=message.pending,
    )


@router.get("/stock/languages")
def stock_languages(session: SessionDep, user: CurrentUser) -> list[StockLanguagePublic]:
    """The languages the library keeps messages in (data: added by an admin in the database)."""
    rows = session.exec(select(StockLanguage).order_by(col(StockLanguage.code)))
    return [StockLanguagePublic.model_validate(row, from_attributes=True) for row in rows]


@router.get("/stock")
def stock_list(session: SessionDep, user: CurrentUser) -> list[StockMessagePublic]:
    """Every stock message, with its draft and the approved copy nodes hold."""
    return [public(message) for message in list_messages(session)]


@router.get("/stock/{key}/{language}")
def stock_get(key: KeyPath, language: LanguagePath, session: SessionDep, user: CurrentUser) -> StockMessagePublic:
    return public(find_message(session, key, language))


@router.put("/stock/{key}/{language}")
def stock_put(
    key: KeyPath, language: LanguagePath, data: StockDraft, session: SessionDep, user: CurrentUser
) -> StockMessagePublic:
    """Create the message or change its draft (admins); nodes keep the approved copy until it is approved."""
    require_role(user, Role.ADMIN)
    message = save_draft(session, key, language, title=data.title, text=data.text, by=user.username)
    audit.record(session, user, "stock.draft", f"stock:{key}/{language}", data.title[:120])
    session.commit()
    session.refresh(message)
    return public(message)


def _make(services: Services, user: User, key: str, language: str) -> StockMessage:
    return make_audio(
        services, user, key, language, lambda request: anyio.from_thread.run(services.speech.render, request)
    )


@router.post("/stock/{key}/{language}/speech")
def stock_speech(key: KeyPath, language: LanguagePath, user: CurrentUser, services: ServicesDep) -> StockMessagePublic:
    """Make the draft's audio: its text read aloud, or the silent tone for `test_tone` (admins).

    A language no offline engine reads (Khmer) needs a recording when no online engine answers: 422
    `stock_needs_recording`.
    """
    require_role(user, Role.ADMIN)
    return public(_make(services, user, key, language))


@router.put("/stock/{key}/{language}/recording", openapi_extra=UPLOAD_OPENAPI, responses=UPLOAD_RESPONSES)
async def stock_recording(
    key: KeyPath, language: LanguagePath, request: Request, user: CurrentUser, services: ServicesDep
) -> StockMessagePublic:
    """The draft's audio from a recording (MP3, WAV, M4A or OGG, raw body), loudness-normalised (admins)."""
    require_role(user, Role.ADMIN)

    def check() -> None:
        with services.sessions() as session:
            find_message(session, key, language)

    await asyncio.to_thread(check)
    data = await read_upload(request, services.settings.audio.upload_max_bytes)
    processed = await asyncio.to_thread(
        produce_broadcast, data, services.settings.audio, allowed_formats=RECORDING_FORMATS
    )
    return public(await asyncio.to_thread(store_recording, services, user, key, language, processed))


@router.post("/stock/{key}/{language}/approve")
def stock_approve(
    key: KeyPath, language: LanguagePath, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> StockMessagePublic:
    """Put the draft into the library and announce it to every node (admins, not the draft's last editor).

    409 `stock_on_air` while an emergency airs the copy it would replace.
    """
    require_role(user, Role.ADMIN)
    return public(approve_message(session, services, user, key, language))


@router.delete("/stock/{key}/{language}")
def stock_delete(
    key: KeyPath, language: LanguagePath, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> StockWithdrawn:
    """Remove the message from the library (nodes drop it); 409 `stock_on_air` while it airs."""
    require_role(user, Role.ADMIN)
    version = withdraw_message(session, services, user, key, language)
    return StockWithdrawn(key=key, language=language, library_version=version)


# -- nodes --------------------------------------------------------------------------------------------


@router.get(
    "/node/stock",
    response_model=StockManifest,
    responses={304: {"description": "Unchanged since the ETag given in If-None-Match (no body)."}},
    tags=["node protocol"],
)
def node_stock(
    session: SessionDep,
    device: CurrentDevice,
    services: ServicesDep,
    if_none_match: str | None = Header(default=None),
) -> Response:
    """The stock library: every approved message, each to be kept pinned and verified by its sha256.

    With the content server on, each entry also carries a signed link to its file on nginx for the
    node's commune (`content_url`), and the ETag names the commune and the links' expiry period too.
    """
    etag = library_etag(session)
    content = services.content
    commune = session.get(Commune, device.commune_id) if content is not None else None
    if content is not None and commune is not None:
        etag = f'{etag[:-1]}-{commune.code}-{content.signer.expires(time.time())}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache", TIME_HEADER: server_time()}
    if if_none_match is not None and etag in {tag.strip() for tag in if_none_match.split(",")}:
        return Response(status_code=304, headers=headers)
    library, library_tag = manifest(session)
    if content is not None and commune is not None:
        entries = tuple(
            entry.model_copy(update={"content_url": content.audio_url(commune.code, entry.sha256, entry.codec)})
            for entry in library.entries
        )
        library = library.model_copy(update={"entries": entries})
    else:
        headers["ETag"] = library_tag
    return Response(content=library.model_dump_json(), media_type="application/json", headers=headers)


@router.get("/node/stock/{filename}", response_class=FileResponse, responses=AUDIO_RESPONSES, tags=["node protocol"])
def node_stock_audio(filename: str, session: SessionDep, device: CurrentDevice, services: ServicesDep) -> FileResponse:
    """An approved stock message's audio (any node: the library is the same everywhere). Immutable; Range."""
    sha256, _, codec = filename.partition(".")
    asset = session.get(AudioAsset, sha256) if len(sha256) == 64 else None
    if asset is None or asset.codec != codec or not approved_stock_audio(session, {sha256}):
        raise AssetNotFound(f"no stock audio {filename[:100]!r}")
    return FileResponse(
        services.store.open_path(sha256, codec),
        media_type="audio/ogg" if codec == "opus" else "audio/mpeg",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )
