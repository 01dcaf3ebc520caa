"""Database engine and sessions; SQLite by default, any SQLAlchemy URL (PostgreSQL with psycopg) works."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

from controller.errors import DatabaseUnavailable
from controller.settings import DatabaseSettings
from province_link import watch_changes

log = logging.getLogger(__name__)

# Connections beyond the request sessions: the MQTT ingest thread, health checks, start-up.
POOL_RESERVE = 4


def make_engine(settings: DatabaseSettings) -> Engine:
    url = settings.url
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=settings.echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=settings.max_sessions + POOL_RESERVE,
            max_overflow=0,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # WAL lets the MQTT thread write proof of play while API requests read.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # With WAL, NORMAL stays consistent after a crash and drops the fsync per commit that would
            # otherwise cap proof-of-play ingest at a few hundred messages per second.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(
        url, echo=settings.echo, pool_pre_ping=True, pool_size=settings.max_sessions + POOL_RESERVE, max_overflow=0
    )


def wait_for_database(engine: Engine, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return
        except OperationalError as exc:
            if time.monotonic() >= deadline:
                raise DatabaseUnavailable(f"database not reachable after {timeout_s} s: {exc}") from exc
            log.info("waiting for the database...")
            time.sleep(1)


class ControllerSession(Session):
    """The controller's sessions: every change they flush that the province's source system is told of
    (clusters, stations, bulletins and their schedules) is written to the outbox in the same transaction
    (`province_link.watch_changes`)."""


watch_changes(ControllerSession)


def session_factory(engine: Engine) -> Callable[[], Session]:
    def make() -> Session:
        return ControllerSession(engine, expire_on_commit=False)

    return make
