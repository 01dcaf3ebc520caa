"""The Alembic migrations build exactly the schema the models describe, on every database backend."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from controller.models import metadata

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
