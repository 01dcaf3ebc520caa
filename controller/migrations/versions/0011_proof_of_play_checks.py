"""proof of play checked against what was sent: play_record.flag_reason and published_item

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 05:50:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import audio_library.timestamps

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("play_record") as batch:
        batch.add_column(sa.Column("flag_reason", sa.String(length=32), nullable=True))
        batch.create_index(batch.f("ix_play_record_flag_reason"), ["flag_reason"], unique=False)
    published = op.create_table(
        "published_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("starts_at", audio_library.timestamps.UtcDateTime(timezone=True), nullable=False),
        sa.Column("asset_sha256", sa.String(length=64), nullable=False),
        sa.Column("clusters", sa.JSON(), nullable=True),
        sa.Column("first_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["commune_id"], ["commune.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("commune_id", "item_id", "starts_at", "asset_sha256", name="uq_published_item"),
    )
    with op.batch_alter_table("published_item") as batch:
        batch.create_index(batch.f("ix_published_item_starts_at"), ["starts_at"], unique=False)
    # The playlists already published are what the nodes have now: their items are what they will report.
    rows: dict[tuple[int, str, datetime, str], dict[str, object]] = {}
    for commune_id, version, content in op.get_bind().execute(
        sa.text("SELECT commune_id, version, content FROM commune_playlist")
    ):
        for item in json.loads(content).get("items", []):
            starts_at = datetime.fromisoformat(item["starts_at"]).astimezone(UTC)
            key = (commune_id, item["item_id"], starts_at, item["asset_sha256"])
            clusters = item.get("clusters")
            row = rows.get(key)
            if row is None:
                rows[key] = {
                    "commune_id": commune_id,
                    "item_id": item["item_id"],
                    "starts_at": starts_at,
                    "asset_sha256": item["asset_sha256"],
                    "clusters": clusters,
                    "first_version": version,
                }
            elif row["clusters"] is not None:
                # An item cut by an emergency on some clusters appears twice: one row for all its clusters.
                row["clusters"] = None if clusters is None else sorted(set(row["clusters"]) | set(clusters))  # type: ignore[call-overload]
    if rows:
        op.bulk_insert(published, list(rows.values()))


def downgrade() -> None:
    op.drop_table("published_item")
    with op.batch_alter_table("play_record") as batch:
        batch.drop_index(batch.f("ix_play_record_flag_reason"))
        batch.drop_column("flag_reason")
