"""emergency cancellation: an officer can end an emergency early

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 20:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import audio_library.timestamps

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("emergency_order") as batch:
        batch.add_column(sa.Column("cancelled_at", audio_library.timestamps.UtcDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("cancelled_by", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_emergency_order_cancelled_by", "app_user", ["cancelled_by"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("emergency_order") as batch:
        batch.drop_constraint("fk_emergency_order_cancelled_by", type_="foreignkey")
        batch.drop_column("cancelled_by")
        batch.drop_column("cancelled_at")
