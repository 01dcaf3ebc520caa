"""The fields of law (lĩnh vực pháp luật) bulletins are grouped by in reports: a controlled list kept as data.

The list is seeded by migration 0013 with the fields the communes' dissemination plans name most often,
and an admin edits it: renames, reorders, adds, or retires a field (retired fields stay on the bulletins
that have them, but new bulletins cannot take them). Codes never change, so filed reports keep grouping
the same way. `khac` ("Khác") is for what fits no field.

A bulletin's free-text topic (`Bulletin.topic`, e.g. "an toàn giao thông") stays as a subtitle; when a
bulletin arrives without a field (an older API client, the source system's own wording) the field is
found from that text by `match_legal_field`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Annotated

from pydantic import StringConstraints
from sqlmodel import Field, Session, SQLModel, col, select

from schedules.errors import UnknownLegalField

OTHER = "khac"

CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,46}[a-z0-9]$"


class LegalField(SQLModel, table=True):
    __tablename__ = "legal_field"

    code: str = Field(primary_key=True, max_length=48)
    name: str = Field(max_length=100, unique=True)
    position: int = Field(default=0, description="Order in lists and reports, smallest first.")
    active: bool = Field(default=True, description="Retired fields stay on old bulletins; new ones cannot take them.")


class LegalFieldPublic(SQLModel):
    code: str
    name: str
    position: int
    active: bool


class LegalFieldCreate(SQLModel):
    code: Annotated[str, StringConstraints(pattern=CODE_PATTERN)] = Field(
        description="Lowercase letters, digits and '-', e.g. 'phong-chong-ma-tuy'."
    )
    name: str = Field(min_length=1, max_length=100)
    position: int | None = Field(default=None, ge=0, le=10_000, description="None: after the others.")


class LegalFieldUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    position: int | None = Field(default=None, ge=0, le=10_000)
    active: bool | None = None


def legal_fields(session: Session, *, active_only: bool = False) -> list[LegalField]:
    query = select(LegalField).order_by(col(LegalField.position), col(LegalField.name))
    if active_only:
        query = query.where(col(LegalField.active).is_(True))
    return list(session.exec(query))


def get_legal_field(session: Session, code: str) -> LegalField:
    field = session.get(LegalField, code)
    if field is None:
        raise UnknownLegalField(f"no legal field {code[:48]!r}")
    return field


def require_active_field(session: Session, code: str) -> LegalField:
    """The field a bulletin may be given now: known and not retired."""
    field = get_legal_field(session, code)
    if not field.active:
        raise UnknownLegalField(
            f"legal field {code!r} is retired",
            message_vi=f"Lĩnh vực “{field.name}” đã ngừng sử dụng; hãy chọn lĩnh vực khác.",
        )
    return field


def words(text: str) -> tuple[str, ...]:
    """The words of `text` without case, diacritics or punctuation ('Phòng, chống ma túy' -> phong chong ma tuy);
    'và' and 'các' are dropped, so 'hôn nhân và gia đình' and 'hôn nhân, gia đình' read the same."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return tuple(w for w in re.split(r"[^a-z0-9]+", plain) if w and w not in ("va", "cac"))


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    n = len(shorter)
    return n > 0 and any(longer[i : i + n] == shorter for i in range(len(longer) - n + 1))


def match_legal_field(fields: Iterable[LegalField], text: str) -> str:
    """The code of the active field `text` names: its code or name exactly, a name the text contains
    ('an toàn giao thông' -> giao thông), or a name containing the text ('gia đình' -> hôn nhân và gia
    đình), longest match first; OTHER when none (or the text is empty)."""
    said = words(text)
    if not said:
        return OTHER
    candidates = [f for f in fields if f.active and f.code != OTHER]
    for field in candidates:
        if text.strip().lower() == field.code or said == words(field.name):
            return field.code
    inside = [f for f in candidates if _contains(said, words(f.name))]
    if inside:
        return max(inside, key=lambda f: len(words(f.name))).code
    around = [f for f in candidates if _contains(words(f.name), said)]
    if around:
        return min(around, key=lambda f: (len(words(f.name)), f.position)).code
    return OTHER
