"""'Failed to play': items of the published playlist without proof of play from a targeted cluster."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from controller.db import make_engine, session_factory
from controller.settings import DatabaseSettings
from devices.alerts import Alert
from devices.health_monitor import HealthMonitor
from devices.proof_of_play import PlayRecord
from devices.protocol import Playlist, PlaylistItem
from devices.registry import add_commune, add_device, add_province
from devices.settings import FleetSettings
from schedules.play_audit import audit_plays, due_items
from schedules.publication import CommunePlaylist

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
SHA = "a" * 64
GRACE = timedelta(minutes=5)


def item(item_id: str, ends_ago_min: float, clusters: tuple[str, ...] | None = None) -> PlaylistItem:
    starts_at = NOW - timedelta(minutes=ends_ago_min + 1)
    return PlaylistItem(
        item_id=item_id,
        title=f"Tin {item_id}",
        asset_sha256=SHA,
        asset_url=f"/api/v1/node/audio/{SHA}.opus",
        duration_ms=60_000,
        starts_at=starts_at,
        clusters=clusters,
    )


def test_only_items_past_their_grace_and_within_the_window_are_due() -> None:
    playlist = Playlist(
        commune="XA",
        version=1,
        generated_at=NOW,
        items=(item("ended-long-ago", 600), item("due", 6), item("in-grace", 4), item("future", -30)),
    )
    due = due_items(playlist, NOW, GRACE, timedelta(hours=6))
    assert [i.item_id for i in due] == ["due"]


def test_a_targeted_cluster_without_proof_of_play_gets_one_alert(database_url: str) -> None:
    engine = make_engine(DatabaseSettings(url=database_url))
    sessions = session_factory(engine)
    with sessions() as session:
        commune = add_commune(session, add_province(session, "P", "P"), "XA", "Xã")
        played, silent, elsewhere = (
            add_device(session, commune, c, hash_iterations=101)[0] for c in ("D1", "D2", "D3")
        )
        for device in (played, silent, elsewhere):
            device.created_at = NOW - timedelta(days=1)
            session.add(device)
        late = add_device(session, commune, "D4", hash_iterations=101)[0]
        late.created_at = NOW  # registered after the items: not due to play them
        session.add(late)
        items = (item("all", 10), item("two", 10, clusters=("D1", "D2")))
        playlist = Playlist(commune="XA", version=3, generated_at=NOW, items=items)
        assert commune.id is not None and played.id is not None
        session.add(
            CommunePlaylist(
                commune_id=commune.id,
                version=3,
                etag='"3"',
                digest="x",
                content=playlist.model_dump_json(),
                generated_at=NOW,
            )
        )
        for it, outcome in ((items[0], "played"), (items[1], "interrupted")):
            session.add(
                PlayRecord(
                    report_id=f"r-{it.item_id}",
                    device_id=played.id,
                    commune_code="XA",
                    playlist_version=3,
                    item_id=it.item_id,
                    asset_sha256=SHA,
                    played_sha256=SHA,
                    scheduled_start=it.starts_at,
                    started_at=it.starts_at,
                    ended_at=it.starts_at + timedelta(minutes=1),
                    start_error_ms=0,
                    outcome=outcome,
                )
            )
        # D3 reported the item, but as failed: no proof that it aired.
        session.add(
            PlayRecord(
                report_id="r-failed",
                device_id=elsewhere.id or 0,
                commune_code="XA",
                playlist_version=3,
                item_id="all",
                asset_sha256=SHA,
                scheduled_start=items[0].starts_at,
                started_at=items[0].starts_at,
                ended_at=items[0].starts_at,
                start_error_ms=0,
                outcome="failed",
            )
        )
        session.commit()

    settings = FleetSettings(play_grace_s=GRACE.total_seconds())
    with sessions() as session:
        assert audit_plays(session, NOW, HealthMonitor(sessions, settings)) == 3
        # Every pass looks again; nothing is raised twice, not even by another controller instance.
        assert audit_plays(session, NOW + timedelta(seconds=5), HealthMonitor(sessions, settings)) == 0
        alerts = session.exec(select(Alert).order_by(Alert.message)).all()
    assert sorted((a.kind, a.message.split()[2]) for a in alerts) == [
        ("failed_to_play", "D2"),
        ("failed_to_play", "D2"),
        ("failed_to_play", "D3"),
    ]
    assert all(a.severity == "critical" and "không phát được" in a.message for a in alerts)
    engine.dispose()


def test_one_item_cut_on_some_clusters_and_whole_on_others_is_audited_per_cluster(database_url: str) -> None:
    """After an emergency for D1 only, item x is listed twice under one id: cut short for D1, whole for D2."""
    engine = make_engine(DatabaseSettings(url=database_url))
    sessions = session_factory(engine)
    with sessions() as session:
        commune = add_commune(session, add_province(session, "P", "P"), "XA", "Xã")
        cut_node, whole_node = (add_device(session, commune, c, hash_iterations=101)[0] for c in ("D1", "D2"))
        for device in (cut_node, whole_node):
            device.created_at = NOW - timedelta(days=1)
            session.add(device)
        whole = item("x", 10, clusters=("D2",))
        cut = whole.model_copy(update={"duration_ms": 20_000, "clusters": ("D1",)})
        playlist = Playlist(commune="XA", version=4, generated_at=NOW, items=(cut, whole))
        assert commune.id is not None and cut_node.id is not None
        session.add(
            CommunePlaylist(
                commune_id=commune.id,
                version=4,
                etag='"4"',
                digest="x",
                content=playlist.model_dump_json(),
                generated_at=NOW,
            )
        )
        session.add(
            PlayRecord(
                report_id="r-cut",
                device_id=cut_node.id,
                commune_code="XA",
                playlist_version=4,
                item_id="x",
                asset_sha256=SHA,
                played_sha256=SHA,
                scheduled_start=cut.starts_at,
                started_at=cut.starts_at,
                ended_at=cut.starts_at + timedelta(seconds=20),
                start_error_ms=0,
                outcome="interrupted",
            )
        )
        session.commit()

    settings = FleetSettings(play_grace_s=GRACE.total_seconds())
    with sessions() as session:
        # D1 aired its (cut) version; D2 has no proof of its whole one: one alert, for D2 only.
        assert audit_plays(session, NOW, HealthMonitor(sessions, settings)) == 1
        [alert] = session.exec(select(Alert)).all()
    assert alert.message.split()[2] == "D2"
    engine.dispose()
