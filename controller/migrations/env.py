"""Alembic environment: the URL comes from loaxa's settings, the schema from every package's tables."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection
from sqlmodel.sql.sqltypes import AutoString

from controller.db import make_engine
from controller.models import metadata
from controller.settings import DatabaseSettings


def _render_item(kind: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render SQLModel's AutoString as plain sa.String, so migrations do not depend on sqlmodel."""
    if kind == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


# Tables Alembic creates but no SQLModel describes: APScheduler's job store defines its own (migration 0003).
_FOREIGN_TABLES = {"apscheduler_jobs"}

# The PostgreSQL advisory lock that serialises `loaxa db upgrade` runs (any constant no other code takes).
_MIGRATION_LOCK = 0x6C6F61786164  # "loaxad"


def _include_object(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
    """Keep autogenerate from proposing to drop APScheduler's table."""
    table = name if kind == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table not in _FOREIGN_TABLES


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # SQLite alters a table by copying it, dropping it and renaming the copy (batch mode). With foreign
        # keys enforced, dropping a table that other rows reference fails, so a migration run on a database
        # with data would stop. They are checked once the migrations are done instead. The pragma only
        # takes effect outside a transaction, hence the commit.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=sqlite,  # SQLite cannot ALTER most things
        compare_type=True,
        render_item=_render_item,
        include_object=_include_object,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Several instances upgrading at once (each unit's ExecStartPre at boot): the first migrates, the
            # others wait here until it commits, then find the database at head and do nothing.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        context.run_migrations()
        if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()):
            raise RuntimeError(f"migrations left rows whose foreign keys point nowhere: {broken[:10]}")


url = context.config.attributes.get("database_url") or DatabaseSettings().url
engine = make_engine(DatabaseSettings(url=url))
with engine.connect() as conn:
    _run(conn)
engine.dispose()
