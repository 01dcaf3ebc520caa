"""relay of external streams ("tiếp sóng"): stream sources, relay items of programs, each commune's fill

Table stream_source (schedules.stream_source), empty at first; program_item gains stream_source_id and
duration_ms (null for every existing item); table commune_relay_fill (no row: silence); play_record gains
relayed_ms and interruptions (null for every existing play: not a relay).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stream_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("codec", sa.String(length=16), nullable=False),
        sa.Column("province_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["province_id"], ["province.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_index(op.f("ix_stream_source_province_id"), "stream_source", ["province_id"])
    with op.batch_alter_table("program_item") as batch:
        batch.add_column(sa.Column("stream_source_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("duration_ms", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_program_item_stream_source_id", "stream_source", ["stream_source_id"], ["id"])
        batch.create_index(op.f("ix_program_item_stream_source_id"), ["stream_source_id"])
    op.create_table(
        "commune_relay_fill",
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("stock_key", sa.String(length=32), nullable=True),
        sa.Column("stock_language", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(["commune_id"], ["commune.id"]),
        sa.PrimaryKeyConstraint("commune_id"),
    )
    with op.batch_alter_table("play_record") as batch:
        batch.add_column(sa.Column("relayed_ms", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("interruptions", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("play_record") as batch:
        batch.drop_column("interruptions")
        batch.drop_column("relayed_ms")
    op.drop_table("commune_relay_fill")
    with op.batch_alter_table("program_item") as batch:
        batch.drop_index(op.f("ix_program_item_stream_source_id"))
        batch.drop_constraint("fk_program_item_stream_source_id", type_="foreignkey")
        batch.drop_column("duration_ms")
        batch.drop_column("stream_source_id")
    op.drop_index(op.f("ix_stream_source_province_id"), table_name="stream_source")
    op.drop_table("stream_source")
