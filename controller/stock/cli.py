"""`loaxa stock ...`: the stock library from the command line.

`list` and `seed` work on the database directly (seeding is an installation step, like migrations);
the changes an admin makes (`set`, `speak`, `upload`, `approve`, `delete`) go through the API in the
admin's name, with the same checks, announcement and audit log as the console.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

import httpx

from controller.cli_api import add_login_arguments, expect
from controller.cli_api import run as run_through_api
from controller.settings import Settings

_PATH = "/api/v1/stock/{key}/{language}"


def cmd_stock_list(args: argparse.Namespace, settings: Settings) -> int:
    from controller.db import make_engine, session_factory
    from schedules.stock_message import list_messages

    engine = make_engine(settings.database)
    try:
        with session_factory(engine)() as session:
            for m in list_messages(session):
                state = "đã duyệt" if m.approved_sha256 else "chưa duyệt"
                if m.approved_sha256 and m.pending:
                    state += ", có thay đổi chờ duyệt"
                audio = (m.approved_sha256 or m.audio_sha256 or "-")[:12]
                print(f"{m.key}\t{m.language}\t{state}\t{audio}\t{m.approved_title or m.title}")
    finally:
        engine.dispose()
    return 0


def cmd_stock_seed(args: argparse.Namespace, settings: Settings) -> int:
    """The default Vietnamese library (espeak-ng speech, the ffmpeg silent tone), approved."""
    from controller.services import build_services
    from controller.stock import seed_default_library

    services = build_services(settings, connect_mqtt=False)
    try:
        added = seed_default_library(services, lambda request: asyncio.run(services.speech.render(request)))
    finally:
        services.close()
    print(f"Thư viện bản tin mẫu: đã thêm {added} bản tin (nút sẽ tải khi bộ điều khiển thông báo phiên bản).")
    return 0


def _show(message: dict[str, Any]) -> None:
    audio = message["audio_sha256"] or "chưa có âm thanh"
    pending = " (chờ duyệt)" if message["pending"] else ""
    print(f"{message['key']}/{message['language']}: {message['title']} [{audio}]{pending}")


def _set(client: httpx.Client, args: argparse.Namespace) -> int:
    body = {"title": args.title, "text": args.text or ""}
    _show(expect(client.put(_PATH.format(key=args.key, language=args.language), json=body), 200))
    return 0


def _speak(client: httpx.Client, args: argparse.Namespace) -> int:
    _show(expect(client.post(_PATH.format(key=args.key, language=args.language) + "/speech"), 200))
    return 0


def _upload(client: httpx.Client, args: argparse.Namespace) -> int:
    data = Path(args.file).read_bytes()
    path = _PATH.format(key=args.key, language=args.language) + "/recording"
    _show(expect(client.put(path, content=data, timeout=300), 200))
    return 0


def _approve(client: httpx.Client, args: argparse.Namespace) -> int:
    _show(expect(client.post(_PATH.format(key=args.key, language=args.language) + "/approve"), 200))
    return 0


def _delete(client: httpx.Client, args: argparse.Namespace) -> int:
    done = expect(client.delete(_PATH.format(key=args.key, language=args.language)), 200)
    print(f"Đã gỡ {args.key}/{args.language}; thư viện phiên bản {done['library_version']}.")
    return 0


def add_stock_commands(sub: Any) -> None:
    stock = sub.add_parser("stock", help="the stock library of warnings every node keeps pinned")
    commands = stock.add_subparsers(dest="stock_command", required=True)
    commands.add_parser("list", help="every stock message and its state").set_defaults(func=cmd_stock_list)
    commands.add_parser("seed", help="add the default Vietnamese library, approved (demo, new install)").set_defaults(
        func=cmd_stock_seed
    )
    actions = {
        "set": (_set, "create a message or change its draft"),
        "speak": (_speak, "make the draft's audio: its text read aloud (the silent tone for test_tone)"),
        "upload": (_upload, "make the draft's audio from a recording (MP3, WAV, M4A, OGG)"),
        "approve": (_approve, "approve the draft into the library (not your own change)"),
        "delete": (_delete, "remove a message from the library"),
    }
    for name, (action, help_text) in actions.items():
        parser = commands.add_parser(name, help=help_text)
        parser.add_argument("key", help="storm, flood, fire, evacuation, all_clear or test_tone")
        parser.add_argument("language", help="vi, km...")
        if name == "set":
            parser.add_argument("--title", required=True)
            parser.add_argument("--text", default="")
        if name == "upload":
            parser.add_argument("file")
        add_login_arguments(parser)
        parser.set_defaults(func=lambda a, s, action=action: run_through_api(a, s, action))
