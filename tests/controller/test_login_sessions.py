"""Finding 4 of the security audit (issue 12): sessions and tokens end when they should.

Each test keeps a copy of an API token and a console cookie, as a thief would, ends the login in some way
(logout, password change, deactivation, "end all sessions") and checks that the copies open nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import event
from sqlmodel import col, select

from controller.accounts import Role
from controller.audit import AuditEntry
from controller.db import make_engine, session_factory
from controller.settings import Settings
from tests.console import ConsoleClient
from tests.harness import Api, ControllerServer, add_user_directly, login, setup_commune

PASSWORD = "officer-pass-1"


@dataclass
class Stolen:
    """Copies of one user's credentials: an API token and a console cookie."""

    base_url: str
    token: str
    cookie: str

    def api_works(self) -> bool:
        response = httpx.get(f"{self.base_url}/api/v1/users/me", headers={"Authorization": f"Bearer {self.token}"})
        assert response.status_code in (200, 401), response.text
        return response.status_code == 200

    def console_works(self) -> bool:
        with httpx.Client(base_url=self.base_url, cookies={"loaxa_session": self.cookie}) as client:
            response = client.get("/giam-sat")
        assert response.status_code in (200, 303), response.text
        return response.status_code == 200


def steal(base_url: str, username: str, password: str) -> tuple[Stolen, Api, ConsoleClient]:
    """Log in on the API and the console; copy both credentials."""
    api = login(base_url, username, password)
    console = ConsoleClient(base_url)
    assert console.login(username, password).status_code == 303
    token = api.client.headers["Authorization"].removeprefix("Bearer ")
    stolen = Stolen(base_url, token, console.client.cookies["loaxa_session"])
    assert stolen.api_works() and stolen.console_works()
    return stolen, api, console


Officer = tuple[Stolen, Api, ConsoleClient]


@pytest.fixture
def officer(settings: Settings, controller: ControllerServer, admin: Api) -> Iterator[Officer]:
    add_user_directly(settings, "canbo", Role.OFFICER, PASSWORD)
    stolen, api, console = steal(controller.base_url, "canbo", PASSWORD)
    yield stolen, api, console
    api.client.close()
    console.close()


def test_console_logout_ends_the_session_on_the_server(officer: Officer) -> None:
    stolen, _, console = officer
    assert console.post("/dang-xuat").headers["location"] == "/dang-nhap"
    assert not stolen.console_works(), "the copied cookie still opens pages after logout"
    assert stolen.api_works(), "logging out of the console does not end the API token"


def test_api_logout_ends_the_calling_token(officer: Officer) -> None:
    stolen, api, _ = officer
    assert api.post("/api/v1/auth/logout").status_code == 204
    assert not stolen.api_works()
    refused = api.get("/api/v1/users/me")
    assert refused.status_code == 401 and refused.json()["message"] == "Phiên đăng nhập đã kết thúc."
    assert stolen.console_works()


def test_own_password_change_ends_every_session(controller: ControllerServer, officer: Officer) -> None:
    stolen, api, _ = officer
    short = api.client.put("/api/v1/users/me/password", json={"current_password": PASSWORD, "new_password": "ngan"})
    assert short.status_code == 422
    changed = api.client.put(
        "/api/v1/users/me/password", json={"current_password": PASSWORD, "new_password": "mat-khau-moi-1"}
    )
    assert changed.status_code == 204, changed.text
    assert not stolen.api_works() and not stolen.console_works()
    with httpx.Client(base_url=controller.base_url) as client:
        old = client.post("/api/v1/auth/token", json={"username": "canbo", "password": PASSWORD})
        new = client.post("/api/v1/auth/token", json={"username": "canbo", "password": "mat-khau-moi-1"})
    assert old.status_code == 401 and new.status_code == 200


def test_a_borrowed_token_cannot_guess_the_current_password(settings: Settings, officer: Officer) -> None:
    _, api, _ = officer
    for i in range(settings.web.login_max_failures):
        wrong = api.client.put(
            "/api/v1/users/me/password", json={"current_password": f"doan-{i}", "new_password": "mat-khau-moi-1"}
        )
        assert wrong.status_code == 403 and wrong.json()["error"] == "wrong_current_password"
    right = api.client.put(
        "/api/v1/users/me/password", json={"current_password": PASSWORD, "new_password": "mat-khau-moi-1"}
    )
    assert right.status_code == 429 and "retry-after" in right.headers


def test_deactivation_ends_every_session_and_refuses_login(
    controller: ControllerServer, admin: Api, officer: Officer
) -> None:
    stolen, _, _ = officer
    response = admin.post("/api/v1/users/canbo/deactivate")
    assert response.status_code == 200 and response.json()["active"] is False
    assert not stolen.api_works() and not stolen.console_works()
    with httpx.Client(base_url=controller.base_url) as client:
        assert client.post("/api/v1/auth/token", json={"username": "canbo", "password": PASSWORD}).status_code == 401
        assert admin.post("/api/v1/users/canbo/activate").json()["active"] is True
        assert client.post("/api/v1/auth/token", json={"username": "canbo", "password": PASSWORD}).status_code == 200
    assert not stolen.api_works(), "reactivation does not bring old sessions back"


