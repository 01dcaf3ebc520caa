"""The console in a real browser (headless Chromium) against the real controller, broker and nodes.

An officer writes, previews and submits a bulletin; an approver approves it; the officer schedules it;
the monitor's dashboard shows the simulated clusters report playing it, without a reload. An officer
of commune A cannot see commune B. Every main page fits a 360 px phone. Screenshots: test-artifacts/web/.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from controller.accounts import Role
from controller.settings import Settings
from tests.conftest import ADMIN_PASSWORD
from tests.harness import Api, ControllerServer, FleetRunner, add_user_directly, login, setup_commune

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 740}
PASSWORDS = {"canbo.a": "officer-a-pass", "duyet.a": "approver-a-pass", "canbo.b": "officer-b-pass"}
PASSWORDS["giamsat"] = "monitor-pass-1"
PASSWORDS["admin"] = ADMIN_PASSWORD


@pytest.fixture
def world(settings: Settings, controller: ControllerServer, admin: Api, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Commune A with two running simulated clusters, commune B with one (not running); four people."""
    nodes_a = setup_commune(admin, "TINH", "XA-A", ["LOA-A1", "LOA-A2"])
    setup_commune(admin, "TINH", "XA-B", ["LOA-B1"])
    for code, gps in (("LOA-A1", (10.76, 106.66)), ("LOA-B1", (10.81, 106.71))):
        admin.client.patch(f"/api/v1/devices/{code}", json={"latitude": gps[0], "longitude": gps[1]}).raise_for_status()
    add_user_directly(settings, "canbo.a", Role.OFFICER, PASSWORDS["canbo.a"], commune_codes=["XA-A"])
    add_user_directly(settings, "duyet.a", Role.APPROVER, PASSWORDS["duyet.a"], commune_codes=["XA-A"])
    add_user_directly(settings, "canbo.b", Role.OFFICER, PASSWORDS["canbo.b"], commune_codes=["XA-B"])
    add_user_directly(settings, "giamsat", Role.MONITOR, PASSWORDS["giamsat"], province_code="TINH")
    fleet = FleetRunner(
        settings.node.model_copy(update={"controller_url": controller.base_url}), nodes_a, tmp_path / "nodes"
    )
    fleet.start()
    try:
        fleet.wait_connected()
        yield {"base_url": controller.base_url, "fleet": fleet}
    finally:
        fleet.stop()


def _page(browser: Any, base_url: str, errors: list[str] | None = None) -> Any:
    """A phone-sized page; console errors (a script that failed, a blocked resource) go to `errors`."""
    context = browser.new_context(base_url=base_url, viewport=PHONE, locale="vi-VN")
    context.set_default_timeout(20_000)
    page = context.new_page()
    if errors is not None:
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return page


def _login(page: Any, username: str) -> None:
    page.goto("/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORDS[username])
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(lambda url: "/dang-nhap" not in url)


def _fits_phone(page: Any, artifacts: Path, name: str) -> None:
    """No horizontal scrolling at 360 px; keep a screenshot of the page as the test saw it."""
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} scrolls sideways: {width}px wide"


