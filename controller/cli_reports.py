"""`loaxa report period|as-run|verify|seal`: reports and the as-run log from the controller's host, straight
from the database."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from audio_library.errors import LoaxaError
from controller.db import make_engine, session_factory
from controller.reports import letterhead
from controller.settings import Settings
from devices.registry import Province, get_commune, get_province, province_communes
from reports import (
    Period,
    PlaySealer,
    Scope,
    as_run_csv,
    as_run_rows,
    build_report,
    day_heads,
    report_csv,
    report_pdf,
    report_xlsx,
    seal_heads,
    verify_day,
)
from reports.period_report import DayHeadRow


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a day (YYYY-MM-DD): {text}") from exc


def cmd_as_run(args: argparse.Namespace, settings: Settings) -> int:
    zone = ZoneInfo(settings.scheduler.timezone)
    engine = make_engine(settings.database)
    sessions = session_factory(engine)
    try:
        PlaySealer(sessions, settings.reports, zone).seal_once()  # what the nodes reported up to now
        with sessions() as session:
            period = Period.checked(args.from_day, args.to_day, today=datetime.now(zone).date())
            if args.commune:
                codes = [get_commune(session, args.commune).code]
            else:
                codes = [c.code for c in province_communes(session, get_province(session, args.province))]
            rows = as_run_rows(session, codes, period.first, period.last, batch=settings.reports.stream_batch)
            out = open(args.out, "wb") if args.out else sys.stdout.buffer  # noqa: SIM115
            try:
                for chunk in as_run_csv(rows, zone):
                    out.write(chunk)
            finally:
                if args.out:
                    out.close()
    except LoaxaError as exc:  # a bad period, an unknown commune or province
        print(f"loaxa: {exc.message_vi} ({exc.detail})", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return 0


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 when the day's chain is intact (and ends at `--head`, the head a filed report printed)."""
    engine = make_engine(settings.database)
    try:
        with session_factory(engine)() as session:
            check = verify_day(session, get_commune(session, args.commune).code, args.day)
    finally:
        engine.dispose()
    print(f"{check.commune_code}\t{check.day}\t{check.plays} lượt phát\t{check.head_sha256}")
    if not check.intact:
        print(f"Chuỗi bị sửa: mắt xích {check.broken_at} không còn khớp với bản đã niêm phong.")
        return 1
    if args.head and args.head.lower() != check.head_sha256:
        print("Mã cuối ngày khác với mã trong báo cáo đã nộp: dữ liệu đã thay đổi sau khi lập báo cáo.")
        return 1
    print("Khớp.")
    return 0


def _scope(session: Session, args: argparse.Namespace) -> Scope:
    if args.commune:
        commune = get_commune(session, args.commune)
        province = session.get(Province, commune.province_id)
        assert province is not None
        return Scope(province, (commune,), whole_province=False)
    province = get_province(session, args.province)
    communes = sorted(province_communes(session, province), key=lambda c: c.code)
    return Scope(province, tuple(communes), whole_province=True)