def test_admin_reset_and_end_sessions(controller: ControllerServer, admin: Api, officer: Officer) -> None:
    stolen, _, _ = officer
    assert admin.client.delete("/api/v1/users/canbo/sessions").status_code == 204
    assert not stolen.api_works() and not stolen.console_works()
    stolen, api, console = steal(controller.base_url, "canbo", PASSWORD)
    try:
        response = admin.client.put("/api/v1/users/canbo/password", json={"new_password": "dat-lai-boi-qtv"})
        assert response.status_code == 204, response.text
        assert not stolen.api_works() and not stolen.console_works()
        stolen, _, _ = steal(controller.base_url, "canbo", "dat-lai-boi-qtv")
        # Anyone may log themselves out everywhere.
        again = login(controller.base_url, "canbo", "dat-lai-boi-qtv")
        assert again.client.delete("/api/v1/users/me/sessions").status_code == 204
        assert not stolen.api_works() and not stolen.console_works()
        again.client.close()
    finally:
        api.client.close()
        console.close()


def test_scope_only_admins_manage_others_and_not_themselves(
    settings: Settings, controller: ControllerServer, admin: Api, officer: Officer
) -> None:
    _, api, _ = officer
    add_user_directly(settings, "nguoikhac", Role.OFFICER, PASSWORD)
    victim, victim_api, victim_console = steal(controller.base_url, "nguoikhac", PASSWORD)
    try:
        attempts = [
            api.client.put("/api/v1/users/nguoikhac/password", json={"new_password": "chiem-quyen-1"}),
            api.post("/api/v1/users/nguoikhac/deactivate"),
            api.client.delete("/api/v1/users/nguoikhac/sessions"),
            api.client.delete("/api/v1/users/nguoikhac"),
            api.post("/api/v1/users/admin/deactivate"),
            api.get("/api/v1/users"),
        ]
        assert [r.status_code for r in attempts] == [403] * len(attempts)
        assert victim.api_works() and victim.console_works()
        # An admin does not lock themselves out, nor remove the last active admin.
        own = admin.post("/api/v1/users/admin/deactivate")
        assert own.status_code == 409 and own.json()["error"] == "own_account"
        assert admin.client.delete("/api/v1/users/admin").status_code == 409
        reset = admin.client.put("/api/v1/users/admin/password", json={"new_password": "khong-hoi-mk-cu"})
        assert reset.status_code == 409, "an admin's own password needs the current one (PUT /users/me/password)"
        assert admin.get("/api/v1/users/me").status_code == 200
    finally:
        victim_api.client.close()
        victim_console.close()


def test_delete_refuses_accountable_users_and_removes_mistakes(
    settings: Settings, controller: ControllerServer, admin: Api
) -> None:
    setup_commune(admin, "P", "XA-A", [])
    add_user_directly(settings, "tac.gia", Role.OFFICER, PASSWORD, commune_codes=["XA-A"])
    add_user_directly(settings, "nham.lan", Role.OFFICER, PASSWORD, commune_codes=["XA-A"])
    author = login(controller.base_url, "tac.gia", PASSWORD)
    bulletin = author.post("/api/v1/bulletins", {"commune_code": "XA-A", "title": "Thông báo", "body": "Nội dung."})
    assert bulletin.status_code == 201, bulletin.text
    author.client.close()
    _, api, console = steal(controller.base_url, "nham.lan", PASSWORD)
    assert api.client.delete("/api/v1/users/me/sessions").status_code == 204  # an audit entry by the user
    console.close()
    api.client.close()

    refused = admin.client.delete("/api/v1/users/tac.gia")
    assert refused.status_code == 409 and refused.json()["error"] == "user_has_records"
    assert "khoá tài khoản" in refused.json()["message"]
    assert admin.client.delete("/api/v1/users/nham.lan").status_code == 204
    assert admin.client.delete("/api/v1/users/nham.lan").status_code == 404
    assert [u["username"] for u in admin.get("/api/v1/users").json()] == ["admin", "tac.gia"]
    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        entries = session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
        by_them = [e for e in entries if e.username == "nham.lan"]
        assert by_them and all(e.user_id is None for e in by_them), "kept, with the name they were written with"
        assert entries[-1].action == "user.delete" and entries[-1].username == "admin"
    engine.dispose()


def test_each_request_checks_its_session_with_one_query(controller: ControllerServer, admin: Api) -> None:
    """Revocation costs one primary-key lookup joined to the user, per request, not one per table."""
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "login_session" in statement or "app_user" in statement:
            statements.append(statement)

    event.listen(controller.services.engine, "before_cursor_execute", seen)
    try:
        assert admin.get("/api/v1/users/me").status_code == 200
    finally:
        event.remove(controller.services.engine, "before_cursor_execute", seen)
    assert len(statements) == 1 and "JOIN login_session" in statements[0], statements
