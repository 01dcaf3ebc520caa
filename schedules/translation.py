"""A bulletin's versions in other languages (Khmer first): each its own title and text, or a recording.

The languages are the one list the system keeps (`stock_language`, seeded by migration 0019 with
Vietnamese and Khmer; the stock library uses the same list). A bulletin has at most one version per
language, never in its own language.

Approval covers every version: the approver approves the bulletin with all of them, and each version's
audio is fixed at that moment (`approved_sha256`: a recording as uploaded, or speech rendered in the
version's language). Adding or editing a version of an approved bulletin sends the bulletin back for
approval, as editing its text does (`schedules.bulletin.revise`). Only a version's approved audio, of a
bulletin approved now, may air (`schedules.clearance`). A version no engine could speak at approval
has no approved audio and a note saying a recording is needed: it does not air, the bulletin's own
version does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from audio_library.timestamps import UtcDateTime, utc_now
from schedules.bulletin import AudioSource, Bulletin, BulletinStatus, revise
from schedules.errors import (
    EmptyTranslation,
    InvalidTransition,
    TranslationNotFound,
    TranslationSameLanguage,
    UnknownTranslationLanguage,
)
from schedules.stock_message import StockLanguage

# Languages an engine of `tts` can be asked to speak at all (edge-tts has Vietnamese and Khmer voices);
# a language of the list beyond these has audio only from a recording.
SPOKEN_LANGUAGES = frozenset({"vi", "km"})


class BulletinTranslation(SQLModel, table=True):
    """One version of a bulletin in another language."""

    __tablename__ = "bulletin_translation"
    __table_args__ = (UniqueConstraint("bulletin_id", "language", name="uq_bulletin_translation_language"),)

    id: int | None = Field(default=None, primary_key=True)
    bulletin_id: int = Field(foreign_key="bulletin.id", index=True)
    language: str = Field(foreign_key="stock_language.code", max_length=3)
    title: str = Field(max_length=300)
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    # The version's audio now: an uploaded recording, or speech rendered from its text at approval.
    audio_sha256: str | None = Field(default=None, foreign_key="audio_asset.sha256", max_length=64)
    audio_source: str = Field(default=AudioSource.SPEECH, sa_column=Column(String(16), nullable=False))
    spoken_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    # The audio the approver approved with the bulletin: the only audio of this version that may air.
    approved_sha256: str | None = Field(default=None, max_length=64, index=True)
    # The approval it belongs to: the bulletin's `reviewed_at` when it was approved with it. A later
    # approval of the bulletin (at the province's source system, say) that did not cover this version
    # has another time, so the old audio no longer airs (`schedules.clearance`).
    approved_with: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Why it has no audio after approval (Vietnamese, for the officer): e.g. a recording is needed.
    speech_note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)

    @property
    def has_content(self) -> bool:
        return bool(self.body.strip()) or (self.audio_source == AudioSource.RECORDING and self.audio_sha256 is not None)


class TranslationWrite(SQLModel):
    """A version's title and text (the text may stay empty when a recording is uploaded instead)."""

    title: str = Field(min_length=1, max_length=300)
    body: str = Field(default="", max_length=20_000)


class TranslationPublic(SQLModel):
    language: str
    language_name: str = Field(description="The language as the console names it, e.g. Tiếng Khmer.")
    title: str
    body: str
    audio_source: str = Field(description="speech (from the text at approval) or recording (uploaded)")
    audio_sha256: str | None
    spoken_text: str
    approved_sha256: str | None = Field(description="The audio approved with the bulletin: what may air.")
    speech_note: str = Field(description="Why the version has no audio after approval (Vietnamese), if so.")
    offline_speech: bool = Field(
        description="An offline engine reads this language (else only edge-tts or a recording)."
    )
    updated_at: datetime

    @classmethod
    def of(cls, translation: BulletinTranslation, language: StockLanguage) -> TranslationPublic:
        return cls(
            language=translation.language,
            language_name=language.name_vi,
            title=translation.title,
            body=translation.body,
            audio_source=translation.audio_source,
            audio_sha256=translation.audio_sha256,
            spoken_text=translation.spoken_text,
            approved_sha256=translation.approved_sha256,
            speech_note=translation.speech_note,
            offline_speech=language.offline_speech,
            updated_at=translation.updated_at,
        )


def translation_language(session: Session, code: str) -> StockLanguage:
    """The language of the system's list named by `code`; UnknownTranslationLanguage (422) otherwise."""
    language = session.get(StockLanguage, code) if 0 < len(code) <= 3 else None
    if language is None:
        raise UnknownTranslationLanguage(f"unknown language {code[:20]!r}")
    return language


def languages(session: Session) -> list[StockLanguage]:
    return list(session.exec(select(StockLanguage).order_by(col(StockLanguage.code))))


def translations_of(session: Session, bulletin_id: int) -> list[BulletinTranslation]:
    """The bulletin's versions in the order they air after its own: by language code."""
    return list(
        session.exec(
            select(BulletinTranslation)
            .where(BulletinTranslation.bulletin_id == bulletin_id)
            .order_by(col(BulletinTranslation.language))
        )
    )


