"""source link: registered source systems, their items, the bulletins they became, every delivery

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import audio_library.timestamps

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UtcDateTime = audio_library.timestamps.UtcDateTime


def upgrade() -> None:
    op.create_table(
        "source_system",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("province_id", sa.Integer(), nullable=False),
        sa.Column("public_key_b64", sa.String(length=64), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("feed_url", sa.String(length=500), nullable=True),
        sa.Column("feed_cursor", sa.Integer(), nullable=False),
        sa.Column("feed_checked_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("feed_error", sa.String(length=500), nullable=False),
        sa.Column("report_url", sa.String(length=500), nullable=True),
        sa.Column("approval_at_source", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["province_id"], ["province.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("source_system") as batch:
        batch.create_index(batch.f("ix_source_system_code"), ["code"], unique=True)
    op.create_table(
        "source_approver",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("public_key_b64", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["source_system.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_id", "name"),
    )
    with op.batch_alter_table("source_approver") as batch:
        batch.create_index(batch.f("ix_source_approver_source_id"), ["source_id"], unique=False)
    with op.batch_alter_table("bulletin") as batch:
        batch.add_column(sa.Column("approved_at_source_by", sa.String(length=200), nullable=True))
        # Which bulletin a sound belongs to (the clearance rule, proof of play going upstream, audio scope).
        batch.create_index(batch.f("ix_bulletin_audio_sha256"), ["audio_sha256"], unique=False)
    with op.batch_alter_table("audio_asset") as batch:
        batch.create_index(batch.f("ix_audio_asset_mp3_sha256"), ["mp3_sha256"], unique=False)
    op.create_table(
        "source_nonce",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("seen_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["source_system.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_id", "nonce"),
    )
    with op.batch_alter_table("source_nonce") as batch:
        batch.create_index(batch.f("ix_source_nonce_source_id"), ["source_id"], unique=False)
        batch.create_index(batch.f("ix_source_nonce_seen_at"), ["seen_at"], unique=False)
    op.create_table(
        "source_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("received_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["source_system.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_id", "external_id"),
    )
    with op.batch_alter_table("source_item") as batch:
        batch.create_index(batch.f("ix_source_item_source_id"), ["source_id"], unique=False)
    op.create_table(
        "source_item_bulletin",
        sa.Column("source_item_id", sa.Integer(), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["bulletin_id"], ["bulletin.id"]),
        sa.ForeignKeyConstraint(["source_item_id"], ["source_item.id"]),
        sa.PrimaryKeyConstraint("source_item_id", "bulletin_id"),
        sa.UniqueConstraint("bulletin_id"),
    )
    op.create_table(
        "source_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("detail", sa.String(length=2000), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["source_system.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("source_delivery") as batch:
        batch.create_index(batch.f("ix_source_delivery_source_id"), ["source_id"], unique=False)
        batch.create_index(batch.f("ix_source_delivery_received_at"), ["received_at"], unique=False)

    op.create_table(
        "source_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["source_system.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_id", "key"),
    )
    with op.batch_alter_table("source_outbox") as batch:
        batch.create_index(batch.f("ix_source_outbox_source_id"), ["source_id"], unique=False)
        batch.create_index(batch.f("ix_source_outbox_next_attempt_at"), ["next_attempt_at"], unique=False)
        batch.create_index(batch.f("ix_source_outbox_sent_at"), ["sent_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audio_asset") as batch:
        batch.drop_index(batch.f("ix_audio_asset_mp3_sha256"))
    with op.batch_alter_table("bulletin") as batch:
        batch.drop_index(batch.f("ix_bulletin_audio_sha256"))
        batch.drop_column("approved_at_source_by")
    for table in (
        "source_outbox",
        "source_delivery",
        "source_item_bulletin",
        "source_item",
        "source_nonce",
        "source_approver",
        "source_system",
    ):
        op.drop_table(table)
