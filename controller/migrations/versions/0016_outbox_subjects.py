"""results out: stations, clusters and bulletins reported by subject, coalesced while unsent; snapshots

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 14:20:00

`source_outbox.subject` names what a report is about ("cluster:<code>", "station:<code>",
"bulletin:<id>"; null for proof of play); `offered_at` is when a sender first took the row, after which its
body is frozen. `source_system.snapshot_at` is when the last periodic snapshot was written for the source.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import audio_library.timestamps

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UtcDateTime = audio_library.timestamps.UtcDateTime


def upgrade() -> None:
    with op.batch_alter_table("source_outbox") as batch:
        batch.add_column(sa.Column("subject", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("offered_at", UtcDateTime(timezone=True), nullable=True))
        batch.create_index(batch.f("ix_source_outbox_subject"), ["subject"], unique=False)
    with op.batch_alter_table("source_system") as batch:
        batch.add_column(sa.Column("snapshot_at", UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("source_system") as batch:
        batch.drop_column("snapshot_at")
    with op.batch_alter_table("source_outbox") as batch:
        batch.drop_index(batch.f("ix_source_outbox_subject"))
        batch.drop_column("offered_at")
        batch.drop_column("subject")
