"""The `loaxa` command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, get_args

from pydantic import ValidationError

from audio_library.errors import LoaxaError
from controller.accounts import use_password_policy
from controller.cli_api import add_login_arguments, add_schedule_commands, expect
from controller.cli_api import run as run_through_api
from controller.cli_reports import add_report_commands
from controller.cli_users import add_user_commands
from controller.settings import Settings
from controller.source_link.cli_cap import add_cap_commands
from controller.stock.cli import add_stock_commands
from controller.streams.cli import add_stream_commands
from devices.protocol import NetworkType

if TYPE_CHECKING:
    import httpx


def _settings() -> Settings:
    return Settings()


def _logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for chatty in ("alembic", "httpx", "uvicorn.access"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from controller.instance_lock import InstanceLock, sqlite_path

    # SQLite: one instance only, refused here before anything loads (PostgreSQL: see controller.leadership).
    sqlite_file = sqlite_path(settings.database.url)
    with InstanceLock(sqlite_file) if sqlite_file is not None else contextlib.nullcontext():
        import uvicorn

        from controller.app import create_app, server_config
        from controller.db import make_engine, wait_for_database
        from controller.services import require_schema

        engine = make_engine(settings.database)
        wait_for_database(engine, settings.database.wait_timeout_s)
        require_schema(engine)  # fail here with a clear message, not inside uvicorn's startup
        engine.dispose()
        host = args.host or settings.web.host
        port = args.port if args.port is not None else settings.web.port
        # The app knows where it serves (the private Icecast calls it back there).
        settings = settings.model_copy(update={"web": settings.web.model_copy(update={"host": host, "port": port})})
        app = create_app(settings)
        config = server_config(app, settings, host=host, port=port, log_level=settings.log_level.lower())
        uvicorn.Server(config).run()
    return 0


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from controller.db import make_engine, wait_for_database
    from controller.migrate import upgrade

    engine = make_engine(settings.database)
    wait_for_database(engine, settings.database.wait_timeout_s)
    engine.dispose()
    upgrade(settings.database.url, args.revision)
    print(f"database at revision {args.revision}")
    return 0


def cmd_node(args: argparse.Namespace, settings: Settings) -> int:
    from firmware_sim import NodeAgent

    agent = NodeAgent(settings.node)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(agent.run())
    return 0


def cmd_fleet(args: argparse.Namespace, settings: Settings) -> int:
    from controller.fleet_provisioning import ensure_fleet_identities
    from firmware_sim import Fleet

    if args.processes < 1:
        print("loaxa fleet: --processes phải từ 1 trở lên", file=sys.stderr)
        return 2
    state_root = Path(args.state_dir) if args.state_dir else settings.node.state_dir / "fleet"
    identities = ensure_fleet_identities(
        settings, state_root / "identities.json", args.nodes, args.commune, prefix=args.prefix
    )
    print(f"fleet: {len(identities)} node(s) in commune(s) {', '.join(args.commune)}", flush=True)
    if args.processes > 1:
        from firmware_sim import FleetProcesses

        spread = FleetProcesses(settings.node, identities, state_root, args.processes)
        return spread.supervise(args.report_every, lambda line: print(line, flush=True))
    fleet = Fleet(settings.node, identities, state_root)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(fleet.run())
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from controller.demo import run_demo

    return run_demo(settings, duration_s=args.duration, port=args.port)


def _database_lexicon(settings: Settings, province_code: str | None) -> dict[str, str]:
    """The database's abbreviations for a province (or the nationwide ones); none if there is no database."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError
    from sqlmodel import select

    import controller.models  # noqa: F401  (every table, so foreign keys resolve)
    from controller.db import make_engine, session_factory
    from devices.registry import Province
    from tts.lexicon import lexicon_for

    database = make_url(settings.database.url)
    if database.get_backend_name() == "sqlite" and not Path(database.database or "").is_file():
        return {}  # no database here: do not create one just to read it
    engine = make_engine(settings.database)
    try:
        with session_factory(engine)() as session:
            province_id = None
            if province_code:
                province = session.exec(select(Province).where(Province.code == province_code)).first()
                province_id = province.id if province else None
            return lexicon_for(session, province_id)
    except SQLAlchemyError as exc:
        logging.getLogger(__name__).warning("database lexicon not read (%s); built-in list only", str(exc)[:200])
        return {}
    finally:
        engine.dispose()


