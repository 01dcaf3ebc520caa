"""The public listening site in a real browser (Debian's Chromium, 360 px), checked with axe-core.

axe-core (Deque, MPL-2.0) is vendored as `tests/web/data/axe.min.js`, the file of the npm package
axe-core 4.14.1 as published: the engine itself, no wrapper to trust or keep up to date, no network at
test time. Every public page, in the normal look and with large text and high contrast, must have zero
violations of WCAG 2.0/2.1 A and AA. Then a listener's path by keyboard and with JavaScript off, and the
player's speed and skip controls with it on, and an audiobook series resuming where the listener
stopped. Screenshots: test-artifacts/web/nghe-lai-*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from controller.settings import Settings
from tests.controller.test_listen_again import Site, _bulletin
from tests.controller.test_web_bulletins import tone_wav
from tests.harness import Api, ControllerServer, setup_commune, staff

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 740}
AXE = (Path(__file__).parent / "data" / "axe.min.js").read_text()
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Three bulletins a page, so that paging shows with few bulletins (each costs an approval)."""
    return settings.model_copy(update={"public": settings.public.model_copy(update={"page_size": 3})})


@pytest.fixture
def site(
    settings: Settings, controller: ControllerServer, admin: Api, request: pytest.FixtureRequest
) -> Iterator[Site]:
    setup_commune(admin, "TINH", "XA-A", [])
    setup_commune(admin, "TINH", "XA-B", [])
    officer, approver = staff(settings, controller.base_url, request, province="TINH")
    with httpx.Client(base_url=controller.base_url, timeout=60) as public:
        built = Site(controller.base_url, officer, approver, public)
        body = "Điều 1. Người đi xe máy phải đội mũ bảo hiểm.\nĐiều 2. Phạt tiền từ 400.000 đồng đến 600.000 đồng."
        _bulletin(built, "XA-A", "Đội mũ bảo hiểm khi đi xe máy", body, schedule="XA-A", seconds=30.0)
        for n in range(3):
            _bulletin(built, "XA-A", f"Bản tin số {n + 1}", schedule="XA-A")
        # A Khmer version of one (recorded), approved with it: its page shows both.
        two = built.row_ids["Bản tin số 2"]
        version = f"/api/v1/bulletins/{two}/translations/km"
        assert officer.client.put(version, json={"title": "ដំណឹង", "body": "អត្ថបទខ្មែរ។"}).status_code == 201
        assert officer.client.put(f"{version}/recording", content=tone_wav(1.0)).status_code == 200
        assert approver.post(f"/api/v1/bulletins/{two}/approve").status_code == 200
        # An audiobook series of two of them: a short chapter, then the 30-second one.
        series = officer.post("/api/v1/series", {"title": "Luật Giao thông", "commune_code": "XA-A"}).json()
        for title in ("Bản tin số 1", "Đội mũ bảo hiểm khi đi xe máy"):
            added = officer.post(f"/api/v1/series/{series['id']}/chapters", {"bulletin_id": built.row_ids[title]})
            assert added.status_code == 200, added.text
        built.ids["sách nói"] = series["public_id"]
        yield built


def _page(browser: Any, base_url: str, **options: Any) -> Any:
    context = browser.new_context(base_url=base_url, viewport=PHONE, locale="vi-VN", **options)
    context.set_default_timeout(20_000)
    return context.new_page()


def _axe_violations(page: Any) -> list[str]:
    """axe-core's WCAG 2.1 AA violations on the page as it stands: rule, impact and the elements."""
    page.evaluate(AXE)
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_AA,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in result["violations"]
    ]


def test_every_public_page_passes_axe_at_360px(browser: Any, site: Site, artifacts: Path) -> None:
    public_id = site.ids["Đội mũ bảo hiểm khi đi xe máy"]
    pages = {
        "trang-tinh": "/nghe-lai/",
        "trang-xa": "/nghe-lai/XA-A",
        "trang-xa-2": "/nghe-lai/XA-A?trang=2",
        "tim-khong-thay": "/nghe-lai/XA-A?q=kh%C3%B4ng+c%C3%B3+g%C3%AC",
        "ban-tin": f"/nghe-lai/ban-tin/{public_id}",
        "ban-tin-hai-thu-tieng": f"/nghe-lai/ban-tin/{site.ids['Bản tin số 2']}",
        "ap-phich": "/nghe-lai/XA-A/ap-phich",
        "sach-noi": f"/nghe-lai/sach-noi/{site.ids['sách nói']}",
        "loi": "/nghe-lai/XA-A?trang=abc",
    }
    # The page's own script and styles run under its real policy; axe is injected past it.
    page = _page(browser, site.base_url, bypass_csp=True)
    for look in ("thuong", "chu-lon-tuong-phan"):
        if look != "thuong":
            page.goto("/nghe-lai/")
            page.get_by_role("button", name="Chữ lớn").click()
            page.get_by_role("button", name="Tương phản cao").click()
        for name, path in pages.items():
            page.goto(path)
            assert page.evaluate("document.documentElement.lang") == "vi"
            assert page.title().strip(), name
            if look != "thuong":
                assert page.evaluate("document.documentElement.className") == "chu-lon tuong-phan"
            page.screenshot(path=str(artifacts / f"nghe-lai-{look}-{name}.png"), full_page=True)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{name} scrolls sideways at 360 px: {width}px"
            assert _axe_violations(page) == [], f"{look} {name}"


