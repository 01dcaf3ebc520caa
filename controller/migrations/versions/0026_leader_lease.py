"""the leader lease of the singleton jobs, with its fencing token (schedules.lease)

Table leader_lease, with its one row `leader`: lapsed, token 0, held by nobody.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    lease = op.create_table(
        "leader_lease",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(lease, [{"name": "leader", "holder": "", "token": 0, "expires_at": 0.0}])


def downgrade() -> None:
    op.drop_table("leader_lease")
