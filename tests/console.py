"""A browser-less console client for tests: httpx with cookies, reading the CSRF token from pages."""

from __future__ import annotations

import re
from typing import Any

import httpx

_CSRF_RE = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_of(page: httpx.Response) -> str:
    match = _CSRF_RE.search(page.text)
    assert match is not None, "page has no form with a CSRF token"
    return match.group(1)


class ConsoleClient:
    """One browser: its cookies, the token of the last page it read, and form posts like a browser's."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=60, follow_redirects=False)
        self.csrf = ""

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.get(path, **kwargs)
        if response.status_code == 200 and "csrf_token" in response.text:
            self.csrf = csrf_of(response)
        return response

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        if not self.csrf:
            self.get("/dang-nhap")
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)

    def login(self, username: str, password: str) -> httpx.Response:
        self.get("/dang-nhap")
        response = self.post("/dang-nhap", {"username": username, "password": password})
        self.get("/")  # a page after login: the token is bound to the nonce issued at login
        self.get(response.headers.get("location", "/giam-sat"))
        return response

    def close(self) -> None:
        self.client.close()
