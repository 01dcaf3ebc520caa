"""`loaxa stream ...`: stream sources for relays, through the API in the user's name (admins change them)."""

from __future__ import annotations

import argparse
from typing import Any

import httpx

from controller.cli_api import add_login_arguments, expect
from controller.cli_api import run as run_through_api


def _add(client: httpx.Client, args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"name": args.name, "url": args.stream_url}
    if args.province:
        body["province_code"] = args.province
    source = expect(client.post("/api/v1/streams", json=body, timeout=120), 201)
    print(f"Đã thêm nguồn tiếp sóng “{source['name']}” (mã {source['id']}, {source['codec']}): {source['url']}")
    return 0


def _list(client: httpx.Client, args: argparse.Namespace) -> int:
    for source in expect(client.get("/api/v1/streams"), 200):
        scope = "toàn quốc" if source["province_id"] is None else f"tỉnh {source['province_id']}"
        print(f"{source['id']}\t{source['name']}\t{source['codec']}\t{scope}\t{source['url']}")
    return 0


def _delete(client: httpx.Client, args: argparse.Namespace) -> int:
    expect(client.delete(f"/api/v1/streams/{args.id}"), 204)
    print(f"Đã xóa nguồn tiếp sóng {args.id}.")
    return 0


def _fill(client: httpx.Client, args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"fill": "silence"}
    if args.stock:
        body = {"fill": "stock", "stock_key": args.stock[0], "stock_language": args.stock[1]}
    chosen = expect(client.put(f"/api/v1/communes/{args.commune}/relay-fill", json=body), 200)
    what = "im lặng" if chosen["fill"] == "silence" else f"bản tin mẫu {chosen['stock_key']}/{chosen['stock_language']}"
    print(f"Xã {args.commune}: khi tiếp sóng hỏng sẽ phát {what}.")
    return 0


def add_stream_commands(sub: Any) -> None:
    stream = sub.add_parser("stream", help="stream sources relayed live (tiếp sóng) and each commune's fill")
    commands = stream.add_subparsers(dest="stream_command", required=True)
    add = commands.add_parser("add", help="register a source (admin); its URL is listened to first")
    add.add_argument("name")
    add.add_argument(
        "stream_url", metavar="URL", help="HTTP(S) URL of an Icecast/Shoutcast mount: MP3, AAC or Ogg/Opus"
    )
    add.add_argument("--province", help="a province's own source (default: national, seen by every user)")
    listing = commands.add_parser("list", help="the sources you may relay")
    delete = commands.add_parser("delete", help="remove a source no program relays (admin)")
    delete.add_argument("id", type=int)
    fill = commands.add_parser("fill", help="what a commune airs when a relay fails: silence or a stock message")
    fill.add_argument("commune")
    choice = fill.add_mutually_exclusive_group(required=True)
    choice.add_argument("--silence", action="store_true")
    choice.add_argument("--stock", nargs=2, metavar=("KEY", "LANGUAGE"), help="e.g. test_tone vi")
    for parser, action in ((add, _add), (listing, _list), (delete, _delete), (fill, _fill)):
        add_login_arguments(parser)
        parser.set_defaults(func=lambda a, s, action=action: run_through_api(a, s, action))