def cmd_tts_normalize(args: argparse.Namespace, settings: Settings) -> int:
    """Print the spoken form, and nothing else on stdout (warnings go to stderr)."""
    from tts.normalizer import read_aloud

    lexicon = _database_lexicon(settings, args.province)
    reading = read_aloud(args.text, dialect=args.dialect or settings.tts.dialect, lexicon=lexicon)
    print(reading.spoken)
    for issue in reading.issues:
        print(issue.message_vi, file=sys.stderr)
    return 0


def cmd_tts_say(args: argparse.Namespace, settings: Settings) -> int:
    """Normalise, synthesise (with fallback unless --engine pins one), run the broadcast chain, write the file.

    The file's extension picks the rendition: .mp3 gives MP3, anything else Opus in Ogg.
    """
    from audio_library import produce_broadcast
    from tts.engines import build_engines
    from tts.speech_asset import SpeechRequest, spoken_form, synthesize_first

    tts_settings = settings.tts.model_copy(update={"engine": args.engine}) if args.engine else settings.tts
    dialect = args.dialect or settings.tts.dialect
    request = SpeechRequest(text=args.text, dialect=dialect, language=args.language)
    speech, skipped = asyncio.run(
        synthesize_first(build_engines(tts_settings), spoken_form(request), dialect=dialect, language=args.language)
    )
    produced = produce_broadcast(speech.audio, settings.audio)
    rendition = produced.mp3 if Path(args.output).suffix.lower() == ".mp3" else produced.opus
    Path(args.output).write_bytes(rendition.data)
    for reason in skipped:
        print(f"skipped {reason}", file=sys.stderr)
    print(
        f"{args.output}: {rendition.codec}, {rendition.duration_ms} ms, {len(rendition.data)} bytes, "
        f"{produced.loudness.integrated_lufs} LUFS, true peak {produced.loudness.true_peak_dbtp} dBTP, "
        f"engine {speech.engine} ({speech.voice})",
        file=sys.stderr,
    )
    return 0


def cmd_lexicon_add(args: argparse.Namespace, settings: Settings) -> int:
    from sqlmodel import select

    import controller.models  # noqa: F401  (every table, so foreign keys resolve)
    from controller.db import make_engine, session_factory
    from devices.registry import Province
    from tts.lexicon import add_entry

    engine = make_engine(settings.database)
    try:
        with session_factory(engine)() as session:
            province_id = None
            if args.province:
                province = session.exec(select(Province).where(Province.code == args.province)).first()
                if province is None:
                    print(f"loaxa: không có tỉnh {args.province}", file=sys.stderr)
                    return 2
                province_id = province.id
            entry = add_entry(session, args.abbreviation, args.expansion, province_id=province_id)
            session.commit()
            print(f"{entry.abbreviation} -> {entry.expansion}")
    finally:
        engine.dispose()
    return 0


def cmd_lexicon_list(args: argparse.Namespace, settings: Settings) -> int:
    from sqlmodel import col, select

    from controller.db import make_engine, session_factory
    from tts.lexicon import LexiconEntry

    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        for entry in session.exec(select(LexiconEntry).order_by(col(LexiconEntry.abbreviation))):
            scope = f"province {entry.province_id}" if entry.province_id else "all provinces"
            print(f"{entry.abbreviation}\t{entry.expansion}\t{scope}")
    engine.dispose()
    return 0


def cmd_schedule_show(args: argparse.Namespace, settings: Settings) -> int:
    """Print what will play on a commune on a local day, and what will not, and why."""
    from datetime import date

    from controller.db import make_engine, session_factory
    from devices.registry import get_commune
    from schedules.local_time import local
    from schedules.timetable import day_timetable

    try:
        day = date.fromisoformat(args.date)
    except ValueError:
        print(f"loaxa: ngày không hợp lệ: {args.date!r} (cần YYYY-MM-DD)", file=sys.stderr)
        return 2
    planning = settings.scheduler.planning()
    engine = make_engine(settings.database)
    try:
        with session_factory(engine)() as session:
            timetable = day_timetable(session, get_commune(session, args.commune), day, planning)
    finally:
        engine.dispose()
    print(f"{args.commune} {day:%d/%m/%Y}: {len(timetable.items)} mục")
    for item in timetable.items:
        clusters = timetable.clusters_of(item)
        where = ", ".join(sorted(clusters)) if clusters is not None else "cả xã"
        start, end = local(item.starts_at, planning.zone), local(item.ends_at, planning.zone)
        print(f"{start:%H:%M:%S}–{end:%H:%M:%S}  {item.title}  [{item.priority}]  ({where})  {item.item_id}")
    for dropped in timetable.dropped:
        print(f"không phát: {dropped.message_vi} ({dropped.item_id})")
    return 0


