"""emergencies with a stock message: an emergency order names a bulletin or an approved stock message

emergency_order.bulletin_id becomes nullable; stock_key, stock_language and stock_sha256 (the message's
approved audio when the order was issued) are added, empty for existing orders.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 20:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("emergency_order") as batch:
        batch.alter_column("bulletin_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("stock_key", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("stock_language", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("stock_sha256", sa.String(length=64), nullable=True))
        batch.create_index("ix_emergency_order_stock_sha256", ["stock_sha256"])


def downgrade() -> None:
    # Orders of stock messages have no bulletin: they cannot be kept under the older schema.
    op.execute("DELETE FROM emergency_order WHERE bulletin_id IS NULL")
    with op.batch_alter_table("emergency_order") as batch:
        batch.drop_index("ix_emergency_order_stock_sha256")
        batch.drop_column("stock_sha256")
        batch.drop_column("stock_language")
        batch.drop_column("stock_key")
        batch.alter_column("bulletin_id", existing_type=sa.Integer(), nullable=False)
