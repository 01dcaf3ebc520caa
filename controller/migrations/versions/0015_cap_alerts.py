"""CAP 1.2 alerts: every alert received, the province's CAP settings per source, area codes, communes'
administrative unit codes

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 14:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import audio_library.timestamps

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UtcDateTime = audio_library.timestamps.UtcDateTime


def upgrade() -> None:
    with op.batch_alter_table("commune") as batch:
        batch.add_column(sa.Column("admin_code", sa.String(length=16), nullable=True))
        batch.create_index(batch.f("ix_commune_admin_code"), ["admin_code"], unique=True)
    op.create_table(
        "cap_area_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["commune_id"], ["commune.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", "commune_id"),
    )
    with op.batch_alter_table("cap_area_code") as batch:
        batch.create_index(batch.f("ix_cap_area_code_code"), ["code"], unique=False)
        batch.create_index(batch.f("ix_cap_area_code_commune_id"), ["commune_id"], unique=False)
    op.create_table(
        "cap_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=520), nullable=True),
        sa.Column("identifier", sa.String(length=255), nullable=False),
        sa.Column("sender", sa.String(length=255), nullable=False),
        sa.Column("sent", UtcDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("msg_type", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("detail", sa.String(length=2000), nullable=False),
        sa.Column("event", sa.String(length=300), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("certainty", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("area_desc", sa.String(length=1000), nullable=False),
        sa.Column("reach", sa.JSON(), nullable=False),
        sa.Column("references", sa.JSON(), nullable=False),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=True),
        sa.Column("emergency_ids", sa.JSON(), nullable=False),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("auto_aired", sa.Boolean(), nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.Column("received_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["bulletin_id"], ["bulletin.id"]),
        sa.ForeignKeyConstraint(["confirmed_by"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["replaces_id"], ["cap_alert.id"]),
        sa.ForeignKeyConstraint(["source_id"], ["source_system.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cap_alert") as batch:
        batch.create_index(batch.f("ix_cap_alert_dedup_key"), ["dedup_key"], unique=True)
        batch.create_index(batch.f("ix_cap_alert_identifier"), ["identifier"], unique=False)
        batch.create_index(batch.f("ix_cap_alert_received_at"), ["received_at"], unique=False)
        batch.create_index(batch.f("ix_cap_alert_source_id"), ["source_id"], unique=False)
        batch.create_index(batch.f("ix_cap_alert_state"), ["state"], unique=False)
    op.create_table(
        "cap_source_setting",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=True),
        sa.Column("auto_air_severities", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["source_system.id"]),
        sa.PrimaryKeyConstraint("source_id"),
    )


def downgrade() -> None:
    op.drop_table("cap_source_setting")
    op.drop_table("cap_alert")
    op.drop_table("cap_area_code")
    with op.batch_alter_table("commune") as batch:
        batch.drop_index(batch.f("ix_commune_admin_code"))
        batch.drop_column("admin_code")