def cmd_device_add(args: argparse.Namespace, settings: Settings) -> int:
    from controller.db import make_engine, session_factory
    from controller.provisioning import provision_device
    from devices.registry import DeviceCreate

    metadata = DeviceCreate(
        code=args.code,
        name=args.name,
        hamlet=args.hamlet,
        latitude=args.lat,
        longitude=args.lon,
        horn_count=args.horns,
        amplifier_watts=args.amplifier_watts,
        network_type=args.network,
        installed_on=args.installed_on,
    )
    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        device, creds = provision_device(session, settings, args.commune, args.code, args.name, metadata=metadata)
    engine.dispose()
    public_key = _command_public_key(settings)
    if args.json:
        print(
            json.dumps(
                {
                    "client_id": creds.client_id,
                    "username": creds.username,
                    "password": creds.password,
                    "command_public_key": public_key,
                }
            )
        )
    else:
        print(
            f"Đã thêm cụm loa {device.code}.\nclient_id: {creds.client_id}\nusername:  {creds.username}\n"
            f"password:  {creds.password}\n(Mật khẩu chỉ hiển thị một lần.)\n"
            f"khóa lệnh: {public_key}"
        )
    return 0


def _command_public_key(settings: Settings) -> str:
    from devices.command_signing import CommandSigner

    return CommandSigner.load_or_create(settings.fleet.command_key_file).public_key_b64


def cmd_device_key(args: argparse.Namespace, settings: Settings) -> int:
    """The public half of the command-signing key: a node's LOAXA_NODE__COMMAND_PUBLIC_KEY."""
    print(_command_public_key(settings))
    return 0


_FINAL_STATUSES = {"refused", "succeeded", "failed", "timed_out"}
_STATUS_VI = {
    "sent": "đã gửi",
    "acked": "đã nhận",
    "refused": "từ chối",
    "succeeded": "thành công",
    "failed": "thất bại",
    "timed_out": "quá thời gian",
}


def cmd_device_command(args: argparse.Namespace, settings: Settings) -> int:
    """Send a command through the controller's API (so it is scoped, signed and audited) and wait for it."""
    return run_through_api(args, settings, lambda client, args: _device_command(client, args, settings))


def _device_command(client: httpx.Client, args: argparse.Namespace, settings: Settings) -> int:
    import time

    body: dict[str, object] = {"name": args.name}
    if args.volume is not None:
        body["volume"] = args.volume
    if args.bulletin is not None:
        body["bulletin_id"] = args.bulletin
    if args.stock is not None:
        body["stock_key"], body["stock_language"] = args.stock
    path = f"/api/v1/communes/{args.code}/commands" if args.commune else f"/api/v1/devices/{args.code}/commands"
    command_id = expect(client.post(path, json=body), 202)["command_id"]
    print(f"Đã gửi lệnh {args.name} ({command_id}).")
    deadline = time.monotonic() + settings.fleet.command_timeout_s + 2 * settings.fleet.command_sweep_interval_s
    while True:
        status = expect(client.get(f"/api/v1/commands/{command_id}"), 200)
        done = all(row["status"] in _FINAL_STATUSES for row in status["devices"])
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    for row in status["devices"]:
        print(f"{row['device_code']}: {_STATUS_VI.get(row['status'], row['status'])}  {row['detail']}")
    return 0 if all(row["status"] == "succeeded" for row in status["devices"]) else 1


def cmd_device_list(args: argparse.Namespace, settings: Settings) -> int:
    """One line per cluster: code, hamlet, state, horns, amplifier, network, GPS, install date, name."""
    from sqlmodel import col, select

    from controller.db import make_engine, session_factory
    from devices.registry import Device, Hamlet, get_commune

    engine = make_engine(settings.database)
    try:
        with session_factory(engine)() as session:
            query = select(Device).order_by(col(Device.code))
            if args.commune:
                query = query.where(Device.commune_id == get_commune(session, args.commune).id)
            hamlets = {h.id: h.code for h in session.exec(select(Hamlet))}
            rows = list(session.exec(query))
            for d in rows:
                gps = (
                    f"{d.latitude:.5f},{d.longitude:.5f}" if d.latitude is not None and d.longitude is not None else "-"
                )
                state = "thu hồi" if d.revoked_at is not None else d.state
                print(
                    "\t".join(
                        [
                            d.code,
                            hamlets.get(d.hamlet_id, "-") if d.hamlet_id is not None else "-",
                            state,
                            f"{d.horn_count} loa" if d.horn_count is not None else "-",
                            f"{d.amplifier_watts} W" if d.amplifier_watts is not None else "-",
                            d.network_type,
                            gps,
                            d.installed_on.isoformat() if d.installed_on else "-",
                            d.name,
                        ]
                    )
                )
    finally:
        engine.dispose()
    print(f"{len(rows)} cụm loa", file=sys.stderr)
    return 0


