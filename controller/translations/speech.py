"""Each version of a bulletin spoken in its own language, at the bulletin's approval.

At approval (`approve_versions`, called by `controller.bulletin_workflow.approve_bulletin`) each version
gets its audio: its recording, or speech in its own language (edge-tts has Khmer voices). A language no
engine can speak then (espeak-ng, the offline engine, has no Khmer voice) gets no audio and a note telling
the officer in Vietnamese that a recording is needed; the bulletin's own version is approved and airs all
the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import anyio.from_thread
from sqlmodel import Session

from controller.services import Services
from controller.speech import speech_request
from devices.registry import Commune
from schedules import Bulletin
from schedules.translation import SPOKEN_LANGUAGES, BulletinTranslation, approve_translation, translation_language
from tts.errors import LanguageUnsupported, NoSpeechEngine
from tts.speech_asset import RenderedSpeech


def version_text(title: str, body: str) -> str:
    """What the speakers read of a version: its title, a pause, then its text."""
    return f"{title.rstrip('.!។')}.\n{body}" if body.strip() else title


def in_sentence(language_name: str) -> str:
    """A language's name inside a sentence: "Tiếng Khmer" -> "tiếng Khmer"."""
    return language_name[:1].lower() + language_name[1:]


def needs_recording_note(language_name: str) -> str:
    """What the officer reads when no engine could speak a version at approval."""
    name = in_sentence(language_name)
    return (
        f"Chưa có âm thanh cho bản {name}: không bộ đọc nào đọc được {name} lúc duyệt (khi mất mạng, không có "
        f"giọng đọc ngoại tuyến cho {name}). Bản này chưa được phát cho tới khi có bản ghi âm: hãy tải lên "
        "bản ghi âm do người đọc rồi gửi duyệt lại. Bản tiếng Việt vẫn được phát bình thường."
    )


def render_version(
    session: Session, services: Services, bulletin: Bulletin, translation: BulletinTranslation
) -> RenderedSpeech:
    """Speak the version in its own language (from a worker thread); LanguageUnsupported for a language no
    engine of loaxa speaks, NoSpeechEngine when none of the configured ones could now."""
    if translation.language not in SPOKEN_LANGUAGES:
        raise LanguageUnsupported(f"no speech engine speaks {translation.language}")
    commune = session.get(Commune, bulletin.commune_id) if bulletin.commune_id is not None else None
    request = speech_request(
        session,
        services.store,
        version_text(translation.title, translation.body),
        dialect="south" if bulletin.dialect == "south" else "north",
        language="km" if translation.language == "km" else "vi",
        commune=commune,
        province_id=bulletin.province_id,
    )
    return anyio.from_thread.run(services.speech.render, request)


@dataclass(frozen=True)
class VersionAudio:
    """What a version airs once approved: its audio (None: no engine could speak it, see `note`)."""

    translation: BulletinTranslation
    sha256: str | None
    spoken_text: str = ""
    note: str = ""


def speak_versions(
    session: Session, services: Services, bulletin: Bulletin, translations: list[BulletinTranslation]
) -> list[VersionAudio]:
    """Each version's audio for the approval about to be made: its recording, or speech in its language.

    Writes nothing to the session (speech is stored by the renderer in its own transactions, so call this
    before changing anything: SQLite would otherwise find the database locked by this one).
    """
    audios = []
    for translation in translations:
        if translation.audio_source == "recording" and translation.audio_sha256 is not None:
            audios.append(VersionAudio(translation, translation.audio_sha256))
            continue
        try:
            rendered = render_version(session, services, bulletin, translation)
        except (LanguageUnsupported, NoSpeechEngine):
            name = translation_language(session, translation.language).name_vi
            audios.append(VersionAudio(translation, None, note=needs_recording_note(name)))
            continue
        audios.append(VersionAudio(translation, rendered.asset_sha256, spoken_text=rendered.spoken_text))
    return audios


def approve_versions(bulletin: Bulletin, audios: list[VersionAudio]) -> None:
    """Fix every version's audio with the bulletin's approval, just made (same transaction)."""
    for audio in audios:
        approve_translation(bulletin, audio.translation, audio.sha256, spoken_text=audio.spoken_text, note=audio.note)
