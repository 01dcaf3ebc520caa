"""Wiring reports (`reports`) into the controller: the as-run sealer, who may report on which communes, and
the letterhead a report is issued under."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from controller import audit
from controller.accounts import User, commune_scope
from controller.bulletin_scope import require_province
from controller.deps import require_commune
from controller.errors import OutOfScope
from controller.services import Services
from devices.registry import Commune, Province
from province_link import enqueue
from reports import (
    Letterhead,
    Period,
    PeriodReport,
    PlaySealer,
    Scope,
    build_report,
    report_csv,
    report_pdf,
    report_xlsx,
)
from reports.filing import FiledReport, ReportFiler


def start_play_sealer(services: Services) -> PlaySealer:
    zone = ZoneInfo(services.settings.scheduler.timezone)
    sealer = PlaySealer(services.sessions, services.settings.reports, zone)
    sealer.start()
    return sealer


def start_report_filer(services: Services) -> ReportFiler:
    zone = ZoneInfo(services.settings.scheduler.timezone)
    filer = ReportFiler(
        services.sessions, services.settings.reports, zone, sealer=services.sealer, on_filed=send_filed_report
    )
    filer.start()
    return filer


def communes_in_scope(session: Session, user: User, province: Province | None, commune: Commune | None) -> list[str]:
    """The commune codes a report covers: the one commune, or the province's communes the user may see."""
    if commune is not None:
        return [commune.code]
    assert province is not None
    scope = commune_scope(session, user)
    query = select(Commune).where(Commune.province_id == province.id).order_by(col(Commune.code))
    return [c.code for c in session.exec(query) if scope is None or c.id in scope]


def report_scope(session: Session, user: User, province: Province, commune_codes: list[str] | None) -> Scope:
    """The province's communes the user may see, or those of `commune_codes` (each must be in scope)."""
    visible = communes_in_scope(session, user, province, None)
    if commune_codes is None:
        chosen = visible
    else:
        unknown = sorted(set(commune_codes) - set(visible))
        if unknown:
            raise OutOfScope(
                f"user {user.username} may not report on {unknown}",
                message_vi=f"Bạn không phụ trách xã {', '.join(unknown)} của {province.name}, hoặc xã không tồn tại.",
            )
        chosen = sorted(set(commune_codes))
    communes = session.exec(select(Commune).where(col(Commune.code).in_(chosen)).order_by(col(Commune.code))).all()
    return Scope(province, tuple(communes), whole_province=commune_codes is None)


def commune_report_scope(session: Session, commune: Commune) -> Scope:
    province = session.get(Province, commune.province_id)
    assert province is not None
    return Scope(province, (commune,), whole_province=False)


def letterhead(scope: Scope, *, number: str | None, signer_name: str | None) -> Letterhead:
    """The issuing body: the commune's People's Committee for one commune, the province's otherwise."""
    body = scope.communes[0].name if len(scope.communes) == 1 and not scope.whole_province else scope.province.name
    place = scope.province.name.removeprefix("Tỉnh ").removeprefix("Thành phố ")
    return Letterhead(
        issuer_lines=("ỦY BAN NHÂN DÂN", body.upper()),
        place=place,
        number=number or Letterhead.number,
        signer_name=signer_name or "",
    )


MEDIA_TYPES: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class Download:
    body: bytes
    media_type: str
    headers: dict[str, str]


def build_period_report(session: Session, services: Services, scope: Scope, first: date, last: date) -> PeriodReport:
    """The scope's report for the days `first`..`last`, or InvalidPeriod with the reason in Vietnamese.

    What the nodes reported up to now is sealed (and rolled up) first, so the figures count it.
    """
    zone = ZoneInfo(services.settings.scheduler.timezone)
    now = datetime.now(zone)
    period = Period.checked(first, last, today=now.date())
    seal_waiting_plays(services)
    return build_report(
        session, scope, period, zone=zone, now=now, working_uptime_pct=services.settings.reports.working_uptime_pct
    )


def report_target(scope: Scope) -> str:
    """The audit target (and file name part) of a report: one commune, or the province."""
    if not scope.whole_province and len(scope.communes) == 1:
        return f"commune:{scope.communes[0].code}"
    return f"province:{scope.province.code}"


def report_file(
    session: Session,
    services: Services,
    user: User,
    scope: Scope,
    report: PeriodReport,
    fmt: str,
    *,
    number: str | None,
    signer: str | None,
    filed: FiledReport | None = None,
) -> Download:
    """The report as a file to download (XLSX, CSV or PDF), audited as `report.download`; commits. A filed
    report's file is drawn from its figures as filed, and named with its version."""
    zone = ZoneInfo(services.settings.scheduler.timezone)
    if fmt == "xlsx":
        body = report_xlsx(report, zone)
    elif fmt == "csv":
        body = report_csv(report, zone)
    else:
        body = report_pdf(report, letterhead(scope, number=number, signer_name=signer), zone)
    target = report_target(scope)
    version = f" filed {filed.id} v{filed.version}" if filed is not None else ""
    audit.record(session, user, "report.download", target, f"{report.first}..{report.last}{version} {fmt}")
    session.commit()
    suffix = f"_v{filed.version}" if filed is not None else ""
    name = f"bao-cao_{target.replace(':', '-')}_{report.first}_{report.last}{suffix}.{fmt}"
    return Download(body, MEDIA_TYPES[fmt], {"Content-Disposition": f'attachment; filename="{name}"'})


def filed_report_scope(session: Session, user: User, filed: FiledReport) -> Scope:
    """A filed report's scope, if the user may see it (its commune, or its province for province staff)."""
    province = session.get(Province, filed.province_id)
    assert province is not None
    if filed.commune_id is None:
        require_province(user, province)
        return report_scope(session, user, province, None)
    commune = session.get(Commune, filed.commune_id)
    assert commune is not None
    require_commune(session, user, commune)
    return commune_report_scope(session, commune)


def seal_waiting_plays(services: Services) -> None:
    """Seal the plays the sealer has not reached yet (it runs every `seal_interval_s`, on the leader).

    An instance that does not lead seals them too: sealing is safe beside the leader's sealer (the one
    whose commit comes second stops its round on the chain's unique place, `reports.sealer`).
    """
    sealer = services.sealer
    if sealer is None:
        zone = ZoneInfo(services.settings.scheduler.timezone)
        sealer = PlaySealer(services.sessions, services.settings.reports, zone)
    sealer.seal_once()


def send_filed_report(session: Session, filed: FiledReport) -> None:
    """Queue a filed report for the province's source systems (results out, kind `period_report`), in the
    filing's transaction: its headline figures, what changed since the last version, and the as-run seal."""
    report = filed.report()
    payload = {
        "scope": filed.scope_key,
        "period": filed.kind,
        "first": filed.first.isoformat(),
        "last": filed.last.isoformat(),
        "version": filed.version,
        "generated_at": filed.generated_at.isoformat(),
        "as_run_seal": filed.as_run_seal,
        "totals": report.totals.model_dump(),
        "airing_by_commune": [row.model_dump() for row in report.airing_by_commune],
        "changes": filed.changes,
    }
    key = f"report:{filed.scope_key}:{filed.first}:{filed.last}:v{filed.version}"
    enqueue(session, filed.province_id, "period_report", key, payload, now=filed.generated_at)
