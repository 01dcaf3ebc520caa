"""bulletins in more than one language: versions in the languages of stock_language (schedules.translation)

Table bulletin_translation (empty at first); program_item.language: a program item that places one
language of a bulletin (NULL: every approved version, the bulletin's own first).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import audio_library.timestamps

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UtcDateTime = audio_library.timestamps.UtcDateTime


def upgrade() -> None:
    op.create_table(
        "bulletin_translation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=3), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("audio_sha256", sa.String(length=64), nullable=True),
        sa.Column("audio_source", sa.String(length=16), nullable=False),
        sa.Column("spoken_text", sa.Text(), nullable=False),
        sa.Column("approved_sha256", sa.String(length=64), nullable=True),
        sa.Column("approved_with", UtcDateTime(), nullable=True),
        sa.Column("speech_note", sa.String(length=500), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["bulletin_id"], ["bulletin.id"]),
        sa.ForeignKeyConstraint(["language"], ["stock_language.code"]),
        sa.ForeignKeyConstraint(["audio_sha256"], ["audio_asset.sha256"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("bulletin_id", "language", name="uq_bulletin_translation_language"),
    )
    op.create_index(op.f("ix_bulletin_translation_bulletin_id"), "bulletin_translation", ["bulletin_id"])
    op.create_index(op.f("ix_bulletin_translation_approved_sha256"), "bulletin_translation", ["approved_sha256"])
    with op.batch_alter_table("program_item") as batch:
        batch.add_column(sa.Column("language", sa.String(length=3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("program_item") as batch:
        batch.drop_column("language")
    op.drop_index(op.f("ix_bulletin_translation_approved_sha256"), table_name="bulletin_translation")
    op.drop_index(op.f("ix_bulletin_translation_bulletin_id"), table_name="bulletin_translation")
    op.drop_table("bulletin_translation")