def cmd_hamlet_add(args: argparse.Namespace, settings: Settings) -> int:
    from controller.db import make_engine, session_factory
    from devices.registry import HamletCreate, add_hamlet, get_commune

    data = HamletCreate(code=args.code, name=args.name)
    engine = make_engine(settings.database)
    try:
        with session_factory(engine)() as session:
            add_hamlet(session, get_commune(session, args.commune), data.code, data.name)
            session.commit()
    finally:
        engine.dispose()
    print(f"Đã thêm ấp/thôn {data.code} ({data.name}) vào xã {args.commune}.")
    return 0


def cmd_place_add(args: argparse.Namespace, settings: Settings) -> int:
    from sqlmodel import select

    from controller.db import make_engine, session_factory
    from controller.errors import NotFound
    from devices.registry import Province, add_commune, add_province

    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        if args.kind == "province":
            add_province(session, args.code, args.name)
        else:
            province = session.exec(select(Province).where(Province.code == args.province)).first()
            if province is None:
                raise NotFound(f"no province {args.province}", message_vi="Không tìm thấy tỉnh.")
            add_commune(session, province, args.code, args.name)
        session.commit()
    engine.dispose()
    print(f"{args.kind} {args.code} added")
    return 0


def cmd_user_add(args: argparse.Namespace, settings: Settings) -> int:
    from controller.accounts import Role, UserCreate
    from controller.api.users import create_user_from
    from controller.db import make_engine, session_factory

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Mật khẩu: ")
    data = UserCreate(
        username=args.username,
        full_name=args.full_name,
        role=Role(args.role),
        password=password,
        province_code=args.province,
        commune_codes=args.commune or [],
    )
    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        create_user_from(session, data)
        session.commit()
    engine.dispose()
    print(f"user {args.username} ({args.role}) added")
    return 0


def cmd_source_add(args: argparse.Namespace, settings: Settings) -> int:
    from controller.api.source_link import SourceSystemCreate, register_source
    from controller.db import make_engine, session_factory

    data = SourceSystemCreate(
        code=args.code,
        name=args.name,
        province_code=args.province,
        public_key=args.public_key,
        feed_url=args.feed_url,
        report_url=args.report_url,
    )
    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        public = register_source(session, None, data)
        session.commit()
    engine.dispose()
    print(f"source {public.code} ({public.province_code}) added; its bulletins are written by {public.author}")
    return 0


def cmd_source_approval(args: argparse.Namespace, settings: Settings) -> int:
    from controller.api.source_link import ApprovalAtSource, ApproverKey, set_approval_at_source
    from controller.db import make_engine, session_factory

    approvers = []
    for entry in args.approver or []:
        name, sep, key = entry.rpartition("=")
        if not sep or not name.strip():
            print(f"loaxa: --approver wants NAME=PUBLIC_KEY, got {entry!r}", file=sys.stderr)
            return 2
        approvers.append(ApproverKey(name=name.strip(), public_key=key.strip()))
    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        set_approval_at_source(session, None, args.code, ApprovalAtSource(enabled=args.enable, approvers=approvers))
        session.commit()
    engine.dispose()
    state = "counts as approval" if args.enable else "does not count: items wait for loaxa's approvers"
    print(f"source {args.code}: a named approver's signature {state} ({len(approvers)} approvers)")
    return 0


def cmd_source_key(args: argparse.Namespace, settings: Settings) -> int:
    from devices.command_signing import CommandSigner

    signer = CommandSigner.load_or_create(settings.source_link.signing_key_file)
    print(signer.public_key_b64)
    return 0


