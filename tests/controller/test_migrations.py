"""The Alembic migrations build exactly the schema the models describe, on every database backend."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    Table,
    Time,
    create_engine,
    text,
)
from sqlalchemy.engine import make_url

from controller.migrate import alembic_config, upgrade
from controller.models import metadata
from tests.harness import POSTGRES_ENV

# APScheduler's job table is created by a migration with the shape its job store expects; no model has it.
NOT_MODELLED = {"apscheduler_jobs", "alembic_version"}


def _relevant(diff: Any) -> bool:
    kind = diff[0] if isinstance(diff, tuple) else diff[0][0]
    table = None
    if isinstance(diff, tuple) and len(diff) > 1:
        subject = diff[1]
        table = getattr(subject, "name", None) if kind in ("add_table", "remove_table") else None
        table = table or getattr(getattr(subject, "table", None), "name", None)
    return table not in NOT_MODELLED


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diffs = [diff for diff in compare_metadata(context, metadata) if _relevant(diff)]
    finally:
        engine.dispose()
    assert diffs == [], "models and migrations differ:\n" + "\n".join(map(str, diffs))


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def _filler(column: Column[Any]) -> object:
    """A value for a required column the test does not care about."""
    kind = column.type
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer):
        return 0
    if isinstance(kind, Float):
        return 0.0
    if isinstance(kind, DateTime):
        return datetime.now(UTC)
    if isinstance(kind, Date):
        return date(2026, 1, 5)
    if isinstance(kind, Time):
        return time(6, 0)
    if isinstance(kind, JSON):
        return []
    return "x"


def _insert(connection: Connection, table_name: str, **values: object) -> int:
    """A row as the schema stands at this revision (reflected, not the models'); its id."""
    table = Table(table_name, MetaData(), autoload_with=connection)
    row = dict(values)
    for column in table.columns:
        required = not column.nullable and not column.primary_key and column.server_default is None
        if column.name not in row and required:
            row[column.name] = _filler(column)
    result = connection.execute(table.insert().values(**row))
    key = result.inserted_primary_key
    return int(key[0]) if key and key[0] is not None else 0


def test_migrations_keep_data_both_ways(database_url: str) -> None:
    """Upgrading a database that has rows, and downgrading it again, keeps them (SQLite rebuilds tables)."""
    downgrade(database_url, "0008")
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            province = _insert(connection, "province", code="P", name="Tỉnh P")
            commune = _insert(connection, "commune", code="C", name="Xã C", province_id=province)
            user = _insert(connection, "app_user", username="u", role="officer", password_hash="h", active=True)
            bulletin = _insert(connection, "bulletin", commune_id=commune, author_id=user, title="Tin", body="B")
            program = _insert(connection, "program", commune_id=commune, title="Sáng", created_by=user)
            _insert(connection, "program_item", program_id=program, seq=0, kind="bulletin", bulletin_id=bulletin)
        upgrade(database_url)
        with engine.connect() as connection:
            row = connection.execute(text("SELECT commune_id, province_id, title FROM bulletin")).one()
            assert tuple(row) == (commune, None, "Tin")
            assert connection.execute(text("SELECT province_program_id FROM program")).scalar_one() is None
            assert connection.execute(text("SELECT bulletin_id FROM program_item")).scalar_one() == bulletin
        # A province's bulletin has no commune to go back to: the downgrade refuses until it is gone.
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO bulletin (province_id, author_id, title, body, topic, priority, dialect, language,"
                    " legal_refs, status, audio_source, spoken_text, rejection_reason, created_at, updated_at)"
                    " VALUES (:p, :u, 'Tỉnh', 'B', '', 'normal', 'north', 'vi', '[]', 'draft', 'speech', '', '',"
                    " :now, :now)"
                ),
                {"p": province, "u": user, "now": datetime.now(UTC)},
            )
        with pytest.raises(RuntimeError, match="province bulletins exist"):
            downgrade(database_url, "0008")
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM bulletin WHERE commune_id IS NULL"))
        downgrade(database_url, "0008")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM program_item")).scalar_one() == 1
            assert connection.execute(text("SELECT title FROM bulletin")).scalar_one() == "Tin"
    finally:
        engine.dispose()
        upgrade(database_url)