def test_officer_to_approver_to_speakers(browser: Any, world: dict[str, Any], artifacts: Path) -> None:
    from playwright.sync_api import expect

    base_url = world["base_url"]
    errors: list[str] = []
    officer = _page(browser, base_url, errors)
    officer.goto("/dang-nhap")
    _fits_phone(officer, artifacts, "00-dang-nhap")
    _login(officer, "canbo.a")
    expect(officer).to_have_url(f"{base_url}/ban-tin")
    # Keyboard first: the first Tab reaches the skip link, and it is visibly focused.
    officer.keyboard.press("Tab")
    assert officer.evaluate("document.activeElement.textContent").startswith("Bỏ qua")
    _fits_phone(officer, artifacts, "01-ban-tin")

    officer.get_by_role("link", name="Soạn bản tin", exact=True).click()
    officer.get_by_label("Tiêu đề").fill("Lịch tiêm chủng mở rộng")
    officer.get_by_label("Nội dung").fill("Ngày 5/6/2026, trạm y tế xã tiêm chủng cho trẻ dưới 5 tuổi.")
    officer.get_by_label("Lĩnh vực pháp luật").select_option(label="Y tế, an toàn thực phẩm")
    officer.get_by_label("Chủ đề").fill("y tế")
    officer.get_by_label("Căn cứ pháp lý (mỗi dòng một văn bản)").fill("Nghị định 13/2024/NĐ-CP")
    _fits_phone(officer, artifacts, "02-soan-ban-tin")
    officer.get_by_role("button", name="Lưu bản nháp").click()
    expect(officer.locator("#trang-thai")).to_have_text("Bản nháp")

    officer.get_by_role("button", name="Nghe thử").click()
    expect(officer.locator("#van-ban-doc")).to_contain_text("năm tháng sáu", timeout=60_000)
    source = officer.locator("#xem-truoc audio source").first.get_attribute("src")
    assert officer.request.get(source).status == 200, "the preview audio plays for the officer"
    _fits_phone(officer, artifacts, "03-nghe-thu")
    officer.get_by_role("button", name="Gửi duyệt").click()
    expect(officer.locator("#trang-thai")).to_have_text("Chờ duyệt")
    bulletin_url = officer.url.split("?")[0]

    approver = _page(browser, base_url)
    _login(approver, "duyet.a")
    _fits_phone(approver, artifacts, "04-hang-cho-duyet")
    approver.get_by_role("link", name="Lịch tiêm chủng mở rộng").click()
    approver.get_by_role("button", name="Duyệt", exact=True).click()
    expect(approver.locator("#trang-thai")).to_have_text("Đã duyệt", timeout=60_000)
    _fits_phone(approver, artifacts, "05-da-duyet")

    officer.goto(bulletin_url)
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    starts = datetime.now(zone).replace(microsecond=0) + timedelta(seconds=8)
    officer.get_by_label("Thời điểm phát (giờ Việt Nam)").fill(starts.strftime("%Y-%m-%dT%H:%M:%S"))
    officer.get_by_role("button", name="Lên lịch phát").click()
    expect(officer.locator("#lich-phat")).to_contain_text("Lịch tiêm chủng mở rộng")
    expect(officer.locator("#lich-phat")).to_contain_text(starts.strftime("%H:%M:%S %d/%m/%Y"))
    _fits_phone(officer, artifacts, "06-lich-phat")
    officer.get_by_role("link", name="Xem lịch cả tuần theo khung giờ").click()
    expect(officer.locator("#lich-tuan")).to_contain_text("Lịch tiêm chủng mở rộng")
    _fits_phone(officer, artifacts, "06b-lich-tuan")

    monitor = _page(browser, base_url, errors)
    _login(monitor, "giamsat")
    expect(monitor.locator("#so-cum")).to_have_text("3")
    expect(monitor.locator("#so-hoat-dong")).to_have_text("2")
    monitor.evaluate("window.loaxaNoReload = true")
    # The clusters play at the scheduled second and report; the dashboard shows it by itself.
    plays = monitor.locator("#phat-gan-day tbody tr", has_text="Đã phát")
    expect(plays).to_have_count(2, timeout=45_000)
    assert monitor.evaluate("window.loaxaNoReload === true"), "the dashboard updated without a reload"
    _fits_phone(monitor, artifacts, "07-giam-sat")
    monitor.locator("#phat-gan-day").get_by_role("link").first.click()
    expect(monitor.locator("#nhat-ky-phat")).to_contain_text("Đã phát")
    _fits_phone(monitor, artifacts, "07b-cum-loa")
    monitor.get_by_role("link", name="Bản đồ").first.click()
    expect(monitor.locator("#ban-do .diem-cum")).to_have_count(2)
    _fits_phone(monitor, artifacts, "07c-ban-do")

    large = _page(browser, base_url)
    _login(large, "giamsat")
    large.get_by_role("button", name="Chữ lớn").click()
    expect(large.locator("html")).to_have_class("chu-lon")
    _fits_phone(large, artifacts, "08-giam-sat-chu-lon")
    for page in (officer, approver, monitor, large):
        page.context.close()
    assert errors == [], "no script error and nothing the content security policy blocked"


def test_officer_of_a_cannot_see_b_on_pages_or_api(
    browser: Any, settings: Settings, controller: ControllerServer, admin: Api, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    setup_commune(admin, "TINH", "XA-A", [])
    setup_commune(admin, "TINH", "XA-B", [])
    add_user_directly(settings, "canbo.a", Role.OFFICER, PASSWORDS["canbo.a"], commune_codes=["XA-A"])
    add_user_directly(settings, "canbo.b", Role.OFFICER, PASSWORDS["canbo.b"], commune_codes=["XA-B"])
    officer_b = login(controller.base_url, "canbo.b", PASSWORDS["canbo.b"])
    created = officer_b.post("/api/v1/bulletins", {"commune_code": "XA-B", "title": "Tin xã B", "body": "Nội dung."})
    b_id = created.json()["id"]
    officer_b.client.close()

    page = _page(browser, controller.base_url)
    _login(page, "canbo.a")
    expect(page.locator("main")).not_to_contain_text("Tin xã B")
    for path in (f"/ban-tin/{b_id}", "/xa/XA-B/lich-phat"):
        response = page.goto(path)
        assert response is not None and response.status == 403
        expect(page.locator(".loi")).to_have_text("Bạn không phụ trách địa bàn này.")
    _fits_phone(page, artifacts, "09-khong-phu-trach")
    page.context.close()

    admin_page = _page(browser, controller.base_url)
    _login(admin_page, "admin")
    admin_pages = (
        "/tiep-song",
        "/quan-tri",
        "/quan-tri/nguoi-dung",
        "/quan-tri/dia-ban",
        "/quan-tri/tu-dien",
        "/quan-tri/nhat-ky",
    )
    for path in ("/tai-khoan", "/quan-tri/nguoi-dung/canbo.a", *admin_pages):  # the audit log last: read below
        response = admin_page.goto(path)
        assert response is not None and response.status == 200
        _fits_phone(admin_page, artifacts, "10" + path.replace("/", "-"))
    expect(admin_page.locator("#nhat-ky")).to_contain_text("Soạn bản tin")
    admin_page.context.close()

    officer_a = login(controller.base_url, "canbo.a", PASSWORDS["canbo.a"])
    try:
        for path in (f"/api/v1/bulletins/{b_id}", "/api/v1/communes/XA-B/playlist"):
            api_response: httpx.Response = officer_a.get(path)
            assert api_response.status_code == 403 and api_response.json()["error"] == "out_of_scope"
    finally:
        officer_a.client.close()
