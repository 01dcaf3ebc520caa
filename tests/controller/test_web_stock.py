"""The stock library page: admins write, voice and approve (not their own change); others only read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from controller.accounts import Role
from controller.settings import Settings
from tests.conftest import ADMIN_PASSWORD
from tests.console import ConsoleClient
from tests.harness import Api, ControllerServer, add_user_directly


@pytest.fixture
def console(controller: ControllerServer, admin: Api) -> Iterator[ConsoleClient]:
    client = ConsoleClient(controller.base_url)
    client.login("admin", ADMIN_PASSWORD)
    yield client
    client.close()


def test_admins_keep_the_stock_library_from_the_console(
    settings: Settings, controller: ControllerServer, console: ConsoleClient
) -> None:
    page = console.get("/ban-tin-mau")
    assert page.status_code == 200 and "Thư viện bản tin mẫu" in page.text and "chưa có bản tin nào" in page.text
    assert 'href="/ban-tin-mau"' in page.text  # in the menu

    # Bad input: an unknown language or key, an empty title: a clear Vietnamese error, nothing stored.
    bad_language = console.post("/ban-tin-mau/luu", {"key": "storm", "language": "fr", "title": "Bão"})
    assert bad_language.status_code == 422 and "Ngôn ngữ này chưa có" in bad_language.text
    bad_key = console.post("/ban-tin-mau/luu", {"key": "typhoon", "language": "vi", "title": "Bão"})
    assert bad_key.status_code == 422 and "Loại bản tin mẫu không hợp lệ" in bad_key.text
    assert console.post("/ban-tin-mau/luu", {"key": "storm", "language": "vi", "title": " "}).status_code == 422
    assert "chưa có bản tin nào" in console.get("/ban-tin-mau").text

    saved = console.post(
        "/ban-tin-mau/luu", {"key": "storm", "language": "vi", "title": "Cảnh báo bão", "text": "Bão đang đến."}
    )
    assert saved.status_code == 303
    assert console.post("/ban-tin-mau/storm/vi/doc").status_code == 303
    page = console.get("/ban-tin-mau?tb=da-doc")
    assert "Đã tạo âm thanh" in page.text and "Cần một quản trị viên khác duyệt" in page.text
    assert console.post("/ban-tin-mau/storm/vi/duyet").status_code == 403  # not one's own change

    # Khmer without a recording: told plainly that a recording is needed.
    console.post("/ban-tin-mau/luu", {"key": "flood", "language": "km", "title": "Lũ (Khmer)", "text": "ទឹកជំនន់"})
    khmer = console.post("/ban-tin-mau/flood/km/doc")
    assert khmer.status_code == 422 and "tải lên bản ghi âm" in khmer.text
    assert (
        console.post("/ban-tin-mau/flood/km/ghi-am", files={"recording": ("x.wav", b"", "audio/wav")}).status_code
        == 422
    )

    # Another admin approves; a monitor reads the page but has no forms.
    add_user_directly(settings, "quantri2", Role.ADMIN, "admin-pass-2")
    other = ConsoleClient(controller.base_url)
    other.login("quantri2", "admin-pass-2")
    try:
        other.get("/ban-tin-mau")
        assert other.post("/ban-tin-mau/storm/vi/duyet").status_code == 303
        assert "Đã duyệt, có trên cụm loa" in other.get("/ban-tin-mau?tb=da-duyet").text
    finally:
        other.close()
    add_user_directly(settings, "giamsat", Role.MONITOR, "monitor-pass-1")
    monitor = ConsoleClient(controller.base_url)
    monitor.login("giamsat", "monitor-pass-1")
    try:
        page = monitor.get("/ban-tin-mau")
        assert "Cảnh báo bão" in page.text and "Lưu bản nháp" not in page.text
        assert monitor.post("/ban-tin-mau/luu", {"key": "fire", "language": "vi", "title": "Cháy"}).status_code == 403
    finally:
        monitor.close()
    assert console.post("/ban-tin-mau/storm/vi/xoa").status_code == 303
    table = console.get("/ban-tin-mau?tb=da-go").text.split("<table")[1].split("</table>")[0]
    assert "/ban-tin-mau/storm/vi/" not in table and "/ban-tin-mau/flood/km/" in table
