"""The one rule for what may make a speaker sound: audio of content approved for where it plays.

Loaxa's promise is that only approved content reaches a speaker. Every path that makes a node sound
asks this module, so the rule lives in one place:
- playlists (programs, one-off broadcasts, emergencies): the timetable marks an item airable only when
  its audio is cleared, and `schedules.publication` checks every item once more just before storing the
  version that nodes download, whatever put it there;
- `play_now` commands, by bulletin or by audio hash (`controller.api.commands`);
- program items given as bare audio (`controller.program_scheduling`);
- emergencies (`schedules.emergency_dispatch`).
Nodes download only audio of their commune's published playlist or of a `play_now` sent to them, so
their downloads inherit the rule.

Audio is cleared for a commune when it is
- the audio (or its MP3 rendition) of a bulletin that is approved now and airs in that commune: the
  commune's own, or its province's (`schedules.bulletin.airs_in`); or
- the approved audio of one of such a bulletin's versions in another language (`schedules.translation`),
  approved with that very approval (a version added or changed since, or left out of an approval made
  elsewhere, is not: nothing airs in a language nobody approved); or
- audio the controller made itself (`SYSTEM_SOURCES`, e.g. a test tone): no upload or speech request can
  store audio with that source; or
- the approved audio of a stock library message (`schedules.stock_message`): an admin approved it for
  every commune (storm, flood... warnings). A stock draft not yet approved is not cleared.
Never cleared: a preview, the speech of a draft or of a bulletin sent back for approval, another commune's
bulletin, a commune's chime on its own (an officer uploads it; it airs only inside approved bulletins).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, and_, col, or_, select

from audio_library import AudioAsset
from devices.registry import Commune
from schedules.bulletin import Bulletin, BulletinStatus
from schedules.errors import NotCleared
from schedules.stock_message import approved_stock_audio
from schedules.translation import BulletinTranslation

# Sources of audio that the controller synthesises itself and no person supplies.
SYSTEM_SOURCES: frozenset[str] = frozenset({"system"})


def cleared_audio(
    session: Session, commune: Commune, sha256s: Iterable[str], *, at: datetime | None = None
) -> frozenset[str]:
    """The hashes among `sha256s` that may air in `commune` (Opus assets or their MP3 renditions).

    With `at`, a bulletin must also be within its validity window then. A few queries whatever the count.
    """
    wanted = set(sha256s)
    if not wanted:
        return frozenset()
    assets = session.exec(
        select(AudioAsset.sha256, AudioAsset.mp3_sha256, AudioAsset.source).where(
            or_(col(AudioAsset.sha256).in_(wanted), col(AudioAsset.mp3_sha256).in_(wanted))
        )
    ).all()
    renditions: dict[str, set[str]] = {}  # primary sha -> the hashes asked for that it stands for
    cleared: set[str] = set()
    for sha256, mp3_sha256, source in assets:
        asked = {s for s in (sha256, mp3_sha256) if s in wanted}
        if source in SYSTEM_SOURCES:
            cleared |= asked
        else:
            renditions.setdefault(sha256, set()).update(asked)
    for stock in approved_stock_audio(session, set(renditions)):
        cleared |= renditions.pop(stock)
    if not renditions:
        return frozenset(cleared)
    approved_here = and_(
        col(Bulletin.status) == BulletinStatus.APPROVED,
        or_(
            and_(col(Bulletin.province_id).is_(None), col(Bulletin.commune_id) == commune.id),
            col(Bulletin.province_id) == commune.province_id,
        ),
    )
    if at is not None:
        approved_here = and_(
            approved_here,
            or_(col(Bulletin.valid_from).is_(None), col(Bulletin.valid_from) <= at),
            or_(col(Bulletin.valid_until).is_(None), col(Bulletin.valid_until) > at),
        )
    own = select(Bulletin.audio_sha256).where(col(Bulletin.audio_sha256).in_(renditions), approved_here)
    versions = (
        select(BulletinTranslation.approved_sha256)
        .join(Bulletin, col(Bulletin.id) == col(BulletinTranslation.bulletin_id))
        .where(
            col(BulletinTranslation.approved_sha256).in_(renditions),
            col(BulletinTranslation.approved_with) == col(Bulletin.reviewed_at),
            approved_here,
        )
    )
    for approved in [*session.exec(own).all(), *session.exec(versions).all()]:
        if approved is not None:
            cleared |= renditions.get(approved, set())
    return frozenset(cleared)


def require_cleared(session: Session, commune: Commune, sha256: str, *, at: datetime | None = None) -> None:
    """Raise `NotCleared` unless the audio may air in the commune (see the module's rule)."""
    if sha256 not in cleared_audio(session, commune, [sha256], at=at):
        raise NotCleared(f"audio {sha256[:64]} is not approved content of {commune.code}")


def clearing_bulletin(session: Session, commune: Commune, sha256: str) -> Bulletin | None:
    """The newest approved bulletin airing in the commune whose audio this is (its validity then bounds
    when the audio may air as a bare program item), also when it is the audio of one of its versions in
    another language; None for system audio or audio not cleared."""
    approved_here = and_(
        col(Bulletin.status) == BulletinStatus.APPROVED,
        or_(
            and_(col(Bulletin.province_id).is_(None), col(Bulletin.commune_id) == commune.id),
            col(Bulletin.province_id) == commune.province_id,
        ),
    )
    own = select(Bulletin).where(Bulletin.audio_sha256 == sha256, approved_here)
    found = session.exec(own.order_by(col(Bulletin.id).desc())).first()
    if found is not None:
        return found
    version = (
        select(Bulletin)
        .join(BulletinTranslation, col(Bulletin.id) == col(BulletinTranslation.bulletin_id))
        .where(
            BulletinTranslation.approved_sha256 == sha256,
            col(BulletinTranslation.approved_with) == col(Bulletin.reviewed_at),
            approved_here,
        )
    )
    return session.exec(version.order_by(col(Bulletin.id).desc())).first()
