"""What the black-box audit of issue 12 tried and found holding, kept as regression tests.

Path traversal on every route that serves files, stored XSS rendered in the console, and role escalation
through the API: each attack as an outsider would send it, against the real controller over HTTP.
(MQTT forgeries and replays are in tests/devices/test_broker_auth.py and tests/e2e/test_device_commands.py;
CSRF in tests/controller/test_web_login.py; oversized bodies in tests/controller/test_api.py.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from controller.accounts import Role
from controller.settings import Settings
from firmware_sim import NodeIdentity
from tests.console import ConsoleClient
from tests.harness import Api, ControllerServer, add_user_directly, login, setup_commune

pytestmark = pytest.mark.one_database(
    "sqlite", why="HTTP routing, escaping and role checks; the database is incidental"
)

SECRET_FILES = ("/etc/passwd", "pyproject.toml", "controller/settings.py")
TRAVERSALS = [
    "../../../../etc/passwd",
    "..%2f..%2f..%2f..%2fetc%2fpasswd",
    "%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..%252f..%252f..%252fetc%252fpasswd",
    "....//....//....//etc/passwd",
    "..\\..\\..\\..\\etc\\passwd",
    "%5c..%5c..%5c..%5cetc%5cpasswd",
    "/etc/passwd",
    "%2fetc%2fpasswd",
    "..%00/etc/passwd",
    "../../pyproject.toml",
    "..%2f..%2fpyproject.toml",
    "../../controller/settings.py",
]
FILE_ROUTES = ["/api/v1/audio/", "/am-thanh/", "/api/v1/node/audio/", "/tinh/"]
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'><svg onload=alert(2)>'


@pytest.fixture
def parties(settings: Settings, controller: ControllerServer, admin: Api) -> Iterator[dict[str, Any]]:
    nodes = setup_commune(admin, "P", "XA-A", ["A1"])
    setup_commune(admin, "P", "XA-B", ["B1"])
    users = {
        "officer.a": Role.OFFICER,
        "approver.a": Role.APPROVER,
        "monitor.a": Role.MONITOR,
    }
    apis = {}
    for username, role in users.items():
        add_user_directly(settings, username, role, f"{username}-pass", commune_codes=["XA-A"])
        apis[username] = login(controller.base_url, username, f"{username}-pass")
    add_user_directly(settings, "officer.b", Role.OFFICER, "officer.b-pass", commune_codes=["XA-B"])
    apis["officer.b"] = login(controller.base_url, "officer.b", "officer.b-pass")
    console = ConsoleClient(controller.base_url)
    console.login("officer.a", "officer.a-pass")
    yield {"admin": admin, "node": nodes[0], "console": console, **apis}
    console.close()
    for api in apis.values():
        api.client.close()


def _leaks(response: httpx.Response) -> bool:
    return "root:" in response.text or "[project]" in response.text or "class Settings" in response.text


def test_path_traversal_never_leaves_the_audio_store_or_the_static_folder(
    parties: dict[str, Any], controller: ControllerServer
) -> None:
    node: NodeIdentity = parties["node"]
    clients = {
        "/api/v1/audio/": parties["admin"].client,
        "/am-thanh/": parties["console"].client,
        "/api/v1/node/audio/": httpx.Client(base_url=controller.base_url, auth=(node.device_code, node.password)),
        "/tinh/": httpx.Client(base_url=controller.base_url),
    }
    tried = 0
    for route in FILE_ROUTES:
        for attack in TRAVERSALS:
            for suffix in ("", ".opus", ".mp3"):
                # Raw paths: httpx must not normalise the dots away before they reach the server.
                url = httpx.URL(controller.base_url).copy_with(raw_path=(route + attack + suffix).encode())
                response = clients[route].get(url)
                tried += 1
                assert response.status_code in (400, 403, 404), (route, attack, response.status_code)
                assert not _leaks(response), (route, attack)
    assert tried == len(FILE_ROUTES) * len(TRAVERSALS) * 3
    for name in ("htmx.min.js", "console.css"):
        response = clients["/tinh/"].get(f"/tinh/{name}")
        assert response.status_code in (200, 404)


def test_stored_markup_is_shown_as_text_and_the_console_runs_no_inline_script(parties: dict[str, Any]) -> None:
    officer: Api = parties["officer.a"]
    response = officer.post(
        "/api/v1/bulletins",
        {"commune_code": "XA-A", "title": XSS[:300], "body": XSS, "topic": XSS[:100]},
    )
    assert response.status_code == 201, response.text
    bulletin_id = response.json()["id"]
    assert officer.post(f"/api/v1/bulletins/{bulletin_id}/submit").status_code == 200
    console: ConsoleClient = parties["console"]
    approver = ConsoleClient(str(console.client.base_url))
    approver.login("approver.a", "approver.a-pass")
    try:
        pages = [
            console.get("/ban-tin"),
            console.get(f"/ban-tin/{bulletin_id}"),
            approver.get("/duyet"),
            approver.get(f"/ban-tin/{bulletin_id}"),
        ]
    finally:
        approver.close()
    for page in pages:
        assert page.status_code == 200, page.url
        assert not any(raw in page.text for raw in ("<script>alert", "<img src=x", "<svg onload")), page.url
        assert "&lt;script&gt;alert" in page.text, f"{page.url} does not show the title as text"
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert page.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    ("who", "method", "path", "body"),
    [
        ("officer.a", "POST", "/api/v1/users", {"username": "boss", "password": "password-1", "role": "admin"}),
        ("approver.a", "POST", "/api/v1/users", {"username": "boss", "password": "password-1", "role": "admin"}),
        ("monitor.a", "POST", "/api/v1/users", {"username": "boss", "password": "password-1", "role": "admin"}),
        ("officer.a", "POST", "/api/v1/provinces", {"code": "P2", "name": "Tỉnh 2"}),
        ("officer.a", "POST", "/api/v1/communes/XA-A/devices", {"code": "EVIL", "name": "Cụm giả"}),
        ("monitor.a", "POST", "/api/v1/communes/XA-A/commands", {"name": "reboot"}),
        ("approver.a", "POST", "/api/v1/communes/XA-A/commands", {"name": "stop"}),
        ("officer.b", "POST", "/api/v1/communes/XA-A/commands", {"name": "stop"}),
        ("officer.b", "POST", "/api/v1/bulletins", {"commune_code": "XA-A", "title": "Giả", "body": "Giả mạo."}),
        ("monitor.a", "POST", "/api/v1/bulletins", {"commune_code": "XA-A", "title": "Giả", "body": "Giả mạo."}),
        ("officer.a", "POST", "/api/v1/lexicon", {"abbreviation": "X", "expansion": "y"}),
    ],
)
def test_roles_cannot_reach_beyond_themselves(
    parties: dict[str, Any], who: str, method: str, path: str, body: dict[str, Any]
) -> None:
    api: Api = parties[who]
    response = api.client.request(method, path, json=body)
    assert response.status_code == 403, (who, path, response.text)


def test_an_officer_cannot_approve_their_own_bulletin_nor_one_of_another_commune(parties: dict[str, Any]) -> None:
    officer: Api = parties["officer.a"]
    created = officer.post("/api/v1/bulletins", {"commune_code": "XA-A", "title": "Tự duyệt", "body": "Thử."})
    bulletin_id = created.json()["id"]
    assert officer.post(f"/api/v1/bulletins/{bulletin_id}/submit").status_code == 200
    assert officer.post(f"/api/v1/bulletins/{bulletin_id}/approve").status_code == 403
    assert parties["officer.b"].post(f"/api/v1/bulletins/{bulletin_id}/approve").status_code in (403, 404)
    assert parties["admin"].get(f"/api/v1/bulletins/{bulletin_id}").json()["status"] == "pending"