def cmd_period(args: argparse.Namespace, settings: Settings) -> int:
    """A period report of a commune or the whole province, as JSON, XLSX, CSV or PDF."""
    zone = ZoneInfo(settings.scheduler.timezone)
    engine = make_engine(settings.database)
    sessions = session_factory(engine)
    try:
        PlaySealer(sessions, settings.reports, zone).seal_once()
        with sessions() as session:
            now = datetime.now(zone)
            period = Period.checked(args.from_day, args.to_day, today=now.date())
            scope = _scope(session, args)
            report = build_report(
                session, scope, period, zone=zone, now=now, working_uptime_pct=settings.reports.working_uptime_pct
            )
    except LoaxaError as exc:  # a bad period, an unknown commune or province
        print(f"loaxa: {exc.message_vi} ({exc.detail})", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    if args.format == "json":
        data = report.model_dump_json(indent=2).encode()
    elif args.format == "xlsx":
        data = report_xlsx(report, zone)
    elif args.format == "csv":
        data = report_csv(report, zone)
    else:
        data = report_pdf(report, letterhead(scope, number=args.number, signer_name=args.signer), zone)
    if args.out:
        args.out.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    return 0


def cmd_seal(args: argparse.Namespace, settings: Settings) -> int:
    """Recompute every day's chain of the period and the seal a filed report printed over their heads."""
    zone = ZoneInfo(settings.scheduler.timezone)
    engine = make_engine(settings.database)
    try:
        with session_factory(engine)() as session:
            period = Period.checked(args.from_day, args.to_day, today=datetime.now(zone).date())
            scope = _scope(session, args)
            codes = [c.code for c in scope.communes]
            heads = day_heads(session, codes, period.first, period.last)
            broken = [
                (h.commune_code, h.day, check.broken_at)
                for h in heads
                for check in [verify_day(session, h.commune_code, h.day)]
                if not check.intact
            ]
    except LoaxaError as exc:  # a bad period, an unknown commune or province
        print(f"loaxa: {exc.message_vi} ({exc.detail})", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    seal = seal_heads(
        DayHeadRow(commune_code=h.commune_code, day=h.day, plays=h.plays, head_sha256=h.head_sha256) for h in heads
    )
    print(f"{len(heads)} ngày có lượt phát\t{seal}")
    for commune_code, day, seq in broken:
        print(f"Chuỗi bị sửa: {commune_code} ngày {day}, mắt xích {seq} không còn khớp với bản đã niêm phong.")
    if broken:
        return 1
    if args.expect and args.expect.lower() != seal:
        print("Mã kiểm tra khác với mã trong báo cáo đã nộp: nhật ký phát đã thay đổi sau khi lập báo cáo.")
        return 1
    print("Khớp.")
    return 0


def _where(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--commune")
    where.add_argument("--province")
    parser.add_argument("--from", dest="from_day", type=_day, required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="to_day", type=_day, required=True, help="last day, YYYY-MM-DD")


def add_report_commands(sub: Any) -> None:
    report = sub.add_parser("report", help="reports and the as-run log (docs/reports.md)")
    report_sub = report.add_subparsers(dest="report_command", required=True)
    as_run = report_sub.add_parser("as-run", help="every play of a commune or province, as CSV")
    where = as_run.add_mutually_exclusive_group(required=True)
    where.add_argument("--commune")
    where.add_argument("--province")
    as_run.add_argument("--from", dest="from_day", type=_day, required=True, help="first day, YYYY-MM-DD")
    as_run.add_argument("--to", dest="to_day", type=_day, required=True, help="last day, YYYY-MM-DD")
    as_run.add_argument("--out", type=Path, help="file to write (default: standard output)")
    as_run.set_defaults(func=cmd_as_run)
    verify = report_sub.add_parser("verify", help="recompute a day's chain and compare it with a filed head")
    verify.add_argument("--commune", required=True)
    verify.add_argument("--day", type=_day, required=True)
    verify.add_argument("--head", help="the day's head as a filed report printed it")
    verify.set_defaults(func=cmd_verify)
    period = report_sub.add_parser("period", help="a period report of a commune or the province")
    _where(period)
    period.add_argument("--format", choices=["json", "xlsx", "csv", "pdf"], default="json")
    period.add_argument("--out", type=Path, help="file to write (default: standard output)")
    period.add_argument("--number", help="PDF: the report's number, e.g. 12/BC-UBND")
    period.add_argument("--signer", help="PDF: the name under the signature block")
    period.set_defaults(func=cmd_period)
    seal = report_sub.add_parser("seal", help="check a period's as-run log against the seal a report printed")
    _where(seal)
    seal.add_argument("--expect", help="the seal as the filed report printed it")
    seal.set_defaults(func=cmd_seal)
