"""CLI commands that act through the controller's HTTP API, in a user's name.

Whatever changes what airs (slots, programs, rules, cancellations, commands) goes through the API, so
the CLI gets the same commune scope, validation, publication and audit log as the console. Each
command logs in as `--user` with a password from the prompt or `--password-stdin`.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import httpx

from controller.settings import Settings


class ApiRefused(Exception):
    """The controller refused a request; the message is its Vietnamese one."""


def add_login_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", required=True, help="your loaxa username (the change is made in your name)")
    parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    parser.add_argument("--url", help="the controller's base URL; default: web.host and web.port")


@contextmanager
def api_client(args: argparse.Namespace, settings: Settings) -> Iterator[httpx.Client]:
    """An HTTP client logged in as `args.user`; raises ApiRefused if the login fails."""
    base_url = args.url or f"http://{settings.web.host}:{settings.web.port}"
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Mật khẩu: ")
    with httpx.Client(base_url=base_url, timeout=60) as client:
        token = client.post("/api/v1/auth/token", json={"username": args.user, "password": password})
        if token.status_code != 200:
            raise ApiRefused(f"đăng nhập thất bại ({token.status_code})")
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        try:
            yield client
        finally:
            # End this command's token now rather than leave it valid for a working day.
            with suppress(httpx.HTTPError):
                client.post("/api/v1/auth/logout")


def expect(response: httpx.Response, *statuses: int) -> Any:
    """The response's JSON (None when empty) if its status is one of `statuses`; else ApiRefused."""
    if response.status_code not in statuses:
        try:
            message = response.json().get("message", response.text)
        except ValueError:
            message = response.text
        raise ApiRefused(f"{message} ({response.status_code})")
    return response.json() if response.content else None


def run(args: argparse.Namespace, settings: Settings, action: Any) -> int:
    """Log in, call `action(client, args)`, and turn a refusal into a message and exit code 2."""
    try:
        with api_client(args, settings) as client:
            result: int = action(client, args)
            return result
    except ApiRefused as exc:
        print(f"loaxa: {exc}", file=sys.stderr)
        return 2
    except httpx.HTTPError as exc:
        print(f"loaxa: không kết nối được bộ điều khiển: {exc}", file=sys.stderr)
        return 2


# -- schedule ----------------------------------------------------------------------------------------


class _ItemAction(argparse.Action):
    """`--bulletin ID` and `--relay SOURCE:MINUTES` build one list of program items, in the order given."""

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: Any = None
    ) -> None:
        items = list(getattr(namespace, "program_items", None) or [])
        if option == "--relay":
            source, _, minutes = str(values).partition(":")
            try:
                item = {"kind": "relay", "stream_source_id": int(source), "duration_ms": round(float(minutes) * 60_000)}
            except ValueError:
                parser.error(f"--relay {values}: give SOURCE_ID:MINUTES, e.g. 3:20")
        elif str(values).isdigit():
            item = {"bulletin_id": int(values)}
        else:
            parser.error(f"--bulletin {values}: give the bulletin's number")
        items.append(item)
        namespace.program_items = items


def _add_item_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bulletin", action=_ItemAction, metavar="ID", help="an approved bulletin (repeat, in order)")
    parser.add_argument(
        "--relay",
        action=_ItemAction,
        metavar="SOURCE:MINUTES",
        help="a live relay of a stream source (`loaxa stream list`) for this many minutes",
    )


def _items(args: argparse.Namespace) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = getattr(args, "program_items", None) or []
    if not items:
        raise ApiRefused("cần ít nhất một mục: --bulletin ID hoặc --relay NGUỒN:PHÚT")
    return items


def _slot_add(client: httpx.Client, args: argparse.Namespace) -> int:
    body = {"name": args.name, "start_time": args.start, "end_time": args.end}
    slot = expect(client.post(f"/api/v1/communes/{args.commune}/slots", json=body), 201)
    print(f"Đã thêm khung giờ {slot['name']} {slot['start_time']}–{slot['end_time']} (mã {slot['id']}).")
    return 0


def _slot_list(client: httpx.Client, args: argparse.Namespace) -> int:
    for slot in expect(client.get(f"/api/v1/communes/{args.commune}/slots"), 200):
        print(f"{slot['id']}\t{slot['start_time']}–{slot['end_time']}\t{slot['name']}")
    return 0