def cmd_source_list(args: argparse.Namespace, settings: Settings) -> int:
    from controller.api.source_link import list_source_systems
    from controller.db import make_engine, session_factory

    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        for source in list_source_systems(session):
            state = "active" if source.active else "inactive"
            print(f"{source.code}\t{source.province_code}\t{state}\t{source.name}\t{source.public_key}")
    engine.dispose()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loaxa", description="Loaxa: điều khiển truyền thanh cơ sở")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the controller (HTTP API + MQTT)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    up = db.add_parser("upgrade", help="apply migrations")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_db_upgrade)

    node = sub.add_parser("node", help="run one speaker-node agent (settings LOAXA_NODE__*)")
    node.set_defaults(func=cmd_node)

    fleet = sub.add_parser("fleet", help="run many simulated nodes (in one process, or --processes P)")
    fleet.add_argument("--nodes", type=int, required=True)
    fleet.add_argument("--commune", action="append", required=True, help="commune code; repeat to spread nodes")
    fleet.add_argument("--prefix", default="SIM", help="device code prefix for provisioned nodes")
    fleet.add_argument("--state-dir")
    fleet.add_argument(
        "--processes", type=int, default=1, help="spread the nodes over P processes, one event loop each"
    )
    fleet.add_argument(
        "--report-every", type=float, default=10.0, help="with --processes: seconds between status lines"
    )
    fleet.set_defaults(func=cmd_fleet)

    demo = sub.add_parser("demo", help="broker + controller + 10 simulated nodes, offline")
    demo.add_argument("--duration", type=float, default=0, help="stop after N seconds (0: until Ctrl-C)")
    demo.add_argument("--port", type=int, default=8000)
    demo.set_defaults(func=cmd_demo)

    tts = sub.add_parser("tts", help="speech").add_subparsers(dest="tts_command", required=True)
    norm = tts.add_parser("normalize", help="print the spoken form of TEXT")
    norm.add_argument("text")
    norm.add_argument("--dialect", choices=["north", "south"])
    norm.add_argument("--province", help="also the province's own abbreviations from the database")
    norm.set_defaults(func=cmd_tts_normalize)
    say = tts.add_parser("say", help="write TEXT as a finished broadcast file")
    say.add_argument("text")
    say.add_argument("-o", "--output", required=True)
    say.add_argument("--dialect", choices=["north", "south"])
    say.add_argument("--language", choices=["vi", "km"], default="vi")
    say.add_argument("--engine", choices=["auto", "edge", "espeak"], help="default: the tts.engine setting")
    say.set_defaults(func=cmd_tts_say)

    lexicon = sub.add_parser("lexicon", help="abbreviations read aloud (the database's, beyond the built-in list)")
    lexicon_sub = lexicon.add_subparsers(dest="lexicon_command", required=True)
    ladd = lexicon_sub.add_parser("add", help="add an abbreviation and how it is read")
    ladd.add_argument("abbreviation")
    ladd.add_argument("expansion")
    ladd.add_argument("--province", help="province code; default: every province")
    ladd.set_defaults(func=cmd_lexicon_add)
    lexicon_sub.add_parser("list", help="list the database's abbreviations").set_defaults(func=cmd_lexicon_list)

    device = sub.add_parser("device", help="speaker clusters").add_subparsers(dest="device_command", required=True)
    dadd = device.add_parser("add", help="register a cluster and print its MQTT credentials")
    dadd.add_argument("--commune", required=True)
    dadd.add_argument("--code", required=True)
    dadd.add_argument("--name", default="")
    dadd.add_argument("--json", action="store_true")
    dadd.add_argument("--hamlet", help="code of a hamlet of the commune (loaxa hamlet add)")
    dadd.add_argument("--lat", type=float, help="latitude, degrees north")
    dadd.add_argument("--lon", type=float, help="longitude, degrees east")
    dadd.add_argument("--horns", type=int, help="number of horn speakers")
    dadd.add_argument("--amplifier-watts", type=int)
    dadd.add_argument("--network", choices=list(get_args(NetworkType)), default="unknown")
    dadd.add_argument("--installed-on", help="install date, YYYY-MM-DD")
    dadd.set_defaults(func=cmd_device_add)
    device.add_parser("key", help="print the public key nodes verify commands with").set_defaults(func=cmd_device_key)
    dcmd = device.add_parser("command", help="send a signed command and wait for its result")
    dcmd.add_argument("code", help="device code (or commune code with --commune)")
    dcmd.add_argument("name", choices=["play_now", "stop", "set_volume", "resync", "reboot", "self_test"])
    dcmd.add_argument("--volume", type=int, help="set_volume: 0-100")
    dcmd.add_argument("--bulletin", type=int, help="play_now: id of an approved bulletin")
    dcmd.add_argument(
        "--stock", nargs=2, metavar=("KEY", "LANGUAGE"), help="play_now: a stock message (e.g. storm vi), no download"
    )
    dcmd.add_argument("--commune", action="store_true", help="CODE is a commune: every cluster of it")
    add_login_arguments(dcmd)
    dcmd.set_defaults(func=cmd_device_command)
    dlist = device.add_parser("list", help="list clusters with their installation facts")
    dlist.add_argument("--commune", help="only this commune's clusters")
    dlist.set_defaults(func=cmd_device_list)

    hamlet = sub.add_parser("hamlet", help="hamlets (ấp/thôn) where clusters are installed")
    hamlet_sub = hamlet.add_subparsers(dest="hamlet_command", required=True)
    hadd = hamlet_sub.add_parser("add", help="add a hamlet to a commune")
    hadd.add_argument("commune")
    hadd.add_argument("code")
    hadd.add_argument("name")
    hadd.set_defaults(func=cmd_hamlet_add)

    for kind in ("province", "commune"):
        place = sub.add_parser(kind, help=f"{kind}s").add_subparsers(dest=f"{kind}_command", required=True)
        padd = place.add_parser("add")
        padd.add_argument("code")
        padd.add_argument("name")
        if kind == "commune":
            padd.add_argument("--province", required=True)
        padd.set_defaults(func=cmd_place_add, kind=kind)

    schedule = sub.add_parser("schedule", help="schedules").add_subparsers(dest="schedule_command", required=True)
    show = schedule.add_parser("show", help="what will play on a commune on a day")
    show.add_argument("--commune", required=True)
    show.add_argument("--date", required=True, help="local day, YYYY-MM-DD")
    show.set_defaults(func=cmd_schedule_show)
    add_schedule_commands(schedule)
    add_report_commands(sub)

    source = sub.add_parser("source", help="the province's source information systems (docs/source-link.md)")
    source_sub = source.add_subparsers(dest="source_command", required=True)
    sadd = source_sub.add_parser("add", help="register a source system and the public key it signs with")
    sadd.add_argument("code")
    sadd.add_argument("--name", required=True)
    sadd.add_argument("--province", required=True)
    sadd.add_argument("--public-key", required=True, help="raw Ed25519 public key, base64")
    sadd.add_argument("--feed-url", help="pull mode: the source's feed, read every LOAXA_SOURCE_LINK__POLL_INTERVAL_S")
    sadd.add_argument("--report-url", help="results out: where loaxa posts what aired in the province")
    sadd.set_defaults(func=cmd_source_add)
    source_sub.add_parser("list", help="list the registered source systems").set_defaults(func=cmd_source_list)
    source_sub.add_parser(
        "key", help="print the public key loaxa signs its reports with (for the source's integrator)"
    ).set_defaults(func=cmd_source_key)
    sappr = source_sub.add_parser("approval", help="whether a named approver's signature at the source approves")
    sappr.add_argument("code")
    toggle = sappr.add_mutually_exclusive_group(required=True)
    toggle.add_argument("--enable", action="store_true")
    toggle.add_argument("--disable", dest="enable", action="store_false")
    sappr.add_argument("--approver", action="append", metavar="NAME=PUBLIC_KEY", help="replaces the list; repeat")
    sappr.set_defaults(func=cmd_source_approval)
    add_cap_commands(sub)

    add_stock_commands(sub)
    add_stream_commands(sub)
    user = sub.add_parser("user", help="users").add_subparsers(dest="user_command", required=True)
    uadd = user.add_parser("add")
    uadd.add_argument("username")
    uadd.add_argument("--role", required=True, choices=["admin", "monitor", "officer", "approver"])
    uadd.add_argument("--full-name", default="")
    uadd.add_argument("--province")
    uadd.add_argument("--commune", action="append")
    uadd.add_argument("--password-stdin", action="store_true")
    uadd.set_defaults(func=cmd_user_add)
    add_user_commands(user)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = _settings()
    except ValidationError as exc:
        print(f"loaxa: invalid settings:\n{exc}", file=sys.stderr)
        return 2
    _logging(settings)
    use_password_policy(settings.web.password_time_cost, settings.web.password_memory_kib)
    try:
        result: int = args.func(args, settings)
        return result
    except LoaxaError as exc:
        print(f"loaxa: {exc.message_vi} ({exc.code}: {exc.detail})", file=sys.stderr)
        return 2
    except ValidationError as exc:
        print(f"loaxa: dữ liệu không hợp lệ:\n{exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