def find_translation(session: Session, bulletin: Bulletin, code: str) -> BulletinTranslation:
    translation_language(session, code)
    found = session.exec(
        select(BulletinTranslation).where(
            BulletinTranslation.bulletin_id == bulletin.id, BulletinTranslation.language == code
        )
    ).first()
    if found is None:
        raise TranslationNotFound(f"bulletin {bulletin.id} has no {code} version")
    return found


def _send_back(bulletin: Bulletin, translations: list[BulletinTranslation]) -> bool:
    """An approved bulletin goes back for approval with every version; True when it lost its approval."""
    lost = revise(bulletin, {})
    if lost:
        unapprove(translations)
    return lost


def unapprove(translations: list[BulletinTranslation]) -> None:
    """The bulletin lost its approval: no version may air, and speech of the old approval is dropped."""
    for translation in translations:
        translation.approved_sha256, translation.approved_with = None, None
        translation.speech_note = ""
        if translation.audio_source != AudioSource.RECORDING:
            translation.audio_sha256 = None
            translation.spoken_text = ""


def write_translation(
    session: Session, bulletin: Bulletin, code: str, data: TranslationWrite
) -> tuple[BulletinTranslation, bool, bool] | None:
    """Add or change the version in `code`: (the version, whether it is new, whether the bulletin lost its
    approval). An unchanged save changes nothing and returns None."""
    translation_language(session, code)
    if code == bulletin.language:
        raise TranslationSameLanguage(f"bulletin {bulletin.id} is itself in {code}")
    title, body = data.title.strip(), data.body.strip()
    if not title:
        raise EmptyTranslation("a version needs a title")
    existing = session.exec(
        select(BulletinTranslation).where(
            BulletinTranslation.bulletin_id == bulletin.id, BulletinTranslation.language == code
        )
    ).first()
    if existing is not None and (existing.title, existing.body) == (title, body):
        return None
    if existing is None:
        assert bulletin.id is not None
        translation = BulletinTranslation(bulletin_id=bulletin.id, language=code, title=title, body=body)
    else:
        translation = existing
        if translation.body != body and translation.audio_source != AudioSource.RECORDING:
            translation.audio_sha256, translation.spoken_text = None, ""
        translation.title, translation.body = title, body
    translation.updated_at = utc_now()
    session.add(translation)
    others = [t for t in translations_of(session, bulletin.id or 0) if t.language != code]
    lost = _send_back(bulletin, [*others, translation])
    return translation, existing is None, lost


def attach_translation_recording(
    session: Session, bulletin: Bulletin, translation: BulletinTranslation, sha256: str
) -> bool:
    """Air an uploaded recording for this version; True when the bulletin lost its approval.

    Allowed in every state, like editing the version's text: a version is often written first and recorded
    once the reader has it, and an approved bulletin goes back for approval with it.
    """
    translation.audio_source, translation.audio_sha256 = AudioSource.RECORDING, sha256
    translation.spoken_text, translation.speech_note = "", ""
    translation.updated_at = utc_now()
    session.add(translation)
    return _send_back(bulletin, translations_of(session, bulletin.id or 0))


def detach_translation_recording(session: Session, bulletin: Bulletin, translation: BulletinTranslation) -> bool:
    """Back to speech from the version's text (which must then exist); True when the approval was lost."""
    if not translation.body.strip():
        raise EmptyTranslation(f"bulletin {bulletin.id}'s {translation.language} version has no text to speak")
    translation.audio_source, translation.audio_sha256 = AudioSource.SPEECH, None
    translation.updated_at = utc_now()
    session.add(translation)
    return _send_back(bulletin, translations_of(session, bulletin.id or 0))


def remove_translation(session: Session, translation: BulletinTranslation) -> None:
    """Delete a version; the rest of the bulletin keeps its approval (nothing new is heard)."""
    session.delete(translation)


def check_complete(translations: list[BulletinTranslation]) -> None:
    """Refuse to submit or approve a bulletin with an empty version (no text and no recording)."""
    for translation in translations:
        if not translation.has_content:
            raise EmptyTranslation(f"the {translation.language} version has neither text nor a recording")


def approve_translation(
    bulletin: Bulletin, translation: BulletinTranslation, audio_sha256: str | None, *, spoken_text: str, note: str
) -> None:
    """Fix the version's audio at the bulletin's approval, just made (None, with `note`: no audio, it does
    not air)."""
    if bulletin.status != BulletinStatus.APPROVED or bulletin.reviewed_at is None:
        raise InvalidTransition(f"bulletin {bulletin.id} is {bulletin.status}: approve it first")
    translation.approved_sha256 = audio_sha256
    translation.approved_with = bulletin.reviewed_at
    if translation.audio_source != AudioSource.RECORDING:
        translation.audio_sha256 = audio_sha256
        translation.spoken_text = spoken_text
    translation.speech_note = note[:500]
    translation.updated_at = utc_now()


def airing_versions(session: Session, bulletin: Bulletin) -> list[BulletinTranslation]:
    """The versions that air with the bulletin's current approval, in order (the rest never air)."""
    if bulletin.status != BulletinStatus.APPROVED or bulletin.reviewed_at is None or bulletin.id is None:
        return []
    return [
        version
        for version in translations_of(session, bulletin.id)
        if version.approved_sha256 is not None and version.approved_with == bulletin.reviewed_at
    ]
