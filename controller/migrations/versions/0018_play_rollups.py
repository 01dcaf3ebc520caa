"""daily roll-ups of proof of play, and indexes for the plays that did not air whole

Tables play_day, cluster_day, unplayed_item and sound_reach (reports.rollup), and each day's chain head
(play_ledger_head).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 15:00:00

The plays already sealed into the as-run log are rolled up here; the sealer rolls up the rest as it
seals them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import audio_library.timestamps

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UtcDateTime = audio_library.timestamps.UtcDateTime
UNPLAYED = "outcome <> 'played'"


def upgrade() -> None:
    op.create_table(
        "play_ledger_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_code", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("link_sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("commune_code", "day"),
    )
    op.create_index("ix_play_ledger_head_day", "play_ledger_head", ["day"])
    op.execute(
        """INSERT INTO play_ledger_head (commune_code, day, seq, link_sha256)
           SELECT l.commune_code, l.day, l.seq, l.link_sha256 FROM play_ledger l
           JOIN (SELECT commune_code, day, max(seq) AS seq FROM play_ledger GROUP BY commune_code, day) last
             ON last.commune_code = l.commune_code AND last.day = l.day AND last.seq = l.seq"""
    )
    op.create_table(
        "play_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_code", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("asset_sha256", sa.String(length=64), nullable=False),
        sa.Column("item_class", sa.String(length=12), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("plays", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("commune_code", "day", "asset_sha256", "item_class", "outcome"),
    )
    op.create_index("ix_play_day_day", "play_day", ["day"])
    op.create_table(
        "cluster_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("item_class", sa.String(length=12), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("plays", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("device_id", "day", "item_class", "outcome"),
    )
    op.create_index("ix_cluster_day_day", "cluster_day", ["day"])
    op.create_table(
        "unplayed_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("scheduled_start", UtcDateTime(timezone=True), nullable=False),
        sa.Column("commune_code", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("device_id", "item_id", "scheduled_start"),
    )
    op.create_index("ix_unplayed_item_day", "unplayed_item", ["day"])
    op.create_table(
        "sound_reach",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_sha256", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("first_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("plays", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("asset_sha256", "device_id"),
    )
    op.create_index("ix_sound_reach_device_id", "sound_reach", ["device_id"])
    op.create_index(
        "ix_play_record_unplayed",
        "play_record",
        ["commune_code", "scheduled_start"],
        postgresql_where=sa.text(UNPLAYED),
        sqlite_where=sa.text(UNPLAYED),
    )
    # Whether a failed or interrupted play was played whole after all: one lookup per cluster and start.
    op.create_index("ix_play_record_device_start", "play_record", ["device_id", "scheduled_start"])
    postgres = op.get_bind().dialect.name == "postgresql"
    emergency = (
        "p.item_id ~ '^e[0-9]+$'"
        if postgres
        else "(p.item_id GLOB 'e[0-9]*' AND substr(p.item_id, 2) NOT GLOB '*[^0-9]*')"
    )
    # To the millisecond, as the sealer adds them (julianday carries float noise below that).
    seconds = (
        "round(extract(epoch FROM p.ended_at - p.started_at)::numeric, 3)"
        if postgres
        else "round((julianday(p.ended_at) - julianday(p.started_at)) * 86400.0, 3)"
    )
    op.execute(
        f"""INSERT INTO play_day (commune_code, day, asset_sha256, item_class, outcome, plays, seconds)
            SELECT l.commune_code, l.day, p.asset_sha256,
                   CASE WHEN p.item_id LIKE 'cmd-%' THEN 'command' WHEN {emergency} THEN 'emergency' ELSE 'item' END,
                   p.outcome, count(*), sum({seconds})
            FROM play_ledger l JOIN play_record p ON p.id = l.play_id
            WHERE p.flag_reason IS NULL
            GROUP BY l.commune_code, l.day, p.asset_sha256,
                     CASE WHEN p.item_id LIKE 'cmd-%' THEN 'command' WHEN {emergency} THEN 'emergency' ELSE 'item' END,
                     p.outcome"""
    )
    op.execute(
        f"""INSERT INTO cluster_day (device_id, day, item_class, outcome, plays)
            SELECT p.device_id, l.day,
                   CASE WHEN p.item_id LIKE 'cmd-%' THEN 'command' WHEN {emergency} THEN 'emergency' ELSE 'item' END,
                   p.outcome, count(*)
            FROM play_ledger l JOIN play_record p ON p.id = l.play_id
            WHERE p.flag_reason IS NULL
            GROUP BY p.device_id, l.day,
                     CASE WHEN p.item_id LIKE 'cmd-%' THEN 'command' WHEN {emergency} THEN 'emergency' ELSE 'item' END,
                     p.outcome"""
    )
    # The scheduled start's day in Vietnam time (+07:00 all year).
    local_day = (
        "(p.scheduled_start AT TIME ZONE 'Asia/Ho_Chi_Minh')::date"
        if postgres
        else "date(p.scheduled_start, '+7 hours')"
    )
    failed = "max(CASE WHEN p.outcome = 'failed' THEN 1 ELSE 0 END) = 1"
    op.execute(
        f"""INSERT INTO unplayed_item (device_id, item_id, scheduled_start, commune_code, day, failed)
            SELECT p.device_id, p.item_id, p.scheduled_start, min(p.commune_code), {local_day}, {failed}
            FROM play_ledger l JOIN play_record p ON p.id = l.play_id
            WHERE p.flag_reason IS NULL AND p.outcome <> 'played' AND p.item_id NOT LIKE 'cmd-%'
              AND NOT EXISTS (SELECT 1 FROM play_record q
                              WHERE q.device_id = p.device_id AND q.scheduled_start = p.scheduled_start
                                AND q.item_id = p.item_id AND q.outcome = 'played' AND q.flag_reason IS NULL)
            GROUP BY p.device_id, p.item_id, p.scheduled_start"""
    )
    op.execute(
        """INSERT INTO sound_reach (asset_sha256, device_id, first_at, last_at, plays)
           SELECT p.asset_sha256, p.device_id, min(p.started_at), max(p.started_at), count(*)
           FROM play_ledger l JOIN play_record p ON p.id = l.play_id
           WHERE p.flag_reason IS NULL AND p.outcome = 'played'
           GROUP BY p.asset_sha256, p.device_id"""
    )


def downgrade() -> None:
    op.drop_index("ix_play_ledger_head_day", "play_ledger_head")
    op.drop_table("play_ledger_head")
    op.drop_index("ix_unplayed_item_day", "unplayed_item")
    op.drop_table("unplayed_item")
    op.drop_index("ix_play_record_device_start", "play_record")
    op.drop_index("ix_cluster_day_day", "cluster_day")
    op.drop_table("cluster_day")
    op.drop_index("ix_play_record_unplayed", "play_record")
    op.drop_index("ix_sound_reach_device_id", "sound_reach")
    op.drop_table("sound_reach")
    op.drop_index("ix_play_day_day", "play_day")
    op.drop_table("play_day")
