"""legal fields: the controlled list of fields of law, and each bulletin's field (found from its topic)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The fields the communes' legal-dissemination plans name most often; admins edit the list afterwards.
# Frozen here as this migration's data (the application's matching may change; what this wrote may not).
SEED: list[tuple[str, str]] = [
    ("giao-thong", "Giao thông"),
    ("dat-dai", "Đất đai"),
    ("hon-nhan-gia-dinh", "Hôn nhân và gia đình"),
    ("phong-chong-ma-tuy", "Phòng, chống ma túy"),
    ("an-ninh-trat-tu", "An ninh, trật tự"),
    ("moi-truong", "Môi trường"),
    ("lao-dong-viec-lam", "Lao động, việc làm"),
    ("bao-hiem", "Bảo hiểm xã hội, bảo hiểm y tế"),
    ("phong-chong-thien-tai", "Phòng, chống thiên tai"),
    ("phong-chay-chua-chay", "Phòng cháy, chữa cháy"),
    ("y-te-an-toan-thuc-pham", "Y tế, an toàn thực phẩm"),
    ("giao-duc", "Giáo dục"),
    ("tre-em", "Trẻ em"),
    ("binh-dang-gioi", "Bình đẳng giới, phòng chống bạo lực gia đình"),
    ("dan-su", "Dân sự"),
    ("hinh-su", "Hình sự"),
    ("hanh-chinh", "Hành chính, thủ tục hành chính"),
    ("thue-tai-chinh", "Thuế, tài chính"),
    ("nong-nghiep-thuy-san", "Nông nghiệp, thủy sản"),
    ("dan-toc-ton-giao", "Dân tộc, tôn giáo"),
    ("quoc-phong", "Quốc phòng, nghĩa vụ quân sự"),
    ("phong-chong-tham-nhung", "Phòng, chống tham nhũng"),
    ("bau-cu", "Bầu cử"),
    ("an-ninh-mang", "An ninh mạng, lừa đảo trực tuyến"),
    ("khac", "Khác"),
]


def _words(text: str) -> tuple[str, ...]:
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return tuple(w for w in re.split(r"[^a-z0-9]+", plain) if w and w not in ("va", "cac"))


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    n = len(shorter)
    return n > 0 and any(longer[i : i + n] == shorter for i in range(len(longer) - n + 1))


def _field_of(topic: str) -> str:
    """The seeded field an existing bulletin's topic names (as `schedules.legal_field.match_legal_field`)."""
    said = _words(topic)
    fields = [(code, _words(name)) for code, name in SEED if code != "khac"]
    if not said:
        return "khac"
    for code, name in fields:
        if said == name or topic.strip().lower() == code:
            return code
    inside = [(len(name), code) for code, name in fields if _contains(said, name)]
    if inside:
        return max(inside)[1]
    around = [(len(name), i, code) for i, (code, name) in enumerate(fields) if _contains(name, said)]
    return min(around)[2] if around else "khac"


def upgrade() -> None:
    legal_field = op.create_table(
        "legal_field",
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
        sa.UniqueConstraint("name"),
    )
    op.bulk_insert(
        legal_field,
        [{"code": code, "name": name, "position": 10 * (i + 1), "active": True} for i, (code, name) in enumerate(SEED)],
    )
    with op.batch_alter_table("bulletin") as batch:
        batch.add_column(sa.Column("legal_field", sa.String(length=48), nullable=False, server_default="khac"))
        batch.create_index(batch.f("ix_bulletin_legal_field"), ["legal_field"], unique=False)
        batch.create_foreign_key("fk_bulletin_legal_field", "legal_field", ["legal_field"], ["code"])
    connection = op.get_bind()
    bulletin = sa.table(
        "bulletin",
        sa.column("id", sa.Integer()),
        sa.column("topic", sa.String()),
        sa.column("legal_field", sa.String()),
    )
    by_field: dict[str, list[int]] = {}
    for row in connection.execute(sa.select(bulletin.c.id, bulletin.c.topic)):
        by_field.setdefault(_field_of(row.topic or ""), []).append(row.id)
    for code, ids in by_field.items():
        if code != "khac":
            for start in range(0, len(ids), 500):
                connection.execute(
                    bulletin.update().where(bulletin.c.id.in_(ids[start : start + 500])).values(legal_field=code)
                )


def downgrade() -> None:
    with op.batch_alter_table("bulletin") as batch:
        batch.drop_constraint("fk_bulletin_legal_field", type_="foreignkey")
        batch.drop_index(batch.f("ix_bulletin_legal_field"))
        batch.drop_column("legal_field")
    op.drop_table("legal_field")
