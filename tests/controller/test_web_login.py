"""Console login: Vietnamese pages, session cookie flags, CSRF, the login rate limit, sessions vs tokens."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from controller.accounts import Role
from controller.settings import Settings
from tests.console import ConsoleClient
from tests.harness import ControllerServer, add_user_directly


@pytest.fixture
def console(settings: Settings, controller: ControllerServer) -> Iterator[ConsoleClient]:
    add_user_directly(settings, "canbo", Role.OFFICER, "officer-pass-1")
    client = ConsoleClient(controller.base_url)
    yield client
    client.close()


def test_login_page_is_vietnamese_and_offline(console: ConsoleClient) -> None:
    page = console.get("/dang-nhap")
    assert page.status_code == 200 and '<html lang="vi"' in page.text
    assert "Đăng nhập" in page.text and "Mật khẩu" in page.text and 'name="viewport"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"] and page.headers["x-frame-options"] == "DENY"
    # Every script and stylesheet is served by the controller itself: no CDN.
    assert "http" not in "".join(line for line in page.text.splitlines() if "<script" in line or "<link" in line)
    assert console.client.get("/tinh/htmx.min.js").status_code == 200
    assert console.client.get("/tinh/style.css").status_code == 200
    assert console.get("/").headers["location"] == "/dang-nhap"
    assert console.get("/ban-tin").headers["location"].startswith("/dang-nhap")


def test_login_sets_a_hardened_session_that_is_no_api_token(console: ConsoleClient) -> None:
    response = console.login("canbo", "officer-pass-1")
    assert response.status_code == 303 and response.headers["location"] == "/ban-tin"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("loaxa_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # test env: plain http
    session = console.client.cookies["loaxa_session"]
    as_bearer = httpx.get(f"{console.client.base_url}/api/v1/users/me", headers={"Authorization": f"Bearer {session}"})
    assert as_bearer.status_code == 401
    assert console.post("/dang-xuat").headers["location"] == "/dang-nhap"
    assert console.get("/ban-tin").status_code == 303


def test_wrong_password_then_rate_limit_per_user_and_address(console: ConsoleClient, settings: Settings) -> None:
    console.get("/dang-nhap")
    for _ in range(settings.web.login_max_failures):
        wrong = console.post("/dang-nhap", {"username": "canbo", "password": "wrong-password"})
        assert wrong.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu." in wrong.text
    blocked = console.post("/dang-nhap", {"username": "canbo", "password": "officer-pass-1"})
    assert blocked.status_code == 429 and "quá nhiều lần" in blocked.text and int(blocked.headers["retry-after"]) > 0
    # Another username from the same address is not held back by canbo's failures.
    other = console.post("/dang-nhap", {"username": "khac", "password": "x"})
    assert other.status_code == 401


def test_forms_without_the_csrf_token_are_refused(console: ConsoleClient) -> None:
    console.login("canbo", "officer-pass-1")
    refused = console.client.post("/dang-xuat", data={"csrf_token": "0" * 64})
    assert refused.status_code == 403 and "Biểu mẫu đã hết hạn" in refused.text
    refused = console.client.post("/dang-xuat")
    assert refused.status_code == 403
    assert console.get("/ban-tin").status_code == 200, "still logged in: the forged logout did nothing"


def test_large_text_mode_is_remembered(console: ConsoleClient) -> None:
    assert 'class="chu-lon"' not in console.get("/dang-nhap").text
    assert console.post("/chu-lon", {"next": "/dang-nhap"}).headers["location"] == "/dang-nhap"
    assert 'class="chu-lon"' in console.get("/dang-nhap").text


def test_login_redirects_only_to_this_site(console: ConsoleClient) -> None:
    console.get("/dang-nhap")
    response = console.post("/dang-nhap", {"username": "canbo", "password": "officer-pass-1", "next": "//evil.example"})
    assert response.headers["location"] == "/ban-tin"
