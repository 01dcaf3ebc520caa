"""public listening: each bulletin's "công khai" flag and its id on the public site

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 17:00:00

Every bulletin written so far was written for the loudspeakers, so it starts public (server default
true); an officer turns off what was an internal notice. Each existing bulletin gets a random public id.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bulletin") as batch:
        batch.add_column(sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("public_id", sa.String(length=16), nullable=True))
    connection = op.get_bind()
    bulletin = sa.table("bulletin", sa.column("id", sa.Integer()), sa.column("public_id", sa.String()))
    for (row_id,) in connection.execute(sa.select(bulletin.c.id)).all():
        connection.execute(bulletin.update().where(bulletin.c.id == row_id).values(public_id=secrets.token_hex(8)))
    with op.batch_alter_table("bulletin") as batch:
        batch.create_index(batch.f("ix_bulletin_public_id"), ["public_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("bulletin") as batch:
        batch.drop_index(batch.f("ix_bulletin_public_id"))
        batch.drop_column("public_id")
        batch.drop_column("public")