def _program_add(client: httpx.Client, args: argparse.Namespace) -> int:
    language = {"language": args.language} if args.language else {}
    items = [{**item, **language} if "bulletin_id" in item else item for item in _items(args)]
    body: dict[str, Any] = {"commune_code": args.commune, "title": args.title, "items": items}
    if args.group:
        body["target_group"] = args.group
    if args.cluster:
        body["target_clusters"] = args.cluster
    program = expect(client.post("/api/v1/programs", json=body), 201)
    print(f"Đã tạo chương trình “{program['title']}” (mã {program['id']}) với {len(program['items'])} mục.")
    return 0


def _items_replace(client: httpx.Client, args: argparse.Namespace) -> int:
    body = {"items": _items(args)}
    if args.province_program:
        expect(client.put(f"/api/v1/province-programs/{args.program}/items", json=body), 200)
        print(f"Đã thay nội dung chương trình toàn tỉnh {args.program} ở mọi xã ({len(body['items'])} mục).")
    else:
        expect(client.put(f"/api/v1/programs/{args.program}/items", json=body), 200)
        print(f"Đã thay nội dung chương trình {args.program} ({len(body['items'])} mục).")
    return 0


def _rule_body(args: argparse.Namespace, anchors: tuple[str, ...]) -> dict[str, Any]:
    body: dict[str, Any] = {"pattern": args.pattern}
    for name in (*anchors, "at", "day", "from_day", "until_day", "repeat_times", "repeat_every_min"):
        value = getattr(args, name)
        if value is not None:
            body[name] = value
    if args.weekdays:
        body["weekdays"] = [int(d) for d in args.weekdays.split(",") if d.strip()]
    return body


def _rule_add(client: httpx.Client, args: argparse.Namespace) -> int:
    body = _rule_body(args, ("slot_id",))
    rule = expect(client.post(f"/api/v1/programs/{args.program}/rules", json=body), 201)
    print(f"Đã thêm lịch phát (mã {rule['id']}) cho chương trình {args.program}.")
    return 0


def _rule_delete(client: httpx.Client, args: argparse.Namespace) -> int:
    expect(client.delete(f"/api/v1/rules/{args.rule}"), 204)
    print(f"Đã xoá lịch phát {args.rule}.")
    return 0


def _broadcast_cancel(client: httpx.Client, args: argparse.Namespace) -> int:
    expect(client.post(f"/api/v1/broadcasts/{args.broadcast}/cancel"), 200)
    print(f"Đã huỷ lần phát {args.broadcast}.")
    return 0


def _emergency(client: httpx.Client, args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"province_code": args.province} if args.province else {"commune_code": args.commune}
    if args.hamlet_group:
        body["hamlet_group"] = args.hamlet_group
    if args.stock:
        body["stock_key"], body["stock_language"] = args.stock
    else:
        body["bulletin_id"] = args.bulletin
    for order in expect(client.post("/api/v1/emergencies", json=body), 201):
        what = (
            f"bản tin mẫu {order['stock_key']}/{order['stock_language']}"
            if order["stock_key"]
            else (f"bản tin {order['bulletin_id']}")
        )
        print(f"Phát khẩn cấp {order['id']}: {what} ở xã {order['commune_code']} từ {order['starts_at']}.")
    return 0


def _emergency_cancel(client: httpx.Client, args: argparse.Namespace) -> int:
    order = expect(client.post(f"/api/v1/emergencies/{args.emergency}/cancel"), 200)
    print(f"Đã kết thúc phát khẩn cấp {order['id']} ở xã {order['commune_code']}.")
    return 0


def _province_program_add(client: httpx.Client, args: argparse.Namespace) -> int:
    body: dict[str, Any] = {
        "title": args.title,
        "items": _items(args),
        "rule": _rule_body(args, ("slot_rank", "slot_name")),
    }
    if args.commune:
        body["commune_codes"] = args.commune
    record = expect(client.post(f"/api/v1/provinces/{args.province}/programs", json=body), 201)
    print(f"Đã đặt chương trình “{record['title']}” (mã {record['id']}) vào lịch của {len(record['parts'])} xã.")
    return 0


def _province_program_list(client: httpx.Client, args: argparse.Namespace) -> int:
    for record in expect(client.get(f"/api/v1/provinces/{args.province}/programs"), 200):
        communes = ", ".join(part["commune_code"] for part in record["parts"])
        print(f"{record['id']}\t{record['title']}\t{communes}")
    return 0


