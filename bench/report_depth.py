"""Reports when the data is years deep: a province's six-month and year reports and a commune's as-run
export, over a year of proof of play generated in PostgreSQL.

    .venv/bin/python -m bench.report_depth [--communes 100 --clusters 20 --plays-per-day 20 --days 365]

The data is made by the database itself (`generate_series`), then rolled up as the sealer would: a
province of N communes with M clusters each,
every cluster playing P scheduled items a day (one in 50 fails), each item published to the commune, a
day of uptime per cluster and day, and bulletins of several fields and priorities whose sounds the plays
carry. The as-run chain's links are filled with stand-in hashes (the export's speed does not depend on
them; sealing 15 million plays one by one is the sealer's job, not this benchmark's). The figures are
then computed by the same code the API runs. Results go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from controller.db import make_engine, session_factory
from controller.migrate import upgrade
from controller.settings import DatabaseSettings
from devices.registry import Commune, Province
from reports import Period, Scope, as_run_csv, as_run_rows, build_report
from reports.planned import roll_up_planned

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def generate(url: str, communes: int, clusters: int, plays_per_day: int, days: int, last_day: date) -> None:
    """Fill the database with the province's year, in a few statements run by PostgreSQL."""
    first_day = last_day - timedelta(days=days - 1)
    engine = create_engine(url)
    statements = [
        "INSERT INTO province (id, code, name) VALUES (1, 'BENCH', 'Tỉnh Thử')",
        f"""INSERT INTO commune (id, province_id, code, name)
            SELECT c, 1, 'XA-' || lpad(c::text, 3, '0'), 'Xã ' || c FROM generate_series(1, {communes}) c""",
        f"""INSERT INTO device (id, commune_id, code, name, network_type, mqtt_username, password_hash,
                                created_at, state, session_seq, firmware)
            SELECT (c - 1) * {clusters} + d, c, 'LOA-' || c || '-' || d, 'Cụm ' || d, '4g',
                   'node-' || c || '-' || d, 'x', TIMESTAMPTZ '{first_day.isoformat()} 00:00+07' - interval '30 days',
                   'online', 0, ''
            FROM generate_series(1, {communes}) c, generate_series(1, {clusters}) d""",
        "INSERT INTO app_user (id, username, full_name, role, password_hash, active, created_at) "
        "VALUES (1, 'bench', 'Bench', 'officer', 'x', true, now())",
        # 40 sounds: bulletins of the province (even) and of communes (odd), fields and priorities mixed.
        """INSERT INTO audio_asset (sha256, codec, duration_ms, size_bytes, source, engine, voice, created_at)
            SELECT md5('sound' || s) || md5('sound2' || s), 'opus', 60000, 1, 'tts', '', '', now()
            FROM generate_series(0, 39) s""",
        f"""INSERT INTO bulletin (title, body, topic, priority, dialect, language, commune_id, province_id,
                                  legal_refs, status, author_id, audio_sha256, audio_source, spoken_text,
                                  created_at, updated_at, legal_field, reviewed_at, rejection_reason)
            SELECT 'Bản tin ' || s, 'Nội dung.', '', (ARRAY['normal','normal','priority'])[1 + s % 3], 'north',
                   'vi', CASE WHEN s % 2 = 0 THEN NULL ELSE 1 + s % {communes} END,
                   CASE WHEN s % 2 = 0 THEN 1 ELSE NULL END, '[]', 'approved', 1,
                   md5('sound' || s) || md5('sound2' || s), 'speech', '',
                   TIMESTAMPTZ '{first_day.isoformat()} 08:00+07' + (s * interval '9 days'),
                   TIMESTAMPTZ '{first_day.isoformat()} 08:00+07' + (s * interval '9 days'),
                   (SELECT code FROM legal_field ORDER BY position OFFSET s % 20 LIMIT 1),
                   TIMESTAMPTZ '{first_day.isoformat()} 09:00+07' + (s * interval '9 days'), ''
            FROM generate_series(0, 39) s""",
        # Every commune's items of every day, published to all its clusters.
        f"""INSERT INTO published_item (commune_id, item_id, starts_at, asset_sha256, clusters, first_version)
            SELECT c, 'b' || (n * 1000 + k), TIMESTAMPTZ '{first_day.isoformat()} 06:00+07'
                       + n * interval '1 day' + k * interval '30 minutes',
                   md5('sound' || ((n + k) % 40)) || md5('sound2' || ((n + k) % 40)), NULL, 1
            FROM generate_series(1, {communes}) c, generate_series(0, {days - 1}) n,
                 generate_series(0, {plays_per_day - 1}) k""",
        f"""INSERT INTO play_record (report_id, device_id, commune_code, playlist_version, item_id, asset_sha256,
                                     played_sha256, scheduled_start, started_at, ended_at, start_error_ms,
                                     outcome, detail, received_at)
            SELECT md5(d.id || '-' || n || '-' || k), d.id, 'XA-' || lpad(d.commune_id::text, 3, '0'), 1,
                   'b' || (n * 1000 + k), md5('sound' || ((n + k) % 40)) || md5('sound2' || ((n + k) % 40)),
                   md5('sound' || ((n + k) % 40)) || md5('sound2' || ((n + k) % 40)), t, t, t + interval '60 seconds',
                   0, CASE WHEN (d.id + n + k) % 50 = 0 THEN 'failed' ELSE 'played' END, '', t
            FROM device d, generate_series(0, {days - 1}) n, generate_series(0, {plays_per_day - 1}) k,
                 LATERAL (SELECT TIMESTAMPTZ '{first_day.isoformat()} 06:00+07' + n * interval '1 day'
                                 + k * interval '30 minutes' AS t) times""",
        f"""INSERT INTO uptime_day (device_id, day, up_s)
            SELECT d.id, DATE '{first_day.isoformat()}' + n, CASE WHEN (d.id + n) % 97 = 0 THEN 0 ELSE 86000 END
            FROM device d, generate_series(0, {days - 1}) n""",
        # The as-run chain, with stand-in links: one per play, numbered per commune and day.
        """INSERT INTO play_ledger (play_id, commune_code, day, seq, link_sha256, sealed_at)
            SELECT id, commune_code, (started_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date,
                   row_number() OVER (PARTITION BY commune_code, (started_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
                                      ORDER BY id),
                   md5(id::text) || md5(id::text || 'x'), now()
            FROM play_record""",
        "ANALYZE",
    ]
    with engine.connect() as connection:
        for statement in statements:
            began = time.perf_counter()
            connection.execute(text(statement))
            connection.commit()
            print(f"  {time.perf_counter() - began:7.1f} s  {' '.join(statement.split())[:70]}")
        for table in ("commune", "device", "bulletin", "published_item", "play_record"):
            connection.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
        connection.commit()
    engine.dispose()