def test_published_playlists_become_published_items(database_url: str) -> None:
    """0011 records the items of the playlists already published: what deployed nodes will report."""
    downgrade(database_url, "0010")
    engine = create_engine(database_url)
    starts_at = "2026-12-03T06:00:00+07:00"
    content = (
        '{"v": 1, "commune": "C", "version": 4, "generated_at": "2026-12-03T00:00:00+00:00", "items": ['
        f'{{"item_id": "b1", "title": "t", "asset_sha256": "{"a" * 64}", "asset_url": "/a", "duration_ms": 1000,'
        f' "starts_at": "{starts_at}", "clusters": ["D1"]}},'
        # The same item cut by an emergency on D2 and D3 only: one row for all three clusters.
        f'{{"item_id": "b1", "title": "t", "asset_sha256": "{"a" * 64}", "asset_url": "/a", "duration_ms": 500,'
        f' "starts_at": "{starts_at}", "clusters": ["D3", "D2"]}}]}}'
    )
    try:
        with engine.begin() as connection:
            province = _insert(connection, "province", code="P", name="Tỉnh P")
            commune = _insert(connection, "commune", code="C", name="Xã C", province_id=province)
            _insert(connection, "commune_playlist", commune_id=commune, version=4, content=content)
        upgrade(database_url)
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT commune_id, item_id, asset_sha256, first_version, clusters FROM published_item")
            ).one()
            assert tuple(row)[:4] == (commune, "b1", "a" * 64, 4)
            clusters = row[4] if isinstance(row[4], list) else json.loads(row[4])
            assert clusters == ["D1", "D2", "D3"]
            assert connection.execute(text("SELECT flag_reason FROM play_record")).all() == []
    finally:
        engine.dispose()
        upgrade(database_url)


def test_existing_bulletins_get_the_legal_field_their_topic_names(database_url: str) -> None:
    """0013 keeps every bulletin and files it under the field its free-text topic names, else "Khác"."""
    downgrade(database_url, "0012")
    engine = create_engine(database_url)
    topics = {
        "an toàn giao thông": "giao-thong",
        "gia đình": "hon-nhan-gia-dinh",
        "Phòng chống ma túy": "phong-chong-ma-tuy",
        "thủy sản": "nong-nghiep-thuy-san",
        "phòng cháy chữa cháy": "phong-chay-chua-chay",
        "dân tộc": "dan-toc-ton-giao",
        "chuyện làng": "khac",
        "": "khac",
    }
    try:
        with engine.begin() as connection:
            province = _insert(connection, "province", code="P", name="Tỉnh P")
            author = _insert(connection, "app_user", username="u", password_hash="x", role="officer")
            ids = {
                _insert(
                    connection, "bulletin", province_id=province, author_id=author, title="t", body="b", topic=topic
                ): field
                for topic, field in topics.items()
            }
        upgrade(database_url)
        with engine.connect() as connection:
            rows: dict[object, object] = dict(connection.execute(text("SELECT id, legal_field FROM bulletin")).all())
            assert rows == ids
            assert connection.execute(text("SELECT count(*) FROM legal_field")).scalar() == 25
        downgrade(database_url, "0012")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM bulletin")).scalar() == len(topics)
    finally:
        engine.dispose()
        upgrade(database_url)


def test_sealed_plays_are_rolled_up(database_url: str) -> None:
    """0018 rolls up the plays already sealed into the as-run log (flagged ones never), by airing day."""
    downgrade(database_url, "0017")
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            province = _insert(connection, "province", code="P", name="Tỉnh P")
            commune = _insert(connection, "commune", code="C", name="Xã C", province_id=province)
            device = _insert(connection, "device", commune_id=commune, code="C-1", mqtt_username="c-1")
            start = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
            plays: list[tuple[str, str, str | None]] = [
                ("b1", "played", None),
                ("b1", "played", None),
                ("e7", "played", None),
                ("cmd-x", "failed", None),
                ("b1", "played", "not_sent"),  # flagged: not proof of play
                ("b1", "interrupted", None),  # b1 played whole after all
                ("b2", "interrupted", None),
                ("b3", "failed", None),
            ]
            for n, (item, outcome, flag) in enumerate(plays):
                play = _insert(
                    connection,
                    "play_record",
                    report_id=f"r{n}",
                    device_id=device,
                    commune_code="C",
                    item_id=item,
                    asset_sha256="a" * 64,
                    scheduled_start=start,
                    started_at=start + timedelta(minutes=n),
                    ended_at=start + timedelta(minutes=n, seconds=30),
                    outcome=outcome,
                    flag_reason=flag,
                )
                _insert(
                    connection,
                    "play_ledger",
                    play_id=play,
                    commune_code="C",
                    day=date(2026, 12, 3),
                    seq=n + 1,
                    link_sha256="0" * 64,
                    sealed_at=start,
                )
        upgrade(database_url)
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT item_class, outcome, plays, seconds FROM play_day ORDER BY item_class, outcome")
            ).all()
            assert [tuple(r) for r in rows] == [
                ("command", "failed", 1, 30.0),
                ("emergency", "played", 1, 30.0),
                ("item", "failed", 1, 30.0),
                ("item", "interrupted", 2, 60.0),
                ("item", "played", 2, 60.0),
            ]
            unplayed = connection.execute(text("SELECT item_id, failed FROM unplayed_item ORDER BY item_id")).all()
            assert [(item, bool(failed)) for item, failed in unplayed] == [("b2", False), ("b3", True)]
            head = connection.execute(text("SELECT commune_code, seq FROM play_ledger_head")).one()
            assert tuple(head) == ("C", len(plays))
            reach = connection.execute(text("SELECT plays FROM sound_reach")).scalar_one()
            assert reach == 3
    finally:
        engine.dispose()
        upgrade(database_url)


