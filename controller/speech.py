"""Assembling speech requests for a commune: its province's lexicon and its chimes."""

from __future__ import annotations

from sqlmodel import Session

from audio_library import AssetStore, AudioAsset
from devices.registry import Commune
from tts.lexicon import lexicon_for
from tts.normalizer import ReadingIssue, read_aloud
from tts.speech_asset import Chime, SpeechRequest
from tts.synthesizer import Dialect, Language


def _chime(session: Session, store: AssetStore, sha256: str | None) -> Chime | None:
    if sha256 is None:
        return None
    asset = session.get(AudioAsset, sha256)
    if asset is None:
        return None
    return Chime(sha256=sha256, audio=store.open_path(sha256, asset.codec).read_bytes())


def speech_request(
    session: Session,
    store: AssetStore,
    text: str,
    *,
    dialect: Dialect,
    language: Language,
    commune: Commune | None,
    province_id: int | None = None,
) -> SpeechRequest:
    """What the renderer needs to speak `text` as `commune` airs it.

    No commune: no chimes, and the lexicon of `province_id` (a province's bulletin airs in all its
    communes, each with its own chimes, so none is baked in), or only the nationwide one.
    """
    if commune is None:
        lexicon = lexicon_for(session, province_id)
        return SpeechRequest(text=text, dialect=dialect, language=language, lexicon=lexicon)
    return SpeechRequest(
        text=text,
        dialect=dialect,
        language=language,
        lexicon=lexicon_for(session, commune.province_id),
        intro=_chime(session, store, commune.intro_chime_sha256),
        outro=_chime(session, store, commune.outro_chime_sha256),
    )


def reading_issues(request: SpeechRequest) -> tuple[ReadingIssue, ...]:
    """What the normaliser cannot read in the request's text, for the officer's preview.

    Only Vietnamese text goes through the normaliser; other languages are spoken as written.
    """
    if request.language != "vi":
        return ()
    return read_aloud(request.text, request.dialect, request.lexicon).issues
