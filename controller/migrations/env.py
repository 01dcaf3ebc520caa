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


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


url = context.config.attributes.get("database_url") or DatabaseSettings().url
engine = make_engine(DatabaseSettings(url=url))
with engine.connect() as conn:
    _run(conn)
engine.dispose()
