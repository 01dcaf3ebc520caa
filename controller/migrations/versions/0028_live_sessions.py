"""live broadcasts from the console ("Phát trực tiếp"): the live permission, sessions, their communes

Tables live_grant, live_session, live_session_commune and live_on_air (controller.live.session), all
empty at first: nobody may go live until an admin grants it.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "live_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=True),
        sa.Column("province_id", sa.Integer(), nullable=True),
        sa.Column("pre_empt", sa.Boolean(), nullable=False),
        sa.Column("granted_by", sa.Integer(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["commune_id"], ["commune.id"]),
        sa.ForeignKeyConstraint(["province_id"], ["province.id"]),
        sa.ForeignKeyConstraint(["granted_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_live_grant_user_id"), "live_grant", ["user_id"])
    op.create_table(
        "live_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("pre_empt", sa.Boolean(), nullable=False),
        sa.Column("target", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("on_air_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.Column("end_detail", sa.String(length=500), nullable=False),
        sa.Column("recording_sha256", sa.String(length=64), nullable=True),
        sa.Column("recorded_ms", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["recording_sha256"], ["audio_asset.sha256"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index(op.f("ix_live_session_user_id"), "live_session", ["user_id"])
    op.create_index(op.f("ix_live_session_started_at"), "live_session", ["started_at"])
    op.create_table(
        "live_session_commune",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("clusters", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["live_session.id"]),
        sa.ForeignKeyConstraint(["commune_id"], ["commune.id"]),
        sa.PrimaryKeyConstraint("session_id", "commune_id"),
    )
    op.create_index(op.f("ix_live_session_commune_commune_id"), "live_session_commune", ["commune_id"])
    op.create_table(
        "live_on_air",
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["commune_id"], ["commune.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["live_session.id"]),
        sa.PrimaryKeyConstraint("commune_id"),
    )
    op.create_index(op.f("ix_live_on_air_session_id"), "live_on_air", ["session_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_live_on_air_session_id"), table_name="live_on_air")
    op.drop_table("live_on_air")
    op.drop_index(op.f("ix_live_session_commune_commune_id"), table_name="live_session_commune")
    op.drop_table("live_session_commune")
    op.drop_index(op.f("ix_live_session_started_at"), table_name="live_session")
    op.drop_index(op.f("ix_live_session_user_id"), table_name="live_session")
    op.drop_table("live_session")
    op.drop_index(op.f("ix_live_grant_user_id"), table_name="live_grant")
    op.drop_table("live_grant")
