"""The figures of a period report: content, airing, reach of province content and the system.

Every figure comes from rows loaxa keeps anyway: bulletins (content), what was published to each commune
(`published_item`: what was planned), what the nodes reported they played (`play_record`: proof of play,
flagged reports never count), emergency orders, daily uptime and alerts. An item counts as aired on a
cluster only when that cluster reported it played. Big tables are aggregated in the database; only small
results (a row per commune, sound or cluster) come back to Python. See docs/reports.md for each
definition.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, distinct, func, tuple_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, or_, select

from audio_library import AudioAsset
from devices.alerts import Alert
from devices.proof_of_play import PlayRecord
from devices.protocol import stream_asset_sha256
from devices.registry import Device
from devices.uptime import UptimeDay
from reports.ledger import day_heads
from reports.period import Period
from reports.period_report import (
    AIRING_LABELS,
    ALERT_LABELS,
    LANGUAGE_LABELS,
    MISSED_LABELS,
    ORIGIN_LABELS,
    PRIORITY_LABELS,
    RELAY_TOTAL_LABEL,
    UNKNOWN_SOUND,
    AiringByCommune,
    AiringRow,
    AlertRow,
    ClusterRow,
    CommuneSeal,
    CommuneSystemRow,
    ContentRow,
    DayHeadRow,
    EmergencyRow,
    MissedRow,
    PeriodReport,
    ReachRow,
    RelayRow,
    Scope,
    Totals,
    compare,
)
from reports.planned import EVERY_CLUSTER, planned_counts
from reports.rollup import (
    EMERGENCY,
    ITEM,
    LIVE,
    UNPLANNED,
    ClusterDay,
    PlayDay,
    RelayDay,
    SoundReach,
    UnplayedItem,
)
from schedules import Bulletin
from schedules.bulletin import AudioSource, BulletinStatus
from schedules.emergency_order import EmergencyOrder
from schedules.legal_field import LegalField
from schedules.published_item import PublishedItem
from schedules.stock_message import StockLanguage, StockMessage
from schedules.stream_source import StreamSource
from schedules.translation import BulletinTranslation

# The airtime-by-priority key of relays of external streams (label "Tiếp sóng", `AIRING_LABELS`).
RELAY = "relay"


@dataclass(frozen=True)
class _Window:
    start: datetime
    end: datetime

    @classmethod
    def of(cls, period: Period, zone: ZoneInfo) -> _Window:
        start = datetime.combine(period.first, time(0), zone).astimezone(UTC)
        end = datetime.combine(period.last + timedelta(days=1), time(0), zone).astimezone(UTC)
        return cls(start, end)


def _pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class _Sounds:
    """What each played sound was: the bulletin it belongs to (its own audio or a version's), and its language."""

    bulletins: dict[str, Bulletin]
    languages: dict[str, str]

    def get(self, sha: str) -> Bulletin | None:
        return self.bulletins.get(sha)


def _sound_bulletins(session: Session, shas: Iterable[str]) -> _Sounds:
    """The bulletin each sound (its audio or its MP3 rendition) belongs to, and the language it speaks: the
    bulletin's own, one of its versions in another language (`schedules.translation`), or a stock message's."""
    wanted = set(shas)
    if not wanted:
        return _Sounds({}, {})
    renditions = dict(
        session.exec(
            select(AudioAsset.mp3_sha256, AudioAsset.sha256).where(col(AudioAsset.mp3_sha256).in_(wanted))
        ).all()
    )
    originals = wanted | {sha for sha in renditions.values() if sha}
    by_audio: dict[str, Bulletin] = {}
    language_of: dict[str, str] = {}
    for owner in session.exec(
        select(Bulletin).where(col(Bulletin.audio_sha256).in_(originals)).order_by(col(Bulletin.id))
    ):
        assert owner.audio_sha256 is not None
        by_audio.setdefault(owner.audio_sha256, owner)
        language_of.setdefault(owner.audio_sha256, owner.language)
    versions = session.exec(
        select(BulletinTranslation, Bulletin)
        .join(Bulletin, col(Bulletin.id) == col(BulletinTranslation.bulletin_id))
        .where(
            or_(
                col(BulletinTranslation.approved_sha256).in_(originals),
                col(BulletinTranslation.audio_sha256).in_(originals),
            )
        )
        .order_by(col(BulletinTranslation.id))
    ).all()
    for version, owner in versions:
        for sha in {version.approved_sha256, version.audio_sha256} & originals:
            assert sha is not None
            by_audio.setdefault(sha, owner)
            language_of.setdefault(sha, version.language)
    for stock_sha, stock_language in session.exec(
        select(StockMessage.approved_sha256, StockMessage.language).where(
            col(StockMessage.approved_sha256).in_(originals)
        )
    ).all():
        if stock_sha is not None:
            language_of.setdefault(stock_sha, stock_language)
    found: dict[str, Bulletin] = {}
    languages: dict[str, str] = {}
    for sha in wanted:
        original = sha if sha in by_audio or sha in language_of else renditions.get(sha) or ""
        bulletin = by_audio.get(original)
        if bulletin is not None:
            found[sha] = bulletin
        if original in language_of:
            languages[sha] = language_of[original]
    return _Sounds(found, languages)


def _emergency_order_id(item_id: str) -> int | None:
    digits = item_id.removeprefix("e")
    return int(digits) if item_id.startswith("e") and digits.isdigit() else None


class _Builder:
    def __init__(self, session: Session, scope: Scope, period: Period, zone: ZoneInfo, now: datetime) -> None:
        self.session = session
        self.scope = scope
        self.period = period
        self.zone = zone
        self.now = now
        self.window = _Window.of(period, zone)
        self.codes = [c.code for c in scope.communes]
        self.ids = [c.id for c in scope.communes if c.id is not None]
        self.by_id = {c.id: c for c in scope.communes}
        self.by_code = {c.code: c for c in scope.communes}
        self.fields = {f.code: f.name for f in session.exec(select(LegalField))}
        self.devices = self._devices()
        self.cluster_counts = Counter(d.commune_id for d in self.devices)
        self.dark = self._dark_days()

    def _devices(self) -> list[Device]:
        """Clusters of the scope that existed during the period (made before its end, not revoked before its start)."""
        return list(
            self.session.exec(
                select(Device)
                .where(
                    col(Device.commune_id).in_(self.ids),
                    col(Device.created_at) < self.window.end,
                    or_(col(Device.revoked_at).is_(None), col(Device.revoked_at) >= self.window.start),
                )
                .order_by(col(Device.code))
            )
        )

    # Content

    def content(self) -> tuple[list[ContentRow], list[ContentRow], list[ContentRow], int, int]:
        start, end = self.window.start, self.window.end
        owned: Any = col(Bulletin.commune_id).in_(self.ids)
        if self.scope.whole_province:
            owned = or_(
                owned, and_(col(Bulletin.commune_id).is_(None), col(Bulletin.province_id) == self.scope.province.id)
            )
        touched = or_(
            and_(col(Bulletin.created_at) >= start, col(Bulletin.created_at) < end),
            and_(col(Bulletin.reviewed_at) >= start, col(Bulletin.reviewed_at) < end),
        )
        rows = self.session.execute(
            sa_select(
                col(Bulletin.legal_field),
                col(Bulletin.language),
                col(Bulletin.commune_id),
                col(Bulletin.audio_source),
                col(Bulletin.status),
                col(Bulletin.created_at),
                col(Bulletin.reviewed_at),
            ).where(owned, touched)
        ).all()
        by_field: dict[str, ContentRow] = {
            code: ContentRow(key=code, label=name) for code, name in sorted(self.fields.items())
        }
        by_language = {k: ContentRow(key=k, label=v) for k, v in LANGUAGE_LABELS.items()}
        by_origin = {k: ContentRow(key=k, label=v) for k, v in ORIGIN_LABELS.items()}
        written = approved = 0
        for field, language, commune_id, audio_source, status, created_at, reviewed_at in rows:
            origin = (
                "province"
                if commune_id is None
                else "recording"
                if audio_source == AudioSource.RECORDING
                else "commune"
            )
            targets = [
                by_field.setdefault(field, ContentRow(key=field, label=field)),
                by_language.setdefault(language, ContentRow(key=language, label=language)),
                by_origin[origin],
            ]
            made = start <= created_at < end
            reviewed = reviewed_at is not None and start <= reviewed_at < end
            for row in targets:
                if made:
                    row.written += 1
                    if status != BulletinStatus.DRAFT:
                        row.submitted += 1
                if reviewed and status == BulletinStatus.APPROVED:
                    row.approved += 1
                if reviewed and status == BulletinStatus.REJECTED:
                    row.rejected += 1
            written += made
            approved += reviewed and status == BulletinStatus.APPROVED

        def kept(table: dict[str, ContentRow]) -> list[ContentRow]:
            return [r for r in table.values() if r.written or r.submitted or r.approved or r.rejected]

        return kept(by_field), list(by_language.values()), list(by_origin.values()), written, approved

    # Airing

    def _plays(self) -> Any:
        return (
            col(PlayRecord.commune_code).in_(self.codes),
            col(PlayRecord.flag_reason).is_(None),
        )

    def relays(self) -> tuple[list[RelayRow], set[str]]:
        """Relays of external streams that aired in the period, per source and in total (from `relay_day`), and
        the sounds (`stream_asset_sha256` of each source's URL) that were relays."""
        plays = self.session.execute(
            sa_select(
                col(RelayDay.asset_sha256),
                func.sum(RelayDay.slots),
                func.sum(RelayDay.relayed_ms),
                func.sum(RelayDay.interruptions),
            )
            .where(
                col(RelayDay.commune_code).in_(self.codes),
                col(RelayDay.day) >= self.period.first,
                col(RelayDay.day) <= self.period.last,
            )
            .group_by(col(RelayDay.asset_sha256))
        ).all()
        if not plays:
            return [], set()
        names = {stream_asset_sha256(url): name for name, url in self.session.exec(
            select(StreamSource.name, StreamSource.url)
        ).all()}  # fmt: skip
        by_source: dict[str, RelayRow] = {}
        for sha, slots, relayed_ms, interruptions in plays:
            name = names.get(sha, f"Nguồn đã xóa ({sha[:8]})")
            row = by_source.setdefault(name, RelayRow(source=name, slots=0, minutes=0.0, interruptions=0))
            row.slots += int(slots)
            row.minutes += int(relayed_ms) / 60_000
            row.interruptions += int(interruptions)
        rows = sorted(by_source.values(), key=lambda r: r.source)
        total = RelayRow(
            source=RELAY_TOTAL_LABEL,
            slots=sum(r.slots for r in rows),
            minutes=round(sum(r.minutes for r in rows), 1),
            interruptions=sum(r.interruptions for r in rows),
        )
        for row in rows:
            row.minutes = round(row.minutes, 1)
        return [*rows, total], {sha for sha, *_ in plays}

    def airing(
        self, *, with_missed: bool = True, relay_sounds: frozenset[str] | set[str] = frozenset()
    ) -> tuple[
        list[AiringByCommune], list[AiringRow], list[AiringRow], list[AiringRow], list[MissedRow], int, int, float, int
    ]:
        """From the daily roll-ups: plays and airtime by commune, priority, field and language; planned vs.
        aired; and (`with_missed`) why planned items never aired."""
        rolled = self.session.execute(
            sa_select(
                col(PlayDay.commune_code),
                col(PlayDay.asset_sha256),
                col(PlayDay.item_class),
                col(PlayDay.outcome),
                func.sum(PlayDay.plays),
                func.sum(PlayDay.seconds),
            )
            .where(
                col(PlayDay.commune_code).in_(self.codes),
                col(PlayDay.day) >= self.period.first,
                col(PlayDay.day) <= self.period.last,
            )
            .group_by(PlayDay.commune_code, PlayDay.asset_sha256, PlayDay.item_class, PlayDay.outcome)
        ).all()
        sounds = _sound_bulletins(self.session, {sha for _, sha, _, outcome, _, _ in rolled if outcome == "played"})
        by_priority = {k: AiringRow(key=k, label=v, plays=0, minutes=0.0) for k, v in PRIORITY_LABELS.items()}
        by_field: dict[str, AiringRow] = {}
        language_names = {
            **LANGUAGE_LABELS,
            **{code: name for code, name in self.session.exec(select(StockLanguage.code, StockLanguage.name_vi)).all()},
        }
        by_language = {k: AiringRow(key=k, label=v, plays=0, minutes=0.0) for k, v in sorted(language_names.items())}
        commune_plays: Counter[str] = Counter()
        commune_seconds: defaultdict[str, float] = defaultdict(float)
        aired: Counter[str] = Counter()
        failed_plays: Counter[str] = Counter()
        for commune_code, sha, kind, outcome, count, secs in rolled:
            if outcome == "failed":
                failed_plays[commune_code] += int(count)
            if outcome != "played":
                continue
            if kind not in UNPLANNED:
                aired[commune_code] += int(count)
            bulletin = sounds.get(sha)
            priority = "emergency" if kind == EMERGENCY else (bulletin.priority if bulletin is not None else "normal")
            if kind == LIVE:
                priority = LIVE  # live airtime, its own row: it skipped the written approval
            elif kind == ITEM and sha in relay_sounds:
                priority = RELAY  # a relay's airtime, its own row ("Tiếp sóng"), not "Thông thường" too
            field_key = bulletin.legal_field if bulletin is not None else ""
            # A relay is no bulletin nor a sound of ours: its own row by field and by language too.
            other = AIRING_LABELS[RELAY] if priority == RELAY else UNKNOWN_SOUND
            if priority == RELAY:
                field_key = RELAY
            field_row = by_field.setdefault(
                field_key,
                AiringRow(key=field_key, label=self.fields.get(field_key, other), plays=0, minutes=0.0),
            )
            language = RELAY if priority == RELAY else sounds.languages.get(sha, "")
            language_row = by_language.setdefault(
                language,
                AiringRow(key=language, label=language_names.get(language, other), plays=0, minutes=0.0),
            )
            for row in (
                by_priority.setdefault(
                    priority, AiringRow(key=priority, label=AIRING_LABELS.get(priority, priority), plays=0, minutes=0)
                ),
                field_row,
                language_row,
            ):
                row.plays += int(count)
                row.minutes += float(secs) / 60.0
            commune_plays[commune_code] += int(count)
            commune_seconds[commune_code] += float(secs)
        for row in (*by_priority.values(), *by_field.values(), *by_language.values()):
            row.minutes = round(row.minutes, 1)

        planned = self._planned()
        missed: list[MissedRow] = []
        if with_missed:
            outcomes = self._planned_outcomes()
            outcomes.aired = aired
            missed = self._missed(planned, outcomes)
        communes = []
        for commune in self.scope.communes:
            code = commune.code
            communes.append(
                AiringByCommune(
                    commune_code=code,
                    commune_name=commune.name,
                    planned=planned.total.get(commune.id or 0, 0),
                    aired=aired.get(code, 0),
                    aired_pct=_pct(aired.get(code, 0), planned.total.get(commune.id or 0, 0)),
                    plays=commune_plays.get(code, 0),
                    minutes=round(commune_seconds.get(code, 0.0) / 60.0, 1),
                    failed=failed_plays.get(code, 0),
                )
            )
        fields = sorted(by_field.values(), key=lambda r: (r.key == "", r.label))
        total_planned = sum(planned.total.values())
        minutes = round(sum(commune_seconds.values()) / 60.0, 1)
        languages = sorted(by_language.values(), key=lambda r: (r.key == "", r.key != "vi", r.key))
        return (
            communes,
            list(by_priority.values()),
            fields,
            languages,
            missed,
            total_planned,
            sum(aired.values()),
            minutes,
            sum(commune_plays.values()),
        )

    def _planned(self) -> _Planned:
        """Cluster-items planned to start in the period: an item's clusters, or every cluster its commune had
        in the period; from the planned-day roll-up and, for the last days, `published_item`
        (`reports.planned`). Emergencies' targets are read one by one (few)."""
        planned = _Planned()
        codes_of: dict[int, list[str]] = defaultdict(list)
        for device in self.devices:
            codes_of[device.commune_id].append(device.code)
        dark_days = {(d.commune_id, day) for d in self.devices if d.id in self.dark for day in self.dark[d.id]}
        dark_communes = {commune_id for commune_id, _ in dark_days}
        for commune_id, day, code, items in planned_counts(
            self.session, self.ids, self.period.first, self.period.last, self.zone
        ):
            if code == EVERY_CLUSTER:
                planned.total[commune_id] += items * self.cluster_counts.get(commune_id, 0)
                if (commune_id, day) in dark_days:
                    for cluster in codes_of.get(commune_id, []):
                        planned.by_cluster_day[(cluster, day)] += items
            else:
                planned.total[commune_id] += items
                if commune_id in dark_communes:
                    planned.by_cluster_day[(code, day)] += items
        orders = self.session.exec(
            select(EmergencyOrder.id).where(
                col(EmergencyOrder.commune_id).in_(self.ids),
                # An order is published within seconds of being issued; a day's margin for the period's edge.
                col(EmergencyOrder.issued_at) >= self.window.start - timedelta(days=1),
                col(EmergencyOrder.issued_at) < self.window.end,
            )
        ).all()
        if orders:
            for commune_id, item_id, listed in self.session.execute(
                sa_select(col(PublishedItem.commune_id), col(PublishedItem.item_id), col(PublishedItem.clusters))
                .where(
                    col(PublishedItem.commune_id).in_(self.ids),
                    col(PublishedItem.item_id).in_([f"e{order_id}" for order_id in orders]),
                    col(PublishedItem.starts_at) >= self.window.start,
                    col(PublishedItem.starts_at) < self.window.end,
                )
                .order_by(col(PublishedItem.id))
            ).all():
                targets = listed if listed is not None else codes_of.get(commune_id, [])
                planned.emergency_targets[(commune_id, item_id)] = len(targets)
        return planned

    def _planned_outcomes(self) -> _Outcomes:
        """Planned cluster-items reported but never played whole, by their best outcome (from the roll-up of
        those items, `reports.rollup.UnplayedItem`)."""
        outcomes = _Outcomes()
        # A failure outranks an interruption: the item never played whole.
        for code, failures, interruptions in self.session.execute(
            sa_select(
                col(UnplayedItem.commune_code),
                func.sum(case((col(UnplayedItem.failed), 1), else_=0)),
                func.sum(case((col(UnplayedItem.failed), 0), else_=1)),
            )
            .where(
                col(UnplayedItem.commune_code).in_(self.codes),
                col(UnplayedItem.day) >= self.period.first,
                col(UnplayedItem.day) <= self.period.last,
            )
            .group_by(col(UnplayedItem.commune_code))
        ).all():
            outcomes.unplayed[code]["failed"] += int(failures)
            outcomes.unplayed[code]["interrupted"] += int(interruptions)
        outcomes.reported_keys = self._reported_on_dark_days()
        return outcomes

    def _dark_days(self) -> dict[int, set[date]]:
        """Days of the period on which a cluster was never up: a day rolled up with no uptime, or a day with
        no roll-up since the cluster was registered (it never connected). Today is not over: never dark.

        Zero days are read as such; only clusters missing some day's row have all their days read."""
        yesterday = self.now.astimezone(self.zone).date() - timedelta(days=1)
        last = min(self.period.last, yesterday)
        dark: dict[int, set[date]] = defaultdict(set)
        if last < self.period.first:
            return dark
        ids = [d.id for d in self.devices]
        in_period = (
            col(UptimeDay.device_id).in_(ids),
            col(UptimeDay.day) >= self.period.first,
            col(UptimeDay.day) <= last,
        )
        for device_id, day in self.session.execute(
            sa_select(col(UptimeDay.device_id), col(UptimeDay.day)).where(*in_period, col(UptimeDay.up_s) <= 0)
        ).all():
            dark[device_id].add(day)
        rows = dict(
            self.session.execute(
                sa_select(col(UptimeDay.device_id), func.count()).where(*in_period).group_by(col(UptimeDay.device_id))
            ).all()
        )
        missing: dict[int, tuple[date, int]] = {}
        for device in self.devices:
            assert device.id is not None
            since = max(self.period.first, device.created_at.astimezone(self.zone).date())
            expected = (last - since).days + 1
            if expected > 0 and rows.get(device.id, 0) < expected:
                missing[device.id] = (since, expected)
        recorded: defaultdict[int, set[date]] = defaultdict(set)
        ids_missing = sorted(missing)
        # The recorded days of the clusters that miss some (one query per 500 clusters, not one per cluster).
        for begin in range(0, len(ids_missing), 500):
            for device_id, day in self.session.execute(
                sa_select(col(UptimeDay.device_id), col(UptimeDay.day)).where(
                    col(UptimeDay.device_id).in_(ids_missing[begin : begin + 500]), *in_period[1:]
                )
            ).all():
                recorded[device_id].add(day)
        for device_id, (since, expected) in missing.items():
            dark[device_id] |= {since + timedelta(days=n) for n in range(expected)} - recorded[device_id]
        return {device_id: days for device_id, days in dark.items() if days}

    def _reported_on_dark_days(self) -> Counter[tuple[str, date]]:
        """Reports of planned items (any outcome), on days their cluster was never up (by cluster code, day):
        from the per-cluster roll-up (a cluster plays offline and reports when it is back)."""
        counted: Counter[tuple[str, date]] = Counter()
        code_of = {d.id: d.code for d in self.devices}
        pairs = sorted((device_id, day) for device_id, days in self.dark.items() for day in days)
        # The dark days only (a few in a hundred), by their place in cluster_day's unique key.
        for begin in range(0, len(pairs), 500):
            for device_id, day, plays in self.session.execute(
                sa_select(col(ClusterDay.device_id), col(ClusterDay.day), func.sum(ClusterDay.plays))
                .where(
                    tuple_(col(ClusterDay.device_id), col(ClusterDay.day)).in_(pairs[begin : begin + 500]),
                    col(ClusterDay.item_class).not_in(UNPLANNED),
                )
                .group_by(col(ClusterDay.device_id), col(ClusterDay.day))
            ).all():
                counted[(code_of[device_id], day)] += int(plays)
        return counted

    def _missed(self, planned: _Planned, outcomes: _Outcomes) -> list[MissedRow]:
        """Planned cluster-items that never played, by the likeliest reason (see docs/reports.md)."""
        counts: Counter[str] = Counter()
        for by_reason in outcomes.unplayed.values():
            counts.update(by_reason)
        cancelled = self._cancelled_unplayed(planned)
        counts["cancelled"] += cancelled
        code_device = {d.code: d.id for d in self.devices}
        offline = 0
        for (code, day), count in planned.by_cluster_day.items():
            device_id = code_device.get(code)
            if device_id is not None and day in self.dark.get(device_id, set()):
                offline += max(0, count - outcomes.reported_keys.get((code, day), 0))
        total_planned = sum(planned.total.values())
        total_aired = sum(outcomes.aired.values())
        unreported = max(0, total_planned - total_aired - counts["failed"] - counts["interrupted"])
        counts["cancelled"] = min(counts["cancelled"], unreported)
        counts["offline"] = min(offline, unreported - counts["cancelled"])
        counts["no_report"] = unreported - counts["cancelled"] - counts["offline"]
        return [MissedRow(reason=k, label=v, count=counts[k]) for k, v in MISSED_LABELS.items()]

    def _cancelled_unplayed(self, planned: _Planned) -> int:
        """Planned cluster-items of emergencies cancelled before they reached those clusters."""
        orders = [oid for _, item in planned.emergency_targets for oid in [_emergency_order_id(item)] if oid]
        if not orders:
            return 0
        cancelled = {
            order.id
            for order in self.session.exec(
                select(EmergencyOrder).where(
                    col(EmergencyOrder.id).in_(orders), col(EmergencyOrder.cancelled_at).is_not(None)
                )
            )
        }
        total = 0
        for (commune_id, item_id), targets in planned.emergency_targets.items():
            if _emergency_order_id(item_id) not in cancelled:
                continue
            reported = self.session.exec(
                select(func.count(distinct(col(PlayRecord.device_id)))).where(
                    PlayRecord.commune_code == self.by_id[commune_id].code,
                    PlayRecord.item_id == item_id,
                    col(PlayRecord.flag_reason).is_(None),
                )
            ).one()
            total += max(0, targets - int(reported))
        return total

    def emergencies(self) -> list[EmergencyRow]:
        orders = list(
            self.session.exec(
                select(EmergencyOrder)
                .where(
                    col(EmergencyOrder.commune_id).in_(self.ids),
                    col(EmergencyOrder.issued_at) >= self.window.start,
                    col(EmergencyOrder.issued_at) < self.window.end,
                )
                .order_by(col(EmergencyOrder.issued_at), col(EmergencyOrder.id))
            )
        )
        if not orders:
            return []
        items = [f"e{o.id}" for o in orders]
        on_air = {
            (code, item): (first, clusters)
            for code, item, first, clusters in self.session.exec(
                select(
                    PlayRecord.commune_code,
                    PlayRecord.item_id,
                    func.min(PlayRecord.started_at),
                    func.count(distinct(col(PlayRecord.device_id))),
                )
                .where(
                    *self._plays(),
                    col(PlayRecord.item_id).in_(items),
                    col(PlayRecord.outcome).in_(["played", "interrupted"]),
                )
                .group_by(PlayRecord.commune_code, PlayRecord.item_id)
            ).all()
        }
        titles = dict(
            self.session.exec(
                select(Bulletin.id, Bulletin.title).where(col(Bulletin.id).in_({o.bulletin_id for o in orders}))
            ).all()
        )
        stock_titles: dict[tuple[str | None, str | None], str] = {
            (key, language): title
            for key, language, title in self.session.exec(
                select(StockMessage.key, StockMessage.language, StockMessage.approved_title).where(
                    col(StockMessage.key).in_({o.stock_key for o in orders if o.stock_key is not None})
                )
            ).all()
        }
        rows = []
        for order in orders:
            commune = self.by_id[order.commune_id]
            first, aired = on_air.get((commune.code, f"e{order.id}"), (None, 0))
            if first is not None and first.tzinfo is None:
                first = first.replace(tzinfo=UTC)
            rows.append(
                EmergencyRow(
                    order_id=order.id or 0,
                    commune_code=commune.code,
                    title=titles.get(order.bulletin_id, "")
                    if order.bulletin_id is not None
                    else stock_titles.get((order.stock_key, order.stock_language), order.stock_key or ""),
                    issued_at=order.issued_at,
                    first_on_air=first,
                    seconds_to_air=round((first - order.issued_at).total_seconds(), 1) if first is not None else None,
                    clusters_targeted=len(order.clusters)
                    if order.clusters is not None
                    else self.cluster_counts.get(order.commune_id, 0),
                    clusters_aired=int(aired),
                    cancelled=order.cancelled_at is not None,
                )
            )
        return rows

    def reach(self) -> list[ReachRow]:
        """Each province bulletin that aired in the scope: per commune, the share of its clusters that aired it."""
        start, end = self.window.start, self.window.end
        province_bulletins = {
            b.id: b
            for b in self.session.exec(
                select(Bulletin).where(
                    col(Bulletin.commune_id).is_(None),
                    Bulletin.province_id == self.scope.province.id,
                    col(Bulletin.audio_sha256).is_not(None),
                )
            )
        }
        if not province_bulletins:
            return []
        shas = {b.audio_sha256 for b in province_bulletins.values() if b.audio_sha256}
        renditions = dict(
            self.session.exec(
                select(AudioAsset.mp3_sha256, AudioAsset.sha256).where(col(AudioAsset.sha256).in_(shas))
            ).all()
        )
        sound_of = {sha: sha for sha in shas} | {mp3: sha for mp3, sha in renditions.items() if mp3}
        # From the roll-up of each sound's first and last play on each cluster (reports.rollup): a cluster
        # counts when it played the sound between the period's start and end.
        aired = self.session.exec(
            select(SoundReach.asset_sha256, SoundReach.device_id).where(
                col(SoundReach.asset_sha256).in_(list(sound_of)),
                col(SoundReach.device_id).in_([d.id for d in self.devices]),
                col(SoundReach.first_at) < end,
                col(SoundReach.last_at) >= start,
            )
        ).all()
        code_of = {d.id: self.by_id[d.commune_id].code for d in self.devices}
        clusters_aired: dict[tuple[str, str], set[int]] = defaultdict(set)
        for sha, device_id in aired:
            clusters_aired[(sound_of[sha], code_of[device_id])].add(device_id)
        rows = []
        for bulletin in sorted(province_bulletins.values(), key=lambda b: b.id or 0):
            sha = bulletin.audio_sha256 or ""
            if not any(key[0] == sha for key in clusters_aired):
                continue
            for commune in self.scope.communes:
                clusters = self.cluster_counts.get(commune.id or 0, 0)
                count = len(clusters_aired.get((sha, commune.code), set()))
                rows.append(
                    ReachRow(
                        bulletin_id=bulletin.id or 0,
                        title=bulletin.title,
                        commune_code=commune.code,
                        commune_name=commune.name,
                        clusters=clusters,
                        clusters_aired=count,
                        share_pct=_pct(count, clusters),
                    )
                )
        return rows

    # The system

    def system(self, working_uptime_pct: float) -> tuple[list[ClusterRow], list[CommuneSystemRow], float | None, int]:
        ids = [d.id for d in self.devices]
        up = Counter(
            dict(
                self.session.exec(
                    select(UptimeDay.device_id, func.sum(UptimeDay.up_s))
                    .where(
                        col(UptimeDay.device_id).in_(ids),
                        col(UptimeDay.day) >= self.period.first,
                        col(UptimeDay.day) <= self.period.last,
                    )
                    .group_by(col(UptimeDay.device_id))
                ).all()
            )
        )
        failed = Counter(
            dict(
                self.session.execute(
                    sa_select(col(ClusterDay.device_id), func.sum(ClusterDay.plays))
                    .where(
                        col(ClusterDay.device_id).in_(ids),
                        col(ClusterDay.day) >= self.period.first,
                        col(ClusterDay.day) <= self.period.last,
                        col(ClusterDay.outcome) == "failed",
                    )
                    .group_by(col(ClusterDay.device_id))
                ).all()
            )
        )
        clusters = []
        working: Counter[int] = Counter()
        shares = []
        for device in self.devices:
            assert device.id is not None
            since = max(self.window.start, device.created_at)
            until = min(self.window.end, self.now)
            if device.revoked_at is not None:
                until = min(until, device.revoked_at)
            span = (until - since).total_seconds()
            share = min(100.0, round(100.0 * int(up.get(device.id, 0)) / span, 1)) if span > 0 else None
            if share is not None:
                shares.append(share)
                if share >= working_uptime_pct:
                    working[device.commune_id] += 1
            clusters.append(
                ClusterRow(
                    code=device.code,
                    name=device.name,
                    commune_code=self.by_id[device.commune_id].code,
                    uptime_pct=share,
                    failed_plays=failed.get(device.id, 0),
                )
            )
        communes = [
            CommuneSystemRow(
                commune_code=c.code,
                commune_name=c.name,
                clusters=self.cluster_counts.get(c.id or 0, 0),
                working=working.get(c.id or 0, 0),
                working_pct=_pct(working.get(c.id or 0, 0), self.cluster_counts.get(c.id or 0, 0)),
            )
            for c in self.scope.communes
        ]
        mean = round(sum(shares) / len(shares), 1) if shares else None
        return clusters, communes, mean, sum(failed.values())

    def alerts(self) -> list[AlertRow]:
        rows = self.session.exec(
            select(Alert.kind, Alert.opened_at, Alert.acknowledged_at).where(
                col(Alert.commune_id).in_(self.ids),
                col(Alert.opened_at) >= self.window.start,
                col(Alert.opened_at) < self.window.end,
            )
        ).all()
        table: dict[str, list[float | None]] = defaultdict(list)
        for kind, opened_at, acknowledged_at in rows:
            table[kind].append(
                (acknowledged_at - opened_at).total_seconds() / 60.0 if acknowledged_at is not None else None
            )
        result = []
        for kind in sorted(table):
            waits = [w for w in table[kind] if w is not None]
            result.append(
                AlertRow(
                    kind=kind,
                    label=ALERT_LABELS.get(kind, kind),
                    opened=len(table[kind]),
                    acknowledged=len(waits),
                    mean_minutes_to_ack=round(sum(waits) / len(waits), 1) if waits else None,
                )
            )
        return result


@dataclass
class _Planned:
    total: Counter[int]
    by_cluster_day: Counter[tuple[str, date]]
    emergency_targets: dict[tuple[int, str], int]

    def __init__(self) -> None:
        self.total = Counter()
        self.by_cluster_day = Counter()
        self.emergency_targets = {}


@dataclass
class _Outcomes:
    aired: Counter[str]
    unplayed: defaultdict[str, Counter[str]]
    reported_keys: Counter[tuple[str, date]]

    def __init__(self) -> None:
        self.aired = Counter()
        self.unplayed = defaultdict(Counter)
        self.reported_keys = Counter()


@dataclass(frozen=True)
class _Sections:
    totals: Totals
    content: tuple[list[ContentRow], list[ContentRow], list[ContentRow]]
    airing: tuple[list[AiringByCommune], list[AiringRow], list[AiringRow], list[AiringRow], list[MissedRow]]
    relays: list[RelayRow]
    emergencies: list[EmergencyRow]
    reach: list[ReachRow]
    system: tuple[list[ClusterRow], list[CommuneSystemRow]]
    alerts: list[AlertRow]


def _sections(
    session: Session,
    scope: Scope,
    period: Period,
    zone: ZoneInfo,
    now: datetime,
    working_uptime_pct: float,
    *,
    totals_only: bool = False,
) -> _Sections:
    """Every table of the period, or (`totals_only`, for the previous period beside a report) what its
    headline figures need."""
    builder = _Builder(session, scope, period, zone, now)
    by_field, by_language, by_origin, written, approved = builder.content()
    relays, relay_sounds = builder.relays()
    communes, by_priority, airing_fields, airing_languages, missed, planned, aired, minutes, plays = builder.airing(
        with_missed=not totals_only, relay_sounds=relay_sounds
    )
    emergencies = builder.emergencies()
    clusters, commune_system, mean_uptime, failed = builder.system(working_uptime_pct)
    alerts = builder.alerts()
    totals = Totals(
        bulletins_written=written,
        bulletins_approved=approved,
        planned=planned,
        aired=aired,
        aired_pct=_pct(aired, planned),
        plays=plays,
        airtime_minutes=minutes,
        emergencies=len(emergencies),
        clusters=len(builder.devices),
        mean_uptime_pct=mean_uptime,
        failed_plays=failed,
        alerts=sum(a.opened for a in alerts),
    )
    return _Sections(
        totals=totals,
        content=(by_field, by_language, by_origin),
        airing=(communes, by_priority, airing_fields, airing_languages, missed),
        relays=relays,
        emergencies=emergencies,
        reach=[] if totals_only else builder.reach(),
        system=(clusters, commune_system),
        alerts=alerts,
    )


def _netstrings(values: Iterable[str]) -> bytes:
    encoded = [v.encode() for v in values]
    return b"".join(b"%d:%s," % (len(e), e) for e in encoded)


def seal_heads(heads: Iterable[DayHeadRow]) -> str:
    """One hash over day heads (commune, day, plays, head, in that order): what a printed report carries so
    that its as-run log can be checked later (docs/reports.md, "Checking a report")."""
    fields = ["loaxa-report-seal/1"]
    for head in heads:
        fields += [head.commune_code, head.day.isoformat(), str(head.plays), head.head_sha256]
    return hashlib.sha256(_netstrings(fields)).hexdigest()


def build_report(
    session: Session,
    scope: Scope,
    period: Period,
    *,
    zone: ZoneInfo,
    now: datetime,
    working_uptime_pct: float,
) -> PeriodReport:
    """The report of the scope for the period, with the previous period of the same length beside it."""
    current = _sections(session, scope, period, zone, now, working_uptime_pct)
    previous_period = period.previous()
    previous = _sections(session, scope, previous_period, zone, now, working_uptime_pct, totals_only=True).totals
    by_field, by_language, by_origin = current.content
    communes, by_priority, airing_fields, airing_languages, missed = current.airing
    clusters, commune_system = current.system
    heads = [
        DayHeadRow(commune_code=h.commune_code, day=h.day, plays=h.plays, head_sha256=h.head_sha256)
        for h in day_heads(session, [c.code for c in scope.communes], period.first, period.last)
    ]
    by_commune: dict[str, list[DayHeadRow]] = defaultdict(list)
    for head in heads:
        by_commune[head.commune_code].append(head)
    seals = [
        CommuneSeal(commune_code=c.code, days=len(by_commune[c.code]), seal_sha256=seal_heads(by_commune[c.code]))
        for c in scope.communes
    ]
    return PeriodReport(
        province_code=scope.province.code,
        province_name=scope.province.name,
        scope_label=scope.label,
        commune_codes=[c.code for c in scope.communes],
        first=period.first,
        last=period.last,
        generated_at=now,
        totals=current.totals,
        previous_first=previous_period.first,
        previous_last=previous_period.last,
        comparison=compare(current.totals, previous),
        content_by_field=by_field,
        content_by_language=by_language,
        content_by_origin=by_origin,
        airing_by_commune=communes,
        airing_by_priority=by_priority,
        airing_by_field=airing_fields,
        airing_by_language=airing_languages,
        missed=missed,
        relays=current.relays,
        emergencies=current.emergencies,
        reach=current.reach,
        clusters=clusters,
        communes=commune_system,
        alerts=current.alerts,
        day_heads=heads,
        commune_seals=seals,
        as_run_seal=seal_heads(heads),
        as_run_days=len(heads),
    )
