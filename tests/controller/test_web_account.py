"""Console account pages: one's own password and sessions (/tai-khoan), and an admin's care of one user
(/quan-tri/nguoi-dung/{username}), each checked by trying the old cookie afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from controller.accounts import Role
from controller.settings import Settings
from tests.console import ConsoleClient
from tests.harness import Api, ControllerServer, add_user_directly

PASSWORD = "officer-pass-1"


def opens_pages(base_url: str, cookie: str) -> bool:
    with httpx.Client(base_url=base_url, cookies={"loaxa_session": cookie}) as client:
        return client.get("/giam-sat").status_code == 200


@pytest.fixture
def browsers(settings: Settings, controller: ControllerServer, admin: Api) -> Iterator[list[ConsoleClient]]:
    """Three browsers: the officer on two devices, and an admin."""
    add_user_directly(settings, "canbo", Role.OFFICER, PASSWORD)
    clients = [ConsoleClient(controller.base_url) for _ in range(3)]
    clients[0].login("canbo", PASSWORD)
    clients[1].login("canbo", PASSWORD)
    clients[2].login("admin", "admin-password-1")
    yield clients
    for client in clients:
        client.close()


def test_own_password_change_logs_out_other_devices(
    controller: ControllerServer, browsers: list[ConsoleClient]
) -> None:
    phone, laptop, _ = browsers
    page = phone.get("/ban-tin")
    assert 'href="/tai-khoan"' in page.text, "the header links to the account page"
    page = phone.get("/tai-khoan")
    assert page.status_code == 200 and "Đổi mật khẩu" in page.text and "2 nơi" in page.text
    before = phone.client.cookies["loaxa_session"]
    wrong = phone.post(
        "/tai-khoan/mat-khau",
        {"current_password": "sai", "new_password": "mat-khau-moi-1", "new_password_again": "mat-khau-moi-1"},
    )
    assert wrong.status_code == 403 and "Mật khẩu hiện tại không đúng." in wrong.text
    mismatch = phone.post(
        "/tai-khoan/mat-khau",
        {"current_password": PASSWORD, "new_password": "mat-khau-moi-1", "new_password_again": "mat-khau-moi-2"},
    )
    assert mismatch.status_code == 422 and "không giống nhau" in mismatch.text
    short = phone.post(
        "/tai-khoan/mat-khau", {"current_password": PASSWORD, "new_password": "ngan", "new_password_again": "ngan"}
    )
    assert short.status_code == 422 and "Mật khẩu mới: quá ngắn (ít nhất 8 ký tự)." in short.text
    done = phone.post(
        "/tai-khoan/mat-khau",
        {"current_password": PASSWORD, "new_password": "mat-khau-moi-1", "new_password_again": "mat-khau-moi-1"},
    )
    assert done.status_code == 303 and done.headers["location"] == "/tai-khoan?tb=da-doi-mat-khau"
    assert not opens_pages(controller.base_url, before), "the cookie from before the change is dead"
    assert laptop.get("/ban-tin").status_code == 303, "the other device is logged out"
    page = phone.get("/tai-khoan?tb=da-doi-mat-khau")
    assert page.status_code == 200 and "Đã đổi mật khẩu" in page.text and "1 nơi" in page.text


def test_logout_elsewhere_keeps_this_browser(browsers: list[ConsoleClient]) -> None:
    phone, laptop, _ = browsers
    phone.get("/tai-khoan")
    assert phone.post("/tai-khoan/dang-xuat-noi-khac").status_code == 303
    assert laptop.get("/ban-tin").status_code == 303
    assert phone.get("/ban-tin").status_code == 200


def test_admin_user_page_actions(controller: ControllerServer, browsers: list[ConsoleClient]) -> None:
    phone, laptop, admin = browsers
    listing = admin.get("/quan-tri/nguoi-dung")
    assert 'href="/quan-tri/nguoi-dung/canbo"' in listing.text and "Đang hoạt động" in listing.text
    page = admin.get("/quan-tri/nguoi-dung/canbo")
    assert page.status_code == 200 and "2 nơi" in page.text and "Khoá tài khoản" in page.text

    assert admin.post("/quan-tri/nguoi-dung/canbo/dang-xuat").status_code == 303
    assert phone.get("/ban-tin").status_code == 303 and laptop.get("/ban-tin").status_code == 303

    phone.login("canbo", PASSWORD)
    assert admin.post("/quan-tri/nguoi-dung/canbo/khoa").headers["location"].endswith("tb=da-khoa")
    assert phone.get("/ban-tin").status_code == 303
    assert phone.login("canbo", PASSWORD).status_code == 401
    assert "Đã khoá" in admin.get("/quan-tri/nguoi-dung/canbo").text
    assert admin.post("/quan-tri/nguoi-dung/canbo/mo-khoa").status_code == 303

    short = admin.post("/quan-tri/nguoi-dung/canbo/mat-khau", {"new_password": "ngan"})
    assert short.status_code == 422 and "quá ngắn" in short.text
    assert admin.post("/quan-tri/nguoi-dung/canbo/mat-khau", {"new_password": "dat-lai-1234"}).status_code == 303
    assert phone.login("canbo", "dat-lai-1234").status_code == 303

    unconfirmed = admin.post("/quan-tri/nguoi-dung/canbo/xoa")
    assert unconfirmed.status_code == 422 and "xác nhận" in unconfirmed.text
    deleted = admin.post("/quan-tri/nguoi-dung/canbo/xoa", {"confirm": "co"})
    assert deleted.headers["location"] == "/quan-tri/nguoi-dung?tb=da-xoa-nguoi-dung"
    assert phone.get("/ban-tin").status_code == 303
    assert admin.get("/quan-tri/nguoi-dung/canbo").status_code == 404
    log = admin.get("/quan-tri/nhat-ky").text
    for action in ("Xoá người dùng", "Đặt lại mật khẩu người dùng", "Khoá tài khoản", "Đăng xuất khỏi mọi nơi"):
        assert action in log


def test_admin_cannot_lock_themselves_and_officers_cannot_manage(browsers: list[ConsoleClient]) -> None:
    phone, _, admin = browsers
    own = admin.get("/quan-tri/nguoi-dung/admin")
    assert "bạn không thể tự khoá hay xoá chính mình" in own.text and "Khoá tài khoản</button>" not in own.text
    refused = admin.post("/quan-tri/nguoi-dung/admin/khoa")
    assert refused.status_code == 422 and "chính mình" in refused.text
    assert admin.get("/giam-sat").status_code == 200
    assert phone.get("/quan-tri/nguoi-dung/admin").status_code == 403
    phone.get("/tai-khoan")
    assert phone.post("/quan-tri/nguoi-dung/admin/mat-khau", {"new_password": "chiem-quyen-1"}).status_code == 403
    assert phone.post("/quan-tri/nguoi-dung/admin/khoa").status_code == 403
