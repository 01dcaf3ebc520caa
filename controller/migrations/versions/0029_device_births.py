"""births of each cluster within the identity watch's window, counted in the database (devices.identity_watch)

Table device_birth: with several instances sharing the births, none hears them all, so they are stored
and counted here. Empty at first: a window's worth of births is all it ever holds.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-08 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from audio_library.timestamps import UtcDateTime

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_birth",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("birth_key", sa.String(length=80), nullable=False),
        sa.Column("heard_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("device_id", "birth_key"),
    )
    op.create_index("ix_device_birth_device_id", "device_birth", ["device_id"])


def downgrade() -> None:
    op.drop_index("ix_device_birth_device_id", table_name="device_birth")
    op.drop_table("device_birth")
