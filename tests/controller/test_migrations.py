"""The tables the code describes are the tables the migrations build (on every configured backend)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from controller.db import make_engine
from controller.models import metadata
from controller.settings import DatabaseSettings

# Created by migration 0003 for APScheduler, which defines it itself.
_FOREIGN_TABLES = {"apscheduler_jobs"}


def _include(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
    table = name if kind == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table not in _FOREIGN_TABLES


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = make_engine(DatabaseSettings(url=database_url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": _include})
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert differences == [], differences
