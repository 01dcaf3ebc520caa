"""Admin pages: users, places and clusters (credentials shown once), the lexicon, and the audit log,
which records changes made through the console and through the API alike."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.conftest import ADMIN_PASSWORD
from tests.console import ConsoleClient
from tests.harness import Api, ControllerServer


@pytest.fixture
def console(controller: ControllerServer, admin: Api) -> Iterator[ConsoleClient]:
    client = ConsoleClient(controller.base_url)
    client.login("admin", ADMIN_PASSWORD)
    yield client
    client.close()


def test_places_and_clusters_with_credentials_shown_once(console: ConsoleClient) -> None:
    console.get("/quan-tri/dia-ban")
    assert console.post("/quan-tri/dia-ban/tinh", {"code": "LA", "name": "Long An"}).status_code == 303
    assert (
        console.post("/quan-tri/dia-ban/xa", {"province_code": "LA", "code": "XA-1", "name": "Xã Một"}).status_code
        == 303
    )
    duplicate = console.post("/quan-tri/dia-ban/xa", {"province_code": "LA", "code": "XA-1", "name": "Xã Một"})
    assert duplicate.status_code == 422 and 'class="loi"' in duplicate.text
    added = console.post("/quan-tri/dia-ban/cum-loa", {"commune_code": "XA-1", "code": "LOA-1", "name": "Chợ"})
    assert added.status_code == 200 and "chỉ hiện một lần" in added.text
    password = re.search(r'<code id="mat-khau-thiet-bi">([^<]+)</code>', added.text)
    assert password is not None and len(password.group(1)) >= 24
    again = console.get("/quan-tri/dia-ban")
    assert "LOA-1" in again.text and password.group(1) not in again.text
    bad = console.post("/quan-tri/dia-ban/cum-loa", {"commune_code": "XA-1", "code": "bad/code"})
    assert bad.status_code == 422


def test_users_with_roles_and_scope(console: ConsoleClient, controller: ControllerServer) -> None:
    console.post("/quan-tri/dia-ban/tinh", {"code": "LA", "name": "Long An"})
    console.post("/quan-tri/dia-ban/xa", {"province_code": "LA", "code": "XA-1", "name": "Xã Một"})
    console.get("/quan-tri/nguoi-dung")
    short = console.post(
        "/quan-tri/nguoi-dung",
        {"username": "canbo.moi", "full_name": "Nguyễn Văn A", "role": "officer", "password": "ngan"},
    )
    assert short.status_code == 422 and "Mật khẩu: quá ngắn (ít nhất 8 ký tự)." in short.text
    assert "Nguyễn Văn A" in short.text, "what was typed comes back"
    created = console.post(
        "/quan-tri/nguoi-dung",
        {"username": "canbo.moi", "role": "officer", "password": "mat-khau-dai", "commune_codes": ["XA-1"]},
    )
    assert created.status_code == 303
    officer = ConsoleClient(controller.base_url)
    try:
        assert officer.login("canbo.moi", "mat-khau-dai").headers["location"] == "/ban-tin"
        assert "Xã Một" in officer.get("/ban-tin/moi").text
        assert officer.get("/quan-tri/nhat-ky").status_code == 403
    finally:
        officer.close()


def test_lexicon_and_audit_log_from_console_and_api(console: ConsoleClient, admin: Api) -> None:
    console.get("/quan-tri/tu-dien")
    bad = console.post("/quan-tri/tu-dien", {"abbreviation": "htx", "expansion": "hợp tác xã"})
    assert bad.status_code == 422 and "Chữ viết tắt phải là một từ liền" in bad.text and "hợp tác xã" in bad.text
    assert console.post("/quan-tri/tu-dien", {"abbreviation": "HTX", "expansion": "hợp tác xã"}).status_code == 303
    page = console.get("/quan-tri/tu-dien")
    entry_id = re.search(r"/quan-tri/tu-dien/([0-9]+)/xoa", page.text)
    assert entry_id is not None and "hợp tác xã" in page.text
    assert console.post(f"/quan-tri/tu-dien/{entry_id.group(1)}/xoa").status_code == 303
    assert "Chưa có mục nào." in console.get("/quan-tri/tu-dien").text
    assert admin.post("/api/v1/lexicon", {"abbreviation": "UBND", "expansion": "ủy ban nhân dân"}).status_code == 201

    log = console.get("/quan-tri/nhat-ky").text
    rows = re.findall(r"<td>(admin|hệ thống)</td>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>", log)
    assert [(who, what, target) for who, what, target in rows][:3] == [
        ("admin", "Thêm chữ viết tắt", "lexicon:UBND"),
        ("admin", "Xoá chữ viết tắt", "lexicon:HTX"),
        ("admin", "Thêm chữ viết tắt", "lexicon:HTX"),
    ]
    filtered = console.get("/quan-tri/nhat-ky?action=lexicon.delete").text
    assert "lexicon:HTX" in filtered and "lexicon:UBND" not in filtered
