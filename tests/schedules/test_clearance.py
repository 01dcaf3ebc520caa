"""The one rule for what may air (`schedules.clearance`), case by case on a real database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from audio_library import AssetStore, EncodedAudio, save_asset
from controller.accounts import Role, UserCreate, create_user
from controller.db import make_engine, session_factory
from controller.settings import DatabaseSettings
from devices.registry import Commune, add_commune, add_province
from schedules import Bulletin, BulletinStatus, NotCleared, approve, cleared_audio, require_cleared, revise
from schedules.clearance import clearing_bulletin
from schedules.translation import BulletinTranslation, approve_translation, unapprove

NOW = datetime(2026, 12, 3, 8, tzinfo=UTC)


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = make_engine(DatabaseSettings(url=database_url))
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


class Place:
    def __init__(self, session: Session, tmp: Path) -> None:
        self.session = session
        self.store = AssetStore(tmp)
        province = add_province(session, "P", "Tỉnh P")
        self.a = add_commune(session, province, "XA-A", "Xã A")
        self.b = add_commune(session, province, "XA-B", "Xã B")
        self.q = add_commune(session, add_province(session, "Q", "Tỉnh Q"), "XA-Q", "Xã Q")
        author = create_user(
            session,
            UserCreate(username="author", role=Role.OFFICER, password="password-1"),
            province_id=None,
            communes=[],
        )
        assert author.id is not None
        self.author_id = author.id

    def audio(self, name: str, source: str = "tts", mp3: str | None = None) -> str:
        return save_asset(
            self.session,
            self.store,
            EncodedAudio(data=name.encode(), codec="opus", duration_ms=1000),
            source=source,
            mp3_sha256=mp3,
        ).sha256

    def bulletin(
        self, sha256: str, status: BulletinStatus, *, commune_id: int | None = None, province_id: int | None = None
    ) -> Bulletin:
        bulletin = Bulletin(
            title="Tin",
            body="…",
            author_id=self.author_id,
            status=status,
            audio_sha256=sha256,
            commune_id=commune_id,
            province_id=province_id,
        )
        self.session.add(bulletin)
        self.session.flush()
        return bulletin


def test_approved_audio_of_the_commune_or_its_province_is_cleared_and_nothing_else(
    session: Session, tmp_path: Path
) -> None:
    place = Place(session, tmp_path)
    a, b, q = place.a, place.b, place.q
    assert a.id is not None and a.province_id is not None
    mp3 = save_asset(session, place.store, EncodedAudio(data=b"mp3", codec="mp3", duration_ms=1000), source="tts")
    own = place.audio("own", mp3=mp3.sha256)
    place.bulletin(own, BulletinStatus.APPROVED, commune_id=a.id)
    province = place.audio("province")
    place.bulletin(province, BulletinStatus.APPROVED, province_id=a.province_id)
    pending = place.audio("pending")
    place.bulletin(pending, BulletinStatus.PENDING, commune_id=a.id)
    preview = place.audio("preview")
    tone = place.audio("tone", source="system")
    chime = place.audio("chime", source="chime")
    everything = {own, mp3.sha256, province, pending, preview, tone, chime, "0" * 64}

    assert cleared_audio(session, a, everything) == {own, mp3.sha256, province, tone}
    assert cleared_audio(session, b, everything) == {province, tone}
    assert cleared_audio(session, q, everything) == {tone}
    assert cleared_audio(session, a, []) == frozenset()
    with pytest.raises(NotCleared):
        require_cleared(session, b, own)
    require_cleared(session, a, own)


def test_the_same_audio_approved_elsewhere_does_not_clear_it_here(session: Session, tmp_path: Path) -> None:
    place = Place(session, tmp_path)
    shared = place.audio("shared")
    place.bulletin(shared, BulletinStatus.APPROVED, commune_id=place.b.id)
    place.bulletin(shared, BulletinStatus.DRAFT, commune_id=place.a.id)
    assert cleared_audio(session, place.a, [shared]) == frozenset()
    assert cleared_audio(session, place.b, [shared]) == {shared}


def test_with_a_moment_the_bulletin_must_be_valid_then(session: Session, tmp_path: Path) -> None:
    place = Place(session, tmp_path)
    commune: Commune = place.a
    sha = place.audio("valid")
    bulletin = place.bulletin(sha, BulletinStatus.APPROVED, commune_id=commune.id)
    bulletin.valid_from, bulletin.valid_until = NOW, NOW + timedelta(hours=1)
    session.flush()
    assert cleared_audio(session, commune, [sha], at=NOW) == {sha}
    assert cleared_audio(session, commune, [sha], at=NOW - timedelta(seconds=1)) == frozenset()
    assert cleared_audio(session, commune, [sha], at=NOW + timedelta(hours=1)) == frozenset()
    assert cleared_audio(session, commune, [sha]) == {sha}


def test_a_version_in_another_language_airs_only_with_the_approval_that_covered_it(
    session: Session, tmp_path: Path
) -> None:
    """A Khmer version's audio is cleared only as approved with its bulletin, and only where the bulletin airs."""
    place = Place(session, tmp_path)
    a, b = place.a, place.b
    own, khmer, draft = place.audio("own"), place.audio("khmer"), place.audio("khmer-draft")
    approver = create_user(
        session,
        UserCreate(username="approver", role=Role.APPROVER, password="password-2"),
        province_id=None,
        communes=[],
    )
    assert approver.id is not None
    bulletin = place.bulletin(own, BulletinStatus.PENDING, commune_id=a.id)
    assert bulletin.id is not None
    version = BulletinTranslation(
        bulletin_id=bulletin.id, language="km", title="ព័ត៌មាន", audio_source="recording", audio_sha256=khmer
    )
    session.add(version)
    session.flush()
    approve(bulletin, approver.id, own)
    # Approved, but the version was not approved with it (an approval at the source, say): not cleared.
    version.approved_sha256 = khmer
    session.flush()
    assert cleared_audio(session, a, [own, khmer]) == {own}
    approve_translation(bulletin, version, khmer, spoken_text="", note="")
    session.flush()
    assert cleared_audio(session, a, [own, khmer, draft]) == {own, khmer}
    assert cleared_audio(session, b, [own, khmer]) == frozenset()
    assert clearing_bulletin(session, a, khmer) == bulletin
    # A new version of the text sends the bulletin back: neither language airs; re-approved, both do.
    assert revise(bulletin, {"body": "Nội dung mới"})
    unapprove([version])
    session.flush()
    assert cleared_audio(session, a, [own, khmer]) == frozenset()
    bulletin.status = BulletinStatus.PENDING
    approve(bulletin, approver.id, own)
    session.flush()
    assert cleared_audio(session, a, [own, khmer]) == {own}, "the version was not approved again"
    approve_translation(bulletin, version, khmer, spoken_text="", note="")
    session.flush()
    assert cleared_audio(session, a, [own, khmer]) == {own, khmer}
