"""`loaxa user ...` account care, run as a real process against the database a real controller uses."""

from __future__ import annotations

import httpx

from controller.accounts import Role
from controller.settings import Settings
from tests.controller.test_cli import run
from tests.harness import Api, ControllerServer, add_user_directly, login


def _env(settings: Settings) -> dict[str, str]:
    return {
        "LOAXA_ENV": "test",
        "LOAXA_DATABASE__URL": settings.database.url,
        "LOAXA_WEB__PASSWORD_TIME_COST": "1",
        "LOAXA_WEB__PASSWORD_MEMORY_KIB": "8192",
    }


def _me(controller: ControllerServer, api: Api) -> int:
    return httpx.get(f"{controller.base_url}/api/v1/users/me", headers=dict(api.client.headers)).status_code


def test_user_commands_end_sessions_and_keep_the_guards(
    settings: Settings, controller: ControllerServer, admin: Api
) -> None:
    env = _env(settings)
    add_user_directly(settings, "canbo", Role.OFFICER, "officer-pass-1")
    officer = login(controller.base_url, "canbo", "officer-pass-1")

    done = run(["user", "passwd", "canbo", "--password-stdin"], env, stdin="mat-khau-moi-1\n")
    assert done.returncode == 0, done.stderr
    assert _me(controller, officer) == 401, "the reset ended the officer's token"
    officer = login(controller.base_url, "canbo", "mat-khau-moi-1")
    assert run(["user", "passwd", "canbo", "--password-stdin"], env, stdin="ngan\n").returncode == 2

    assert run(["user", "logout", "canbo"], env).returncode == 0
    assert _me(controller, officer) == 401
    officer = login(controller.base_url, "canbo", "mat-khau-moi-1")
    assert run(["user", "deactivate", "canbo"], env).returncode == 0
    assert _me(controller, officer) == 401
    listed = run(["user", "list"], env)
    assert "canbo\tofficer\tđã khoá\t0 phiên" in listed.stdout, listed.stdout
    assert run(["user", "activate", "canbo"], env).returncode == 0

    refused = run(["user", "deactivate", "admin"], env)
    assert refused.returncode == 2 and "quản trị viên cuối cùng" in refused.stderr, refused.stderr
    assert run(["user", "delete", "admin"], env).returncode == 2
    assert _me(controller, admin) == 200
    assert run(["user", "delete", "canbo"], env).returncode == 0
    assert run(["user", "delete", "canbo"], env).returncode == 2  # no such user any more
    entries = admin.get("/api/v1/users").json()
    assert [u["username"] for u in entries] == ["admin"]
