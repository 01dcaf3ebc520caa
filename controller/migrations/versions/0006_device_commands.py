"""device commands: one row per cluster of each signed command, with its ack and result

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 20:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import audio_library.timestamps

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_command",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("command_id", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("commune_code", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("asset_sha256", sa.String(length=64), nullable=True),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("issued_at", audio_library.timestamps.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("acked_at", audio_library.timestamps.UtcDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", audio_library.timestamps.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("command_id", "device_id", name="uq_device_command_command_device"),
    )
    with op.batch_alter_table("device_command", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_command_asset_sha256"), ["asset_sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_command_command_id"), ["command_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_command_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_command_issued_at"), ["issued_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_command_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("device_command", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_command_status"))
        batch_op.drop_index(batch_op.f("ix_device_command_issued_at"))
        batch_op.drop_index(batch_op.f("ix_device_command_device_id"))
        batch_op.drop_index(batch_op.f("ix_device_command_command_id"))
        batch_op.drop_index(batch_op.f("ix_device_command_asset_sha256"))

    op.drop_table("device_command")
