"""stock library: approved warnings every node keeps pinned (schedules.stock_message)

Tables stock_language (seeded: Vietnamese, Khmer), stock_message and stock_library (one row, version 0).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import audio_library.timestamps

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UtcDateTime = audio_library.timestamps.UtcDateTime

# Frozen here as this migration's data: espeak-ng reads Vietnamese offline, no offline engine reads Khmer.
LANGUAGES: list[tuple[str, str, bool]] = [("vi", "Tiếng Việt", True), ("km", "Tiếng Khmer", False)]


def upgrade() -> None:
    language = op.create_table(
        "stock_language",
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("name_vi", sa.String(length=64), nullable=False),
        sa.Column("offline_speech", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.bulk_insert(
        language, [{"code": code, "name_vi": name, "offline_speech": offline} for code, name, offline in LANGUAGES]
    )
    op.create_table(
        "stock_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=3), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("text", sa.String(length=5000), nullable=False),
        sa.Column("audio_sha256", sa.String(length=64), nullable=True),
        sa.Column("audio_source", sa.String(length=16), nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.Column("approved_sha256", sa.String(length=64), nullable=True),
        sa.Column("approved_title", sa.String(length=300), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=False),
        sa.Column("approved_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["language"], ["stock_language.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", "language", name="uq_stock_message_key_language"),
    )
    op.create_index("ix_stock_message_approved_sha256", "stock_message", ["approved_sha256"])
    library = op.create_table(
        "stock_library",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(library, [{"id": 1, "version": 0, "changed_at": datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table("stock_library")
    op.drop_index("ix_stock_message_approved_sha256", table_name="stock_message")
    op.drop_table("stock_message")
    op.drop_table("stock_language")
