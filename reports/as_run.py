"""The as-run log: every proof of play of a scope and period, as the nodes reported it, in chain order.

Reports come from what the nodes said they played, never from what was scheduled. Each row carries its
place in its day's hash chain (`reports.ledger`), so the log itself can be checked: recompute the links
from the rows and compare the last of each day with the head printed in the report.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, or_, select

from audio_library import AudioAsset
from devices.proof_of_play import FLAG_LABELS, PlayRecord
from devices.registry import Device
from reports.ledger import PlayLink
from schedules import Bulletin

# What a person reads in the CSV's header and outcome column (the codes stay in the API's JSON).
CSV_HEADER = [
    "Ngày",
    "Xã",
    "STT trong ngày",
    "Cụm loa",
    "Mã mục",
    "Bản tin",
    "Tiêu đề",
    "SHA-256 âm thanh",
    "Giờ dự kiến",
    "Giờ bắt đầu",
    "Giờ kết thúc",
    "Thời lượng (giây)",
    "Kết quả",
    "Cảnh báo",
    "Mã chuỗi",
]
OUTCOME_LABELS = {"played": "đã phát", "failed": "lỗi phát", "interrupted": "bị ngắt giữa chừng"}


@dataclass(frozen=True)
class AsRunRow:
    day: date
    commune_code: str
    seq: int
    cluster_code: str
    item_id: str
    bulletin_id: int | None
    title: str
    asset_sha256: str
    scheduled_start: datetime
    started_at: datetime
    ended_at: datetime
    outcome: str
    flag_reason: str | None
    link_sha256: str

    @property
    def duration_s(self) -> float:
        return round((self.ended_at - self.started_at).total_seconds(), 3)


class _Bulletins:
    """Which bulletin a sound belongs to (its audio or MP3 rendition), remembered: a period has few sounds."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._known: dict[str, tuple[int | None, str]] = {}

    def of(self, sha256: str) -> tuple[int | None, str]:
        if sha256 not in self._known:
            renditions = select(AudioAsset.sha256).where(AudioAsset.mp3_sha256 == sha256)
            bulletin = self._session.exec(
                select(Bulletin.id, Bulletin.title)
                .where(or_(col(Bulletin.audio_sha256) == sha256, col(Bulletin.audio_sha256).in_(renditions)))
                .order_by(col(Bulletin.id))
                .limit(1)
            ).first()
            self._known[sha256] = (bulletin[0], bulletin[1]) if bulletin is not None else (None, "")
        return self._known[sha256]


def as_run_rows(
    session: Session, commune_codes: list[str], first: date, last: date, *, batch: int
) -> Iterator[AsRunRow]:
    """The sealed plays of the communes on the days `first`..`last` (inclusive), by commune, day and seq,
    read `batch` rows at a time."""
    bulletins = _Bulletins(session)
    query = (
        select(PlayLink, PlayRecord, Device.code)
        .join(PlayRecord, col(PlayRecord.id) == col(PlayLink.play_id))
        .join(Device, col(Device.id) == col(PlayRecord.device_id))
        .where(col(PlayLink.commune_code).in_(commune_codes), col(PlayLink.day) >= first, col(PlayLink.day) <= last)
        .order_by(col(PlayLink.commune_code), col(PlayLink.day), col(PlayLink.seq))
        .execution_options(yield_per=batch)
    )
    for link, play, cluster_code in session.exec(query):
        bulletin_id, title = bulletins.of(play.asset_sha256)
        yield AsRunRow(
            day=link.day,
            commune_code=link.commune_code,
            seq=link.seq,
            cluster_code=cluster_code,
            item_id=play.item_id,
            bulletin_id=bulletin_id,
            title=title,
            asset_sha256=play.asset_sha256,
            scheduled_start=play.scheduled_start,
            started_at=play.started_at,
            ended_at=play.ended_at,
            outcome=play.outcome,
            flag_reason=play.flag_reason,
            link_sha256=link.link_sha256,
        )


def as_run_csv(rows: Iterator[AsRunRow], zone: ZoneInfo) -> Iterator[bytes]:
    """The rows as CSV in UTF-8 with a byte-order mark (so Excel reads the diacritics), a chunk per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def take() -> bytes:
        chunk = buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        return chunk

    writer.writerow(CSV_HEADER)
    yield "\ufeff".encode() + take()
    for row in rows:
        writer.writerow(
            [
                row.day.isoformat(),
                row.commune_code,
                row.seq,
                row.cluster_code,
                row.item_id,
                row.bulletin_id if row.bulletin_id is not None else "",
                row.title,
                row.asset_sha256,
                _local(row.scheduled_start, zone),
                _local(row.started_at, zone),
                _local(row.ended_at, zone),
                f"{row.duration_s:.3f}",
                OUTCOME_LABELS.get(row.outcome, row.outcome),
                FLAG_LABELS.get(row.flag_reason, row.flag_reason) if row.flag_reason else "",
                row.link_sha256,
            ]
        )
        yield take()


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat(timespec="milliseconds")