def test_sealed_relays_are_rolled_up(database_url: str) -> None:
    """0030 rolls up the relays already sealed (not flagged, not a live broadcast's) per commune, day and stream."""
    downgrade(database_url, "0029")
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            province = _insert(connection, "province", code="P", name="Tỉnh P")
            commune = _insert(connection, "commune", code="C", name="Xã C", province_id=province)
            device = _insert(connection, "device", commune_id=commune, code="C-1", mqtt_username="c-1")
            start = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
            drop = [{"at": "2026-12-03T01:05:00+00:00", "duration_ms": 5000, "reason": "x", "filled": "silence"}]
            # (item, relayed_ms, interruptions, flag)
            plays: list[tuple[str, int | None, list[dict[str, object]] | None, str | None]] = [
                ("r1", 600_000, drop, None),
                ("r2", 300_000, [], None),
                ("r3", 0, None, None),  # never on air: no slot (and JSON null, not an array)
                ("r4", 600_000, drop, "not_sent"),  # flagged: not proof of play
                ("live-abc", 90_000, [], None),  # a live broadcast, not a relay
                ("b1", None, None, None),  # a bulletin
            ]
            for n, (item, relayed_ms, interruptions, flag) in enumerate(plays):
                play = _insert(
                    connection,
                    "play_record",
                    report_id=f"r{n}",
                    device_id=device,
                    commune_code="C",
                    item_id=item,
                    asset_sha256="a" * 64,
                    scheduled_start=start,
                    started_at=start + timedelta(minutes=n),
                    ended_at=start + timedelta(minutes=n, seconds=30),
                    outcome="played",
                    flag_reason=flag,
                    relayed_ms=relayed_ms,
                    interruptions=interruptions,
                )
                _insert(
                    connection,
                    "play_ledger",
                    play_id=play,
                    commune_code="C",
                    day=date(2026, 12, 3),
                    seq=n + 1,
                    link_sha256="0" * 64,
                    sealed_at=start,
                )
        upgrade(database_url)
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT commune_code, day, slots, relayed_ms, interruptions FROM relay_day")
            ).all()
            assert [(c, str(d), s, ms, i) for c, d, s, ms, i in rows] == [("C", "2026-12-03", 2, 900_000, 1)]
    finally:
        engine.dispose()
        upgrade(database_url)


def test_existing_bulletins_become_public_with_their_own_public_ids(database_url: str) -> None:
    """0020: every bulletin written so far is public, each with a random public id of its own; and back."""
    downgrade(database_url, "0018")
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            province = _insert(connection, "province", code="P", name="Tỉnh P")
            commune = _insert(connection, "commune", code="C", name="Xã C", province_id=province)
            user = _insert(connection, "app_user", username="u", role="officer", password_hash="h", active=True)
            for title in ("Tin 1", "Tin 2"):
                _insert(connection, "bulletin", commune_id=commune, author_id=user, title=title, body="B")
        upgrade(database_url)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT public, public_id FROM bulletin ORDER BY id")).all()
        assert [bool(public) for public, _ in rows] == [True, True]
        ids = [public_id for _, public_id in rows]
        assert len(set(ids)) == 2 and all(len(i) == 16 and int(i, 16) >= 0 for i in ids)
        downgrade(database_url, "0018")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM bulletin")).scalar_one() == 2
    finally:
        engine.dispose()
        upgrade(database_url)


@pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"needs PostgreSQL: set {POSTGRES_ENV}")
def test_instances_upgrading_at_once_migrate_once(tmp_path: Path) -> None:
    """Every instance's unit runs `loaxa db upgrade` before it serves (systemd/loaxa-controller@.service):
    at boot several run at once on an empty database. One migrates; the others wait for it, then find
    the database at head."""
    server_url = make_url(os.environ[POSTGRES_ENV])
    name = f"loaxa_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server_url.set(database=name).render_as_string(hide_password=False)
    try:
        env = {**os.environ, "LOAXA_DATABASE__URL": url}
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "controller", "db", "upgrade"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=tmp_path,
            )
            for _ in range(3)
        ]
        outputs = [run.communicate(timeout=120)[0].decode(errors="replace") for run in runs]
        assert [run.returncode for run in runs] == [0, 0, 0], outputs
        engine = create_engine(url)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            assert context.get_current_heads() == (_head(),)
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _head() -> str:
    return str(ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head())
