"""audiobook series ("sách nói"): ordered chapters, each a bulletin (schedules.series)

Tables audiobook_series and series_chapter; empty at first.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audiobook_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=True),
        sa.Column("province_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["commune_id"], ["commune.id"]),
        sa.ForeignKeyConstraint(["province_id"], ["province.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_audiobook_series_commune_id"), "audiobook_series", ["commune_id"])
    op.create_index(op.f("ix_audiobook_series_province_id"), "audiobook_series", ["province_id"])
    op.create_index(op.f("ix_audiobook_series_public_id"), "audiobook_series", ["public_id"], unique=True)
    op.create_table(
        "series_chapter",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["series_id"], ["audiobook_series.id"]),
        sa.ForeignKeyConstraint(["bulletin_id"], ["bulletin.id"]),
        sa.PrimaryKeyConstraint("series_id", "bulletin_id"),
    )
    op.create_index(op.f("ix_series_chapter_bulletin_id"), "series_chapter", ["bulletin_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_series_chapter_bulletin_id"), table_name="series_chapter")
    op.drop_table("series_chapter")
    op.drop_index(op.f("ix_audiobook_series_public_id"), table_name="audiobook_series")
    op.drop_index(op.f("ix_audiobook_series_province_id"), table_name="audiobook_series")
    op.drop_index(op.f("ix_audiobook_series_commune_id"), table_name="audiobook_series")
    op.drop_table("audiobook_series")
