"""planned items rolled up per commune and day (reports.planned); an index of the days clusters were never up

Tables planned_day and rollup_mark; index ix_uptime_day_dark. planned_day is empty at first: the sealer
rolls up every day published so far on its first round, and the days after as they end.

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-07 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "planned_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("cluster_code", sa.String(length=64), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["commune_id"], ["commune.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("commune_id", "day", "cluster_code"),
    )
    op.create_index("ix_planned_day_day", "planned_day", ["day"])
    op.create_table(
        "rollup_mark",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("through_day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index(
        "ix_uptime_day_dark",
        "uptime_day",
        ["device_id", "day"],
        postgresql_where=sa.text("up_s <= 0"),
        sqlite_where=sa.text("up_s <= 0"),
    )


def downgrade() -> None:
    op.drop_index("ix_uptime_day_dark", "uptime_day")
    op.drop_table("rollup_mark")
    op.drop_index("ix_planned_day_day", table_name="planned_day")
    op.drop_table("planned_day")
