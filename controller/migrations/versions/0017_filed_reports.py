"""filed reports: each version of the report of a closed period, with its figures as filed

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 14:40:00

The controller files the reports of the latest closed month, half-year and year after the upgrade.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import audio_library.timestamps

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UtcDateTime = audio_library.timestamps.UtcDateTime


def upgrade() -> None:
    op.create_table(
        "filed_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_key", sa.String(length=80), nullable=False),
        sa.Column("province_id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("first", sa.Date(), nullable=False),
        sa.Column("last", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("generated_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("generated_by", sa.String(length=64), nullable=False),
        sa.Column("as_run_seal", sa.String(length=64), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["province_id"], ["province.id"]),
        sa.ForeignKeyConstraint(["commune_id"], ["commune.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope_key", "first", "last", "version"),
    )
    op.create_index("ix_filed_report_scope_key", "filed_report", ["scope_key"])
    op.create_index("ix_filed_report_province_id", "filed_report", ["province_id"])
    op.create_index("ix_filed_report_commune_id", "filed_report", ["commune_id"])


def downgrade() -> None:
    op.drop_index("ix_filed_report_commune_id", "filed_report")
    op.drop_index("ix_filed_report_province_id", "filed_report")
    op.drop_index("ix_filed_report_scope_key", "filed_report")
    op.drop_table("filed_report")
