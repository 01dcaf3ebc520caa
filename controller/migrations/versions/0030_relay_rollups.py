"""relays of external streams in the daily roll-ups (reports.rollup.RelayDay), for the period reports' "Tiếp sóng"

Table relay_day: per commune, airing day and stream, the relay slots on air, the milliseconds relayed and the
interruptions, from the relay reports (`relayed_ms`, protocol 1.4). The relays already sealed into the as-run
log are rolled up here; the sealer rolls up the rest as it seals them.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-08 01:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "relay_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_code", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("asset_sha256", sa.String(length=64), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("relayed_ms", sa.Integer(), nullable=False),
        sa.Column("interruptions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("commune_code", "day", "asset_sha256"),
    )
    op.create_index("ix_relay_day_day", "relay_day", ["day"])
    postgres = op.get_bind().dialect.name == "postgresql"
    # A report without interruptions may hold JSON null rather than SQL NULL: count only arrays.
    drops = (
        "CASE WHEN json_typeof(p.interruptions) = 'array' THEN json_array_length(p.interruptions) ELSE 0 END"
        if postgres
        else "coalesce(json_array_length(p.interruptions), 0)"
    )
    op.execute(
        f"""INSERT INTO relay_day (commune_code, day, asset_sha256, slots, relayed_ms, interruptions)
            SELECT l.commune_code, l.day, p.asset_sha256,
                   sum(CASE WHEN p.relayed_ms > 0 THEN 1 ELSE 0 END), sum(p.relayed_ms), sum({drops})
            FROM play_ledger l JOIN play_record p ON p.id = l.play_id
            WHERE p.flag_reason IS NULL AND p.relayed_ms IS NOT NULL
              AND p.item_id NOT LIKE 'live-%' AND p.item_id NOT LIKE 'cmd-%'
            GROUP BY l.commune_code, l.day, p.asset_sha256"""
    )


def downgrade() -> None:
    op.drop_index("ix_relay_day_day", table_name="relay_day")
    op.drop_table("relay_day")