def timed_report(session: Session, scope: Scope, period: Period, now: datetime) -> float:
    began = time.perf_counter()
    report = build_report(session, scope, period, zone=ZONE, now=now, working_uptime_pct=80.0)
    elapsed = time.perf_counter() - began
    print(
        f"  {period.first}..{period.last}: {elapsed:.2f} s, {report.totals.plays} plays, "
        f"{report.totals.planned} planned, {report.totals.aired} aired"
    )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=100)
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--plays-per-day", type=int, default=20)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--postgres-url", default=os.environ.get("LOAXA_TEST_POSTGRES_URL", DEFAULT_URL))
    parser.add_argument("--database", help="use this database as it is (made by an earlier --keep run)")
    parser.add_argument("--keep", action="store_true", help="keep the generated database")
    args = parser.parse_args()

    server = make_url(args.postgres_url)
    name = args.database or f"loaxa_bench_reports_{uuid.uuid4().hex[:8]}"
    url = server.set(database=name).render_as_string(hide_password=False)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    last_day = date(2026, 6, 30)
    if not args.database:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        # The raw rows go in before the roll-up tables exist: migration 0018 then rolls up every sealed play
        # (as the sealer does for each new one), and the sealer's first round rolls up the planned days.
        upgrade(url, "0017")
        total = args.communes * args.clusters * args.plays_per_day * args.days
        print(f"generating {total:,} plays in {name}")
        generate(url, args.communes, args.clusters, args.plays_per_day, args.days, last_day)
        began = time.perf_counter()
        upgrade(url)
        print(f"  {time.perf_counter() - began:7.1f} s  migrations after 0017: the plays' daily roll-ups")
        roll_engine = make_engine(DatabaseSettings(url=url))
        with session_factory(roll_engine)() as session:
            began = time.perf_counter()
            rolled = roll_up_planned(session, ZONE, today=last_day + timedelta(days=10))
            session.commit()
            print(f"  {time.perf_counter() - began:7.1f} s  the planned days' roll-up ({rolled:,} rows)")
            session.execute(text("ANALYZE"))
            session.commit()
        roll_engine.dispose()
    engine = make_engine(DatabaseSettings(url=url))
    try:
        with session_factory(engine)() as session:
            province = session.exec(select(Province)).one()
            communes = tuple(session.exec(select(Commune).order_by(col(Commune.code))))
            scope = Scope(province, communes, whole_province=True)
            now = datetime(2026, 7, 10, tzinfo=UTC)
            print("province reports (each with the previous period beside it):")
            half = timed_report(session, scope, Period(date(2026, 1, 1), last_day), now)
            year = timed_report(session, scope, Period(last_day - timedelta(days=364), last_day), now)
            print("a commune's as-run export for the year, streamed:")
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            began = time.perf_counter()
            rows = as_run_rows(session, [communes[0].code], last_day - timedelta(days=364), last_day, batch=2000)
            size = sum(len(chunk) for chunk in as_run_csv(rows, ZONE))
            export = time.perf_counter() - began
            grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
            print(f"  {size / 1e6:.1f} MB of CSV in {export:.1f} s; peak RSS grew {grown / 1024:.1f} MB")
        result = f"six_month_s={half:.2f} year_s={year:.2f} as_run_export_s={export:.1f}"
        print(f"RESULT {result} as_run_rss_growth_mb={grown / 1024:.1f}")
    finally:
        engine.dispose()
        if not args.keep and not args.database:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
