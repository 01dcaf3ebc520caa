"""`loaxa cap ...`: the places CAP alerts name (communes' administrative unit codes, codes that stand for
several communes), a source's CAP settings, and the alerts received; straight from the database, audited
as done by the command line."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from controller import audit
from controller.settings import Settings


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    from controller.db import make_engine, session_factory

    engine = make_engine(settings.database)
    try:
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def cmd_admin_code(args: argparse.Namespace, settings: Settings) -> int:
    from controller.errors import Conflict
    from devices.registry import Commune, get_commune

    with _session(settings) as session:
        commune = get_commune(session, args.commune)
        code = None if args.clear else args.code
        if code is not None:
            other = session.exec(select(Commune).where(Commune.admin_code == code)).first()
            if other is not None and other.id != commune.id:
                raise Conflict(f"{code} is {other.code}'s", message_vi=f"Mã {code} đã là mã của {other.name}.")
        commune.admin_code = code
        session.add(commune)
        audit.record(session, None, "commune.admin_code", f"commune:{commune.code}", code or "cleared")
        session.commit()
    print(f"{args.commune}: admin code {code or '(none)'}")
    return 0


def cmd_area_code_add(args: argparse.Namespace, settings: Settings) -> int:
    from devices.registry import get_commune
    from province_link import CapAreaCode

    with _session(settings) as session:
        for code in args.commune:
            commune = get_commune(session, code)
            exists = session.exec(
                select(CapAreaCode).where(CapAreaCode.code == args.code, CapAreaCode.commune_id == commune.id)
            ).first()
            if exists is None:
                session.add(CapAreaCode(code=args.code, commune_id=commune.id or 0))
        audit.record(session, None, "cap.area_code", f"area:{args.code}", f"add {', '.join(args.commune)}")
        session.commit()
    print(f"area code {args.code}: {', '.join(args.commune)} added")
    return 0


def cmd_area_code_remove(args: argparse.Namespace, settings: Settings) -> int:
    from devices.registry import get_commune
    from province_link import CapAreaCode

    with _session(settings) as session:
        query = select(CapAreaCode).where(CapAreaCode.code == args.code)
        if args.commune:
            ids = [get_commune(session, c).id for c in args.commune]
            query = query.where(col(CapAreaCode.commune_id).in_(ids))
        rows = list(session.exec(query))
        for row in rows:
            session.delete(row)
        audit.record(
            session, None, "cap.area_code", f"area:{args.code}", f"remove {', '.join(args.commune or ['all'])}"
        )
        session.commit()
    print(f"area code {args.code}: {len(rows)} communes removed")
    return 0


def cmd_area_code_list(args: argparse.Namespace, settings: Settings) -> int:
    from devices.registry import Commune
    from province_link import CapAreaCode

    with _session(settings) as session:
        rows = session.exec(
            select(CapAreaCode, Commune)
            .where(col(CapAreaCode.commune_id) == col(Commune.id))
            .order_by(col(CapAreaCode.code), col(Commune.code))
        ).all()
        for row, commune in rows:
            print(f"{row.code}\t{commune.code}\t{commune.admin_code or '-'}\t{commune.name}")
    return 0


def cmd_source(args: argparse.Namespace, settings: Settings) -> int:
    from controller.api.cap_alerts import CapSettingsIn, set_cap_settings
    from province_link import CapSourceSetting, SourceSystem

    with _session(settings) as session:
        source = session.exec(select(SourceSystem).where(SourceSystem.code == args.code)).first()
        current = session.get(CapSourceSetting, source.id) if source is not None else None
        certificate = current.certificate_pem if current is not None else None
        severities: list[Any] = list(current.auto_air_severities) if current is not None else []
        if args.certificate is not None:
            certificate = Path(args.certificate).read_text()
        if args.no_signature:
            certificate = None
        if args.auto_air:
            severities = args.auto_air
        if args.no_auto_air:
            severities = []
        public = set_cap_settings(
            session, None, args.code, CapSettingsIn(certificate_pem=certificate, auto_air_severities=severities)
        )
        session.commit()
    signs = "alerts must be XML-signed with its certificate" if public.signs else "alerts need no XML signature"
    print(f"source {public.source_code}: {signs}; auto-air: {', '.join(public.auto_air_severities) or 'none'}")
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from controller.source_link.cap_alerts import province_alerts
    from devices.registry import get_province

    with _session(settings) as session:
        province_id = get_province(session, args.province).id if args.province else None
        for alert in province_alerts(session, province_id, state=args.state, limit=args.limit):
            where = ",".join(alert.reach) or "-"
            print(
                f"{alert.id}\t{alert.state}\t{alert.status}/{alert.msg_type}\t{alert.identifier}\t"
                f"{alert.priority or '-'}\t{where}\t{alert.title or alert.reason}"
            )
    return 0


def add_cap_commands(sub: Any) -> None:
    cap = sub.add_parser("cap", help="CAP 1.2 alerts: places, a source's settings, alerts received")
    cap_sub = cap.add_subparsers(dest="cap_command", required=True)

    admin = cap_sub.add_parser("admin-code", help="a commune's administrative unit code (MA_DVHC in CAP geocodes)")
    admin.add_argument("commune")
    admin.add_argument("code", nargs="?", help="5 digits, e.g. 27685")
    admin.add_argument("--clear", action="store_true")
    admin.set_defaults(func=cmd_admin_code)

    area = cap_sub.add_parser("area-code", help="a code that stands for several communes (a district's MA_DVHC)")
    area_sub = area.add_subparsers(dest="area_command", required=True)
    aadd = area_sub.add_parser("add", help="the communes a code reaches")
    aadd.add_argument("code")
    aadd.add_argument("--commune", action="append", required=True, help="repeat")
    aadd.set_defaults(func=cmd_area_code_add)
    arm = area_sub.add_parser("remove", help="remove communes from a code (all without --commune)")
    arm.add_argument("code")
    arm.add_argument("--commune", action="append")
    arm.set_defaults(func=cmd_area_code_remove)
    area_sub.add_parser("list", help="every code and its communes").set_defaults(func=cmd_area_code_list)

    source = cap_sub.add_parser("source", help="whether a source XML-signs its alerts; what airs without confirmation")
    source.add_argument("code")
    signing = source.add_mutually_exclusive_group()
    signing.add_argument("--certificate", help="the source's X.509 certificate (PEM file): alerts must be signed")
    signing.add_argument("--no-signature", action="store_true", help="alerts need no XML signature")
    auto = source.add_mutually_exclusive_group()
    auto.add_argument(
        "--auto-air",
        action="append",
        choices=["Extreme", "Severe", "Moderate", "Minor", "Unknown"],
        help="a severity that airs at once (repeat); replaces the list",
    )
    auto.add_argument("--no-auto-air", action="store_true", help="every alert waits for a provincial officer")
    source.set_defaults(func=cmd_source)

    listing = cap_sub.add_parser("list", help="alerts received, newest first")
    listing.add_argument("--province")
    listing.add_argument(
        "--state", choices=["refused", "held", "pending", "aired", "superseded", "cancelled", "applied"]
    )
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(func=cmd_list)
