"""Speech for people: the normaliser's reading, audio previews, the stored audio, and the abbreviation lexicon."""

from __future__ import annotations

from typing import Literal

import anyio.from_thread
from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from audio_library import AssetNotFound, AudioAsset
from audio_library.row_id import RowId
from controller import audit
from controller.access.audio import keyed_audio_path, may_hear
from controller.accounts import Role, User
from controller.api.node import AUDIO_RESPONSES
from controller.deps import CurrentUser, ServicesDep, SessionDep, require_commune, require_role
from controller.errors import NotFound, OutOfScope, error_responses
from controller.services import Services
from controller.speech import reading_issues, speech_request
from devices.registry import Province, get_commune
from tts.errors import DuplicateLexiconEntry
from tts.lexicon import LexiconEntry, LexiconEntryPublic, add_entry
from tts.normalizer import ReadingIssue
from tts.speech_asset import RenderedSpeech, spoken_form

router = APIRouter(tags=["speech"])

MEDIA_TYPES = {"opus": "audio/ogg", "mp3": "audio/mpeg"}
AUDIO_PREFIX = "/api/v1/audio"


class SpeechText(BaseModel):
    text: str = Field(min_length=1, max_length=20_000)
    dialect: Literal["north", "south"] = "north"
    language: Literal["vi", "km"] = "vi"
    commune_code: str | None = Field(default=None, description="Read with this commune's lexicon and chimes.")


class ReadingIssuePublic(BaseModel):
    """A written token the speakers cannot read as words, and what the officer should do (Vietnamese)."""

    token: str
    message: str

    @classmethod
    def of(cls, issues: tuple[ReadingIssue, ...]) -> list[ReadingIssuePublic]:
        return [cls(token=issue.token, message=issue.message_vi) for issue in issues]


class NormalizedText(BaseModel):
    spoken_text: str
    reading_issues: list[ReadingIssuePublic] = Field(
        default_factory=list, description="Tokens read letter by letter, digit by digit or dropped: fix them first."
    )


class SpeechPreview(BaseModel):
    spoken_text: str
    audio_url: str
    mp3_url: str | None
    sha256: str
    mp3_sha256: str | None = Field(description="The MP3 rendition for legacy nodes, if made.")
    duration_ms: int
    loudness_lufs: float | None
    engine: str
    voice: str
    cached: bool
    skipped_engines: list[str]
    reading_issues: list[ReadingIssuePublic] = Field(
        default_factory=list, description="Tokens read letter by letter, digit by digit or dropped: fix them first."
    )


class LexiconEntryCreate(BaseModel):
    abbreviation: str = Field(min_length=1, max_length=32)
    expansion: str = Field(min_length=1, max_length=200)
    province_code: str | None = Field(default=None, description="None: applies in every province.")


def preview_of(
    rendered: RenderedSpeech,
    mp3_sha256: str | None,
    user: User,
    services: Services,
    issues: tuple[ReadingIssue, ...] = (),
) -> SpeechPreview:
    """The preview as the API answers it, with links only this user can open (`controller.access.audio`)."""
    secret = services.settings.secret_key.get_secret_value()
    return SpeechPreview(
        spoken_text=rendered.spoken_text,
        audio_url=keyed_audio_path(AUDIO_PREFIX, secret, user, rendered.asset_sha256, rendered.codec),
        mp3_url=keyed_audio_path(AUDIO_PREFIX, secret, user, mp3_sha256, "mp3") if mp3_sha256 else None,
        sha256=rendered.asset_sha256,
        mp3_sha256=mp3_sha256,
        duration_ms=rendered.duration_ms,
        loudness_lufs=rendered.loudness_lufs,
        engine=rendered.engine,
        voice=rendered.voice,
        cached=rendered.cached,
        skipped_engines=list(rendered.skipped),
        reading_issues=ReadingIssuePublic.of(issues),
    )


@router.post("/speech/normalize")
def normalize_text(data: SpeechText, session: SessionDep, user: CurrentUser, services: ServicesDep) -> NormalizedText:
    """How the speakers will read the text (no audio; cheap enough to call while the officer types)."""
    commune = get_commune(session, data.commune_code) if data.commune_code else None
    if commune is not None:
        require_commune(session, user, commune)
    request = speech_request(
        session, services.store, data.text, dialect=data.dialect, language=data.language, commune=commune
    )
    issues = ReadingIssuePublic.of(reading_issues(request))
    return NormalizedText(spoken_text=spoken_form(request), reading_issues=issues)


@router.post("/speech/preview", responses=error_responses(502))
def preview_speech(data: SpeechText, session: SessionDep, user: CurrentUser, services: ServicesDep) -> SpeechPreview:
    """Render the text as it would air; the audio is kept, so approving the same text later is instant."""
    require_role(user, Role.OFFICER, Role.APPROVER, Role.ADMIN)
    commune = get_commune(session, data.commune_code) if data.commune_code else None
    if commune is not None:
        require_commune(session, user, commune)
    request = speech_request(
        session, services.store, data.text, dialect=data.dialect, language=data.language, commune=commune
    )
    rendered = anyio.from_thread.run(services.speech.render, request)
    asset = session.get(AudioAsset, rendered.asset_sha256)
    return preview_of(rendered, asset.mp3_sha256 if asset else None, user, services, reading_issues(request))


@router.get("/audio/{filename}", response_class=FileResponse, responses=AUDIO_RESPONSES)
def get_audio(
    filename: str, session: SessionDep, user: CurrentUser, services: ServicesDep, k: str = Query("", max_length=64)
) -> Response:
    """Stored audio by content address, for people (previews, approval). Immutable, supports Range.

    Only audio of a bulletin (or commune chime) in the user's scope, or a preview through the keyed link
    its preview answer gave (`k`).
    """
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


@router.get("/lexicon")
def list_lexicon(session: SessionDep, user: CurrentUser) -> list[LexiconEntryPublic]:
    """The database's abbreviations (the built-in list ships with the release and is not repeated here)."""
    rows = session.exec(select(LexiconEntry).order_by(col(LexiconEntry.abbreviation)))
    return [LexiconEntryPublic.model_validate(row) for row in rows]


@router.post("/lexicon", status_code=201)
def add_lexicon_entry(data: LexiconEntryCreate, session: SessionDep, user: CurrentUser) -> LexiconEntryPublic:
    require_role(user, Role.ADMIN)
    province_id = None
    if data.province_code is not None:
        province = session.exec(select(Province).where(Province.code == data.province_code)).first()
        if province is None:
            raise NotFound(f"no province {data.province_code[:80]!r}")
        province_id = province.id
    try:
        entry = add_entry(session, data.abbreviation, data.expansion, province_id=province_id, created_by=user.id)
        audit.record(session, user, "lexicon.add", f"lexicon:{entry.abbreviation}", entry.expansion)
        session.commit()
    except IntegrityError as exc:
        # A concurrent twin got in first; the unique indexes refused this one.
        session.rollback()
        raise DuplicateLexiconEntry(f"{data.abbreviation} is already in the lexicon for this scope") from exc
    return LexiconEntryPublic.model_validate(entry)


@router.delete("/lexicon/{entry_id}", status_code=204)
def delete_lexicon_entry(entry_id: RowId, session: SessionDep, user: CurrentUser) -> Response:
    require_role(user, Role.ADMIN)
    entry = session.get(LexiconEntry, entry_id)
    if entry is None:
        raise NotFound(f"no lexicon entry {entry_id}")
    session.delete(entry)
    audit.record(session, user, "lexicon.delete", f"lexicon:{entry.abbreviation}", entry.expansion)
    session.commit()
    return Response(status_code=204)
