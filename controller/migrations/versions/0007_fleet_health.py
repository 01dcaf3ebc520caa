"""fleet health: latest health per cluster, state transitions, heartbeat samples, daily uptime, alerts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 20:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import audio_library.timestamps

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("opened_at", audio_library.timestamps.UtcDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", audio_library.timestamps.UtcDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", audio_library.timestamps.UtcDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("open_key", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["commune_id"],
            ["commune.id"],
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_key"),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_commune_id"), ["commune_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_key"), ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_opened_at"), ["opened_at"], unique=False)

    op.create_table(
        "device_health",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_since", audio_library.timestamps.UtcDateTime(timezone=True), nullable=False),
        sa.Column("problems", sa.String(length=200), nullable=False),
        sa.Column("last_heartbeat_at", audio_library.timestamps.UtcDateTime(timezone=True), nullable=True),
        sa.Column("session_seq", sa.Integer(), nullable=False),
        sa.Column("uptime_s", sa.Integer(), nullable=False),
        sa.Column("firmware", sa.String(length=64), nullable=False),
        sa.Column("volume", sa.Integer(), nullable=False),
        sa.Column("amplifier", sa.String(length=16), nullable=False),
        sa.Column("speaker_line", sa.String(length=16), nullable=False),
        sa.Column("temperature_c", sa.Float(), nullable=True),
        sa.Column("network", sa.String(length=16), nullable=False),
        sa.Column("signal_dbm", sa.Integer(), nullable=True),
        sa.Column("storage_free_mb", sa.Integer(), nullable=False),
        sa.Column("clock_offset_ms", sa.Integer(), nullable=True),
        sa.Column("current_item", sa.String(length=64), nullable=True),
        sa.Column("playlist_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
        ),
        sa.PrimaryKeyConstraint("device_id"),
    )
    with op.batch_alter_table("device_health", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_health_state"), ["state"], unique=False)

    op.create_table(
        "health_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("at", audio_library.timestamps.UtcDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("health_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_health_event_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_health_event_device_id"), ["device_id"], unique=False)

    op.create_table(
        "heartbeat_sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("at", audio_library.timestamps.UtcDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("temperature_c", sa.Float(), nullable=True),
        sa.Column("signal_dbm", sa.Integer(), nullable=True),
        sa.Column("storage_free_mb", sa.Integer(), nullable=False),
        sa.Column("clock_offset_ms", sa.Integer(), nullable=True),
        sa.Column("volume", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("device_id", "at"),
    )
    with op.batch_alter_table("heartbeat_sample", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_heartbeat_sample_device_id"), ["device_id"], unique=False)

    op.create_table(
        "uptime_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("up_s", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("device_id", "day"),
    )
    with op.batch_alter_table("uptime_day", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_uptime_day_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_uptime_day_device_id"), ["device_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("uptime_day", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_uptime_day_device_id"))
        batch_op.drop_index(batch_op.f("ix_uptime_day_day"))

    op.drop_table("uptime_day")
    with op.batch_alter_table("heartbeat_sample", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_heartbeat_sample_device_id"))

    op.drop_table("heartbeat_sample")
    with op.batch_alter_table("health_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_event_device_id"))
        batch_op.drop_index(batch_op.f("ix_health_event_at"))

    op.drop_table("health_event")
    with op.batch_alter_table("device_health", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_health_state"))

    op.drop_table("device_health")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_opened_at"))
        batch_op.drop_index(batch_op.f("ix_alert_kind"))
        batch_op.drop_index(batch_op.f("ix_alert_key"))
        batch_op.drop_index(batch_op.f("ix_alert_device_id"))
        batch_op.drop_index(batch_op.f("ix_alert_commune_id"))

    op.drop_table("alert")
