"""`loaxa user list|passwd|deactivate|activate|logout|delete`: account care on the server itself.

These act directly on the database, as `loaxa user add` does, for whoever runs the server (e.g. to reset
the only admin's forgotten password). They apply the same guards as the API and console (never the last
active admin; never a user who wrote or approved content) and are written to the audit log as done by
the command line.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from sqlmodel import Session, col, select

from controller.settings import Settings


def _with_session(settings: Settings, action: Callable[[Session], str]) -> int:
    from controller.db import make_engine, session_factory

    engine = make_engine(settings.database)
    try:
        with session_factory(engine)() as session:
            message = action(session)
            session.commit()
    finally:
        engine.dispose()
    print(message)
    return 0


def cmd_user_list(args: argparse.Namespace, settings: Settings) -> int:
    from controller.access.login_sessions import live_logins
    from controller.accounts import User

    def run(session: Session) -> str:
        users = session.exec(select(User).order_by(col(User.username))).all()
        for user in users:
            assert user.id is not None
            state = "hoạt động" if user.active else "đã khoá"
            print(f"{user.username}\t{user.role}\t{state}\t{live_logins(session, user.id)} phiên\t{user.full_name}")
        return f"{len(users)} người dùng"

    return _with_session(settings, run)


def cmd_user_passwd(args: argparse.Namespace, settings: Settings) -> int:
    from controller.access.account_care import PasswordReset, get_user, reset_password

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Mật khẩu mới: ")
    data = PasswordReset(new_password=password)

    def run(session: Session) -> str:
        ended = reset_password(session, None, get_user(session, args.username), data)
        return f"Đã đặt mật khẩu mới cho {args.username}; {ended} phiên đăng nhập đã kết thúc."

    return _with_session(settings, run)


def cmd_user_active(args: argparse.Namespace, settings: Settings) -> int:
    from controller.access.account_care import get_user, set_active

    def run(session: Session) -> str:
        set_active(session, None, get_user(session, args.username), args.active)
        return f"Đã {'mở khoá' if args.active else 'khoá'} tài khoản {args.username}."

    return _with_session(settings, run)


def cmd_user_logout(args: argparse.Namespace, settings: Settings) -> int:
    from controller.access.account_care import end_sessions, get_user

    def run(session: Session) -> str:
        ended = end_sessions(session, None, get_user(session, args.username))
        return f"Đã đăng xuất {args.username} khỏi mọi nơi ({ended} phiên)."

    return _with_session(settings, run)


def cmd_user_delete(args: argparse.Namespace, settings: Settings) -> int:
    from controller.access.account_care import delete_user, get_user

    def run(session: Session) -> str:
        delete_user(session, None, get_user(session, args.username))
        return f"Đã xoá người dùng {args.username}."

    return _with_session(settings, run)


def add_user_commands(user: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The account-care subcommands of `loaxa user`."""
    user.add_parser("list", help="users, roles, state and live sessions").set_defaults(func=cmd_user_list)
    passwd = user.add_parser("passwd", help="set a user's password; every session of the user ends")
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.set_defaults(func=cmd_user_passwd)
    for name, active, text in (
        ("deactivate", False, "lock an account: its sessions end and it cannot log in"),
        ("activate", True, "unlock an account"),
    ):
        sub = user.add_parser(name, help=text)
        sub.add_argument("username")
        sub.set_defaults(func=cmd_user_active, active=active)
    logout = user.add_parser("logout", help="end every session and API token of a user")
    logout.add_argument("username")
    logout.set_defaults(func=cmd_user_logout)
    delete = user.add_parser("delete", help="delete an account created by mistake (refused if it did anything)")
    delete.add_argument("username")
    delete.set_defaults(func=cmd_user_delete)
