"""as-run log: each proof of play's place in its commune's hash chain for its day

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 09:30:00

Existing plays are sealed by the controller's sealer after the upgrade, oldest first, like new ones.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import audio_library.timestamps

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UtcDateTime = audio_library.timestamps.UtcDateTime


def upgrade() -> None:
    op.create_table(
        "play_ledger",
        sa.Column("play_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("commune_code", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("link_sha256", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["play_id"], ["play_record.id"]),
        sa.PrimaryKeyConstraint("play_id"),
        sa.UniqueConstraint("commune_code", "day", "seq", name="uq_play_ledger_day_seq"),
    )


def downgrade() -> None:
    op.drop_table("play_ledger")
