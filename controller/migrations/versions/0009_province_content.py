"""province content: bulletins of a province, and programs placed in every commune of a province

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 23:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import audio_library.timestamps

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "province_program",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("province_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", audio_library.timestamps.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["province_id"], ["province.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("province_program") as batch:
        batch.create_index(batch.f("ix_province_program_province_id"), ["province_id"], unique=False)
    with op.batch_alter_table("program") as batch:
        batch.add_column(sa.Column("province_program_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_program_province_program_id"), ["province_program_id"], unique=False)
        batch.create_foreign_key("fk_program_province_program_id", "province_program", ["province_program_id"], ["id"])
    with op.batch_alter_table("bulletin") as batch:
        batch.alter_column("commune_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("province_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_bulletin_province_id"), ["province_id"], unique=False)
        batch.create_foreign_key("fk_bulletin_province_id", "province", ["province_id"], ["id"])


def downgrade() -> None:
    province_bulletins = op.get_bind().execute(sa.text("SELECT count(*) FROM bulletin WHERE commune_id IS NULL"))
    if province_bulletins.scalar():
        # They have no commune to go back to; deleting them would also orphan their broadcasts and orders.
        raise RuntimeError("province bulletins exist: delete them before downgrading below 0009")
    with op.batch_alter_table("bulletin") as batch:
        batch.drop_constraint("fk_bulletin_province_id", type_="foreignkey")
        batch.drop_index(batch.f("ix_bulletin_province_id"))
        batch.drop_column("province_id")
        batch.alter_column("commune_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("program") as batch:
        batch.drop_constraint("fk_program_province_program_id", type_="foreignkey")
        batch.drop_index(batch.f("ix_program_province_program_id"))
        batch.drop_column("province_program_id")
    with op.batch_alter_table("province_program") as batch:
        batch.drop_index(batch.f("ix_province_program_province_id"))
    op.drop_table("province_program")