def test_a_listener_by_keyboard_with_javascript_off(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    page = _page(browser, site.base_url, java_script_enabled=False)
    page.goto("/nghe-lai/XA-A")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Bỏ qua, đến nội dung chính"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none"), "focus is visible"
    page.keyboard.press("Enter")
    assert page.url.endswith("#noi-dung")
    # Search with the keyboard alone, no script: the form is a plain GET.
    page.get_by_label("Tìm trong tiêu đề và nội dung").fill("mũ bảo hiểm")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("1 bản tin phù hợp.")
    page.get_by_role("link", name="Đội mũ bảo hiểm khi đi xe máy", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Đội mũ bảo hiểm khi đi xe máy")
    assert page.title() == "Đội mũ bảo hiểm khi đi xe máy · Nghe lại bản tin loa truyền thanh"
    assert page.locator("audio[controls] source[type='audio/mpeg']").count() == 1
    assert page.locator(".dieu-khien").is_hidden(), "the script-only controls stay hidden without script"
    expect(page.locator(".van-ban")).to_contain_text("Điều 2. Phạt tiền")
    for landmark in ("banner", "main", "contentinfo"):
        assert page.get_by_role(landmark).count() == 1, landmark
    # Large text without script: a form, kept in a cookie, the same page back.
    before = page.url
    page.get_by_role("button", name="Chữ lớn").click()
    assert page.url == before
    assert page.evaluate("document.documentElement.className").strip() == "chu-lon"
    expect(page.get_by_role("button", name="Chữ lớn")).to_have_attribute("aria-pressed", "true")


def test_speed_and_skip_controls_with_javascript(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    errors: list[str] = []
    page = _page(browser, site.base_url)
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"/nghe-lai/ban-tin/{site.ids['Đội mũ bảo hiểm khi đi xe máy']}")
    controls = page.locator(".dieu-khien")
    expect(controls).to_be_visible()
    page.wait_for_function("document.querySelector('audio').readyState >= 1", timeout=20_000)
    assert page.evaluate("document.querySelector('audio').duration") == pytest.approx(30, abs=1.5)
    page.get_by_label("Tốc độ đọc").select_option("1.5")
    assert page.evaluate("document.querySelector('audio').playbackRate") == 1.5
    page.get_by_label("Tốc độ đọc").select_option("0.75")
    assert page.evaluate("document.querySelector('audio').playbackRate") == 0.75
    page.get_by_role("button", name="Tới 15 giây").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("Math.abs(document.querySelector('audio').currentTime - 15) < 1")
    page.get_by_role("button", name="Lùi 15 giây").click()
    page.wait_for_function("document.querySelector('audio').currentTime < 1")
    assert errors == [], errors


def test_a_series_remembers_where_the_listener_stopped(browser: Any, site: Site) -> None:
    """Stop in chapter 2 at 12 s, reload: "Nghe tiếp" names chapter 2 and its player stands at 12 s.
    Without script the page is the plain chapter list."""
    from playwright.sync_api import expect

    errors: list[str] = []
    page = _page(browser, site.base_url)
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    path = f"/nghe-lai/sach-noi/{site.ids['sách nói']}"
    page.goto(path)
    expect(page.locator("[data-nghe-tiep]")).to_be_hidden()
    second = page.get_by_label("Nghe chương 2: Đội mũ bảo hiểm khi đi xe máy")
    second.evaluate("(a) => { a.preload = 'metadata'; a.load(); }")
    page.wait_for_function("(a) => a.readyState >= 1", arg=second.element_handle())
    second.evaluate(
        "(a) => new Promise((done) => { a.addEventListener('seeked', done, {once: true}); a.currentTime = 12; })"
    )
    saved = page.evaluate(f"JSON.parse(localStorage.getItem('nghe-lai:sach-noi:{site.ids['sách nói']}'))")
    assert saved == {"chuong": site.ids["Đội mũ bảo hiểm khi đi xe máy"], "giay": pytest.approx(12, abs=0.5)}

    page.reload()
    offer = page.locator("[data-nghe-tiep]")
    expect(offer).to_be_visible()
    expect(offer.get_by_role("status")).to_have_text("Lần trước bạn dừng ở chương 2, phút 0:12.")
    page.wait_for_function("(a) => Math.abs(a.currentTime - 12) < 0.5", arg=second.element_handle())
    page.get_by_role("button", name="Nghe tiếp chương 2").click()
    assert page.evaluate("document.activeElement.getAttribute('aria-label')").startswith("Nghe chương 2")
    assert second.evaluate("(a) => a.currentTime") >= 11.5
    assert errors == [], errors

    bare = _page(browser, site.base_url, java_script_enabled=False)
    bare.goto(path)
    assert bare.locator("[data-nghe-tiep]").is_hidden()
    assert bare.locator("ol.chuong audio[controls]").count() == 2
    expect(bare.get_by_role("heading", level=3).first).to_have_text("Chương 1: Bản tin số 1")
