"""`loaxa report as-run|verify`: the as-run log from the controller's host, straight from the database."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from controller.db import make_engine, session_factory
from controller.settings import Settings
from devices.registry import get_commune, get_province, province_communes
from reports import Period, PlaySealer, ReportError, as_run_csv, as_run_rows, verify_day


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
    except ReportError as exc:
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