def _province_program_delete(client: httpx.Client, args: argparse.Namespace) -> int:
    expect(client.delete(f"/api/v1/province-programs/{args.record}"), 204)
    print(f"Đã gỡ chương trình toàn tỉnh {args.record} khỏi lịch của mọi xã.")
    return 0


def _add_rule_options(parser: argparse.ArgumentParser) -> None:
    """When it airs (the anchor options differ: a slot id, or a slot rank or name per commune)."""
    parser.add_argument("--pattern", default="daily", choices=["once", "daily", "weekdays"])
    parser.add_argument("--at", help="an exact local time HH:MM[:SS]")
    parser.add_argument("--day", help="for once: YYYY-MM-DD")
    parser.add_argument("--weekdays", help="for weekdays: Monday 0 .. Sunday 6, e.g. 0,2,4")
    parser.add_argument("--from", dest="from_day", help="first day, YYYY-MM-DD")
    parser.add_argument("--until", dest="until_day", help="last day, YYYY-MM-DD")
    parser.add_argument("--repeat-times", type=int)
    parser.add_argument("--repeat-every-min", type=int)


def add_schedule_commands(schedule: Any) -> None:
    """`loaxa schedule slot-add|slot-list|program-add|program-items|rule-add|rule-delete|cancel-broadcast|
    cancel-emergency`,
    and `province-program-add|province-program-list|province-program-delete`."""

    def command(name: str, help_text: str, action: Any) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = schedule.add_parser(name, help=help_text)
        add_login_arguments(parser)
        parser.set_defaults(func=lambda args, settings: run(args, settings, action))
        return parser

    slot = command("slot-add", "add a broadcast slot to a commune", _slot_add)
    slot.add_argument("--commune", required=True)
    slot.add_argument("name")
    slot.add_argument("start", help="local time HH:MM")
    slot.add_argument("end", help="local time HH:MM")
    command("slot-list", "a commune's slots", _slot_list).add_argument("--commune", required=True)

    program = command("program-add", "a program of approved bulletins, in order", _program_add)
    program.add_argument("--commune", required=True)
    program.add_argument("--title", required=True)
    _add_item_options(program)
    program.add_argument("--group", help="only this hamlet group's clusters")
    program.add_argument("--cluster", action="append", help="only these clusters (repeat)")
    program.add_argument(
        "--language", help="air only this version of each bulletin (e.g. km); default: every version together"
    )

    items = command("program-items", "replace a program's items, keeping when it airs", _items_replace)
    items.add_argument("program", type=int)
    _add_item_options(items)
    items.add_argument("--province-program", action="store_true", help="PROGRAM is a province program: every part")

    rule = command("rule-add", "when a program airs", _rule_add)
    rule.add_argument("program", type=int)
    rule.add_argument("--slot", dest="slot_id", type=int, help="place it in this slot (or give --at)")
    _add_rule_options(rule)

    province = command(
        "province-program-add", "place approved bulletins in every commune of a province", _province_program_add
    )
    province.add_argument("--province", required=True)
    province.add_argument("--title", required=True)
    _add_item_options(province)
    province.add_argument("--commune", action="append", help="only these communes (repeat); default: all")
    province.add_argument("--slot-rank", type=int, help="each commune's n-th slot of the day, 1 the earliest")
    province.add_argument("--slot-name", help="each commune's slot of this name")
    _add_rule_options(province)
    command("province-program-list", "a province's programs", _province_program_list).add_argument(
        "--province", required=True
    )
    command(
        "province-program-delete", "take a province program off every commune", _province_program_delete
    ).add_argument("record", type=int)
    command("rule-delete", "remove a rule", _rule_delete).add_argument("rule", type=int)
    command("cancel-broadcast", "take a one-off broadcast off the air", _broadcast_cancel).add_argument(
        "broadcast", type=int
    )
    emergency = command("emergency", "air an emergency now, pre-empting what is on air", _emergency)
    where = emergency.add_mutually_exclusive_group(required=True)
    where.add_argument("--commune")
    where.add_argument("--province")
    emergency.add_argument("--hamlet-group", help="with --commune: only this hamlet group")
    audio = emergency.add_mutually_exclusive_group(required=True)
    audio.add_argument("--bulletin", type=int, help="an approved emergency bulletin")
    audio.add_argument("--stock", nargs=2, metavar=("KEY", "LANG"), help="an approved stock message, e.g. storm vi")
    command("cancel-emergency", "end an emergency now", _emergency_cancel).add_argument("emergency", type=int)
