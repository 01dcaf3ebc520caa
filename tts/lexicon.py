"""Abbreviations kept in the database: a province's own, added by an admin without a release.

They extend the built-in lexicon (`tts/data/abbreviations.json`) and win over it. An entry with no
province applies everywhere; a province's entry wins over a nationwide one for that province's bulletins.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, Session, SQLModel, col, select

from audio_library.timestamps import UtcDateTime, utc_now
from tts.errors import DuplicateLexiconEntry, InvalidLexiconEntry

# An abbreviation is one token: letters (any script case), digits, and the joiners seen in the wild
# (TT&TT, GD-ĐT, TP.); it must hold at least one capital letter, otherwise it would rewrite ordinary words.
_ABBREVIATION_RE = re.compile(r"^[\w&.\-/]{1,32}$")
_DIGIT_RE = re.compile(r"[0-9]")


class LexiconEntryBase(SQLModel):
    abbreviation: str = Field(max_length=32)
    expansion: str = Field(max_length=200)


class LexiconEntry(LexiconEntryBase, table=True):
    __tablename__ = "lexicon_entry"
    __table_args__ = (
        UniqueConstraint("abbreviation", "province_id"),
        # SQL never finds two NULL province ids equal, so nationwide entries need their own unique index.
        Index(
            "uq_lexicon_nationwide",
            "abbreviation",
            unique=True,
            sqlite_where=text("province_id IS NULL"),
            postgresql_where=text("province_id IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    province_id: int | None = Field(default=None, foreign_key="province.id", index=True)
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class LexiconEntryPublic(LexiconEntryBase):
    id: int
    province_id: int | None
    created_at: datetime


def check_entry(abbreviation: str, expansion: str) -> tuple[str, str]:
    """The entry cleaned up, or InvalidLexiconEntry saying (in Vietnamese) what is wrong."""
    abbreviation = abbreviation.strip()
    expansion = " ".join(expansion.split())
    if not _ABBREVIATION_RE.match(abbreviation) or not any(ch.isupper() for ch in abbreviation):
        raise InvalidLexiconEntry(
            f"abbreviation {abbreviation[:40]!r} is not one token with a capital letter",
            message_vi="Chữ viết tắt phải là một từ liền, có chữ in hoa, tối đa 32 ký tự.",
        )
    if not expansion or len(expansion) > 200:
        raise InvalidLexiconEntry(
            "empty or too long expansion", message_vi="Cách đọc không được trống, tối đa 200 ký tự."
        )
    if _DIGIT_RE.search(expansion):
        raise InvalidLexiconEntry(
            "expansion holds digits", message_vi="Cách đọc phải viết bằng chữ, không dùng chữ số."
        )
    return abbreviation, expansion


def lexicon_for(session: Session, province_id: int | None) -> dict[str, str]:
    """The database entries that apply to a province's bulletins (nationwide first, the province's own win)."""
    query = select(LexiconEntry).where(
        col(LexiconEntry.province_id).is_(None)
        if province_id is None
        else (col(LexiconEntry.province_id).is_(None)) | (LexiconEntry.province_id == province_id)
    )
    entries = sorted(session.exec(query), key=lambda e: e.province_id is not None)
    return {entry.abbreviation: entry.expansion for entry in entries}


def add_entry(
    session: Session, abbreviation: str, expansion: str, *, province_id: int | None, created_by: int | None = None
) -> LexiconEntry:
    """Check and add an entry (the caller commits); DuplicateLexiconEntry if the scope already has it.

    Checked here, not only by the unique constraint: NULL province ids never collide in SQL, so the
    constraint alone would let a nationwide abbreviation be added twice.
    """
    abbreviation, expansion = check_entry(abbreviation, expansion)
    scope = col(LexiconEntry.province_id).is_(None) if province_id is None else LexiconEntry.province_id == province_id
    if session.exec(select(LexiconEntry).where(LexiconEntry.abbreviation == abbreviation, scope)).first() is not None:
        raise DuplicateLexiconEntry(
            f"{abbreviation} is already in the lexicon for this scope",
            message_vi=f"Chữ viết tắt {abbreviation} đã có trong từ điển.",
        )
    entry = LexiconEntry(abbreviation=abbreviation, expansion=expansion, province_id=province_id, created_by=created_by)
    session.add(entry)
    session.flush()
    return entry
