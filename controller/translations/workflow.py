"""A bulletin's versions in other languages, as the API and the console run them.

Each step checks role and scope exactly as for the bulletin itself (`controller.bulletin_workflow.load_bulletin`),
changes the version through `schedules.translation`, writes the audit log and commits; a change that sent an
approved bulletin back for approval republishes the playlists it was in (it leaves them until approved again).
What approval does with the versions is in `controller.translations.speech`.
"""

from __future__ import annotations

from sqlmodel import Session

from audio_library import BroadcastAudio, save_broadcast
from controller import audit
from controller.accounts import Role, User
from controller.bulletin_workflow import communes_scheduling, load_bulletin, scheduled_anywhere
from controller.deps import require_role
from controller.services import Services
from schedules import Bulletin
from schedules.translation import (
    BulletinTranslation,
    TranslationPublic,
    TranslationWrite,
    attach_translation_recording,
    detach_translation_recording,
    find_translation,
    remove_translation,
    translation_language,
    translations_of,
    write_translation,
)


def _target(bulletin: Bulletin, language: str) -> str:
    return f"bulletin:{bulletin.id} «{bulletin.title[:120]}» [{language}]"


def public_version(session: Session, translation: BulletinTranslation) -> TranslationPublic:
    return TranslationPublic.of(translation, translation_language(session, translation.language))


def list_versions(session: Session, user: User, bulletin_id: int) -> list[TranslationPublic]:
    bulletin = load_bulletin(session, user, bulletin_id, to_change=False)
    assert bulletin.id is not None
    return [public_version(session, t) for t in translations_of(session, bulletin.id)]


def get_version(session: Session, user: User, bulletin_id: int, language: str) -> TranslationPublic:
    bulletin = load_bulletin(session, user, bulletin_id, to_change=False)
    return public_version(session, find_translation(session, bulletin, language))


def _republish_if(session: Session, services: Services, bulletin: Bulletin, lost_approval: bool) -> None:
    session.commit()
    if lost_approval:
        services.publish_each(session, communes_scheduling(session, bulletin))


def write_version(
    session: Session, services: Services, user: User, bulletin_id: int, language: str, data: TranslationWrite
) -> tuple[TranslationPublic, bool, bool]:
    """Add or change the version in `language`: (the version, new, whether the bulletin went back for approval)."""
    require_role(user, Role.OFFICER, Role.ADMIN)
    bulletin = load_bulletin(session, user, bulletin_id, to_change=True)
    written = write_translation(session, bulletin, language, data)
    if written is None:  # an unchanged save: nothing to record, the approval stands
        return public_version(session, find_translation(session, bulletin, language)), False, False
    translation, created, lost = written
    audit.record(
        session,
        user,
        "bulletin.translation_add" if created else "bulletin.translation_edit",
        _target(bulletin, language),
        "sent back for approval" if lost else "",
    )
    _republish_if(session, services, bulletin, lost)
    session.refresh(translation)
    return public_version(session, translation), created, lost


def delete_version(session: Session, services: Services, user: User, bulletin_id: int, language: str) -> None:
    """Remove a version; the bulletin keeps its approval, and playlists drop that version's audio."""
    require_role(user, Role.OFFICER, Role.ADMIN)
    bulletin = load_bulletin(session, user, bulletin_id, to_change=True)
    translation = find_translation(session, bulletin, language)
    remove_translation(session, translation)
    audit.record(session, user, "bulletin.translation_remove", _target(bulletin, language))
    _republish_if(session, services, bulletin, scheduled_anywhere(session, bulletin))


def check_version_recording_target(services: Services, user: User, bulletin_id: int, language: str) -> None:
    """Refuse early (role, scope, an unknown version) before reading megabytes and running the chain."""
    require_role(user, Role.OFFICER, Role.ADMIN)
    with services.sessions() as session:
        bulletin = load_bulletin(session, user, bulletin_id, to_change=True)
        find_translation(session, bulletin, language)


def attach_version_recording(
    services: Services, user: User, bulletin_id: int, language: str, processed: BroadcastAudio
) -> TranslationPublic:
    """Store the processed recording (the bulletins' broadcast chain) as the version's audio."""
    with services.sessions() as session:
        bulletin = load_bulletin(session, user, bulletin_id, to_change=True)
        translation = find_translation(session, bulletin, language)
        asset = save_broadcast(session, services.store, processed, source="upload")
        lost = attach_translation_recording(session, bulletin, translation, asset.sha256)
        audit.record(
            session,
            user,
            "bulletin.translation_recording",
            _target(bulletin, language),
            f"audio {asset.sha256}" + ("; sent back for approval" if lost else ""),
        )
        _republish_if(session, services, bulletin, lost)
        session.refresh(translation)
        return public_version(session, translation)


def detach_version_recording(
    session: Session, services: Services, user: User, bulletin_id: int, language: str
) -> TranslationPublic:
    require_role(user, Role.OFFICER, Role.ADMIN)
    bulletin = load_bulletin(session, user, bulletin_id, to_change=True)
    translation = find_translation(session, bulletin, language)
    lost = detach_translation_recording(session, bulletin, translation)
    audit.record(session, user, "bulletin.translation_recording_removed", _target(bulletin, language))
    _republish_if(session, services, bulletin, lost)
    session.refresh(translation)
    return public_version(session, translation)
