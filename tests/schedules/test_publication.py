"""Playlist publication against a real database: versions, unchanged content, the moving horizon."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from audio_library import AssetStore, EncodedAudio, save_asset
from audio_library.timestamps import utc_now
from controller.accounts import Role, UserCreate, create_user
from controller.db import make_engine, session_factory
from controller.settings import DatabaseSettings
from devices.protocol import Playlist, PlaylistNotice
from devices.registry import Commune, add_commune, add_province
from schedules import Bulletin, BulletinStatus, current_playlist, republish_all, schedule_broadcast
from schedules.commune_hours import CommuneQuietHours
from schedules.local_time import local

HORIZON, LOOKBACK = timedelta(hours=24), timedelta(hours=2)


@pytest.fixture
def sessions(database_url: str) -> Iterator[Callable[[], Session]]:
    engine = make_engine(DatabaseSettings(url=database_url))
    yield session_factory(engine)
    engine.dispose()


def approved_bulletin(session: Session, commune: Commune, tmp_path: Path) -> Bulletin:
    author = create_user(
        session, UserCreate(username="author", role=Role.OFFICER, password="password-1"), province_id=None, communes=[]
    )
    asset = save_asset(
        session, AssetStore(tmp_path), EncodedAudio(data=b"opus", codec="opus", duration_ms=30_000), source="tts"
    )
    assert commune.id is not None and author.id is not None
    bulletin = Bulletin(
        commune_id=commune.id,
        title="Tin",
        body="Nội dung",
        author_id=author.id,
        status=BulletinStatus.APPROVED,
        audio_sha256=asset.sha256,
    )
    session.add(bulletin)
    session.flush()
    return bulletin


def quiet_hours_away_from(session: Session, commune: Commune, airs_at: datetime) -> None:
    """Give the commune quiet hours half a day away from `airs_at`, so the default night window (21:00-05:30)
    cannot swallow an airing whose wall-clock hour depends on when the test runs."""
    assert commune.id is not None
    start = (local(airs_at) + timedelta(hours=12)).replace(second=0, microsecond=0)
    end = start + timedelta(hours=2)
    session.add(CommuneQuietHours(commune_id=commune.id, start_time=start.time(), end_time=end.time()))
    session.flush()


def test_items_beyond_the_horizon_are_published_when_time_brings_them_in(
    sessions: Callable[[], Session], tmp_path: Path
) -> None:
    make = sessions
    now = utc_now()
    with make() as session:
        commune = add_commune(session, add_province(session, "P", "Tỉnh"), "XA", "Xã")
        bulletin = approved_bulletin(session, commune, tmp_path)
        quiet_hours_away_from(session, commune, now + timedelta(hours=30))
        schedule_broadcast(
            session,
            bulletin,
            commune,
            now + timedelta(hours=30),
            created_by=bulletin.author_id,
            now=now,
            lookback=LOOKBACK,
        )
        session.commit()
    notices: list[PlaylistNotice] = []

    assert republish_all(make, notices.append, now=now, horizon=HORIZON, lookback=LOOKBACK) == 1
    assert republish_all(make, notices.append, now=now, horizon=HORIZON, lookback=LOOKBACK) == 0
    with make() as session:
        stored = current_playlist(session, commune)
        assert stored is not None and Playlist.model_validate_json(stored.content).items == ()

    later = now + timedelta(hours=7)
    assert republish_all(make, notices.append, now=later, horizon=HORIZON, lookback=LOOKBACK) == 1
    with make() as session:
        stored = current_playlist(session, commune)
        assert stored is not None
        playlist = Playlist.model_validate_json(stored.content)
    assert [item.starts_at for item in playlist.items] == [now + timedelta(hours=30)]
    assert [n.version for n in notices] == [1, 2] and notices[-1].etag == stored.etag
