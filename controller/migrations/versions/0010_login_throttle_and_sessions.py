"""login throttle and sessions: failed logins counted in the database, revocable login sessions

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import audio_library.timestamps

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", audio_library.timestamps.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("login_failure") as batch:
        batch.create_index(batch.f("ix_login_failure_username"), ["username"], unique=False)
        batch.create_index(batch.f("ix_login_failure_address"), ["address"], unique=False)
        batch.create_index(batch.f("ix_login_failure_at"), ["at"], unique=False)
    op.create_table(
        "login_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("created_at", audio_library.timestamps.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", audio_library.timestamps.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("login_session") as batch:
        batch.create_index(batch.f("ix_login_session_user_id"), ["user_id"], unique=False)
        batch.create_index(batch.f("ix_login_session_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_session") as batch:
        batch.drop_index(batch.f("ix_login_session_expires_at"))
        batch.drop_index(batch.f("ix_login_session_user_id"))
    op.drop_table("login_session")
    with op.batch_alter_table("login_failure") as batch:
        batch.drop_index(batch.f("ix_login_failure_at"))
        batch.drop_index(batch.f("ix_login_failure_address"))
        batch.drop_index(batch.f("ix_login_failure_username"))
    op.drop_table("login_failure")
