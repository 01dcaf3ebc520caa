"""cluster metadata: hamlets, and where and how each cluster is installed

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 20:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hamlet",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["commune_id"], ["commune.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("commune_id", "code", name="uq_hamlet_commune_code"),
    )
    with op.batch_alter_table("hamlet", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hamlet_commune_id"), ["commune_id"], unique=False)

    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("horn_count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("amplifier_watts", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("installed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("hamlet_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("network_type", sa.String(length=16), nullable=False, server_default="unknown"))
        batch_op.create_index(batch_op.f("ix_device_hamlet_id"), ["hamlet_id"], unique=False)
        batch_op.create_foreign_key("fk_device_hamlet_id_hamlet", "hamlet", ["hamlet_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_constraint("fk_device_hamlet_id_hamlet", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_device_hamlet_id"))
        batch_op.drop_column("network_type")
        batch_op.drop_column("hamlet_id")
        batch_op.drop_column("installed_on")
        batch_op.drop_column("amplifier_watts")
        batch_op.drop_column("horn_count")
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
    with op.batch_alter_table("hamlet", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hamlet_commune_id"))
    op.drop_table("hamlet")
