"""The live page in a real browser: Chromium with a fake microphone playing pulses of a known tone
(Chromium's fake-media flags), the page's MediaRecorder and WebSocket, the controller, Icecast and
simulated nodes. The audio reaches every targeted cluster and no other; mouth-to-horn latency is timed on
each pulse (from the moment the page opened the microphone, when the fake device starts its file).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from controller.accounts import Role
from controller.settings import Settings
from devices.icecast import IcecastServer
from tests.harness import Api, ControllerServer, FleetRunner, add_user_directly, read_playlog, setup_commune
from tests.live_audio import mouth_to_horn_s, onsets, pulse_wav
from tests.tone_source import read_wav

pytestmark = pytest.mark.e2e

COMMUNE = "XA-LIVE"
CLUSTERS = ["LV-01", "LV-02", "LV-03"]
TARGETS = CLUSTERS[:2]
SPEAK_S = 9.0


@pytest.fixture
def admin(live_admin: Api) -> Api:
    return live_admin


@pytest.fixture
def microphone_browser(playwright: Any, chromium_path: str, tmp_path: Path) -> Iterator[Any]:
    """Chromium whose microphone plays the pulses (without asking the user for permission)."""
    wav = pulse_wav(tmp_path / "pulses.wav", 30)
    instance = playwright.chromium.launch(
        executable_path=chromium_path,
        args=[
            "--no-sandbox",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )
    yield instance
    instance.close()


def test_officer_goes_live_from_the_browser(
    settings: Settings,
    live_controller: tuple[ControllerServer, IcecastServer],
    admin: Api,
    microphone_browser: Any,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    controller, _ = live_controller
    identities = setup_commune(admin, "TINH-LV", COMMUNE, CLUSTERS)
    add_user_directly(settings, "canbo", Role.OFFICER, "officer-pass-1", commune_codes=[COMMUNE])
    granted = admin.post("/api/v1/live-grants", {"username": "canbo", "commune_code": COMMUNE})
    assert granted.status_code == 201, granted.text
    node_settings = settings.node.model_copy(
        update={"controller_url": controller.base_url, "command_public_key": controller.services.command_public_key()}
    )
    fleet = FleetRunner(node_settings, identities, tmp_path / "nodes")
    playlogs = {code: tmp_path / "nodes" / code / "recordings" / "playlog.jsonl" for code in CLUSTERS}
    fleet.start()
    errors: list[str] = []
    context = microphone_browser.new_context(
        base_url=controller.base_url, viewport={"width": 360, "height": 740}, locale="vi-VN"
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    try:
        fleet.wait_connected()
        page.goto("/dang-nhap")
        page.get_by_label("Tên đăng nhập").fill("canbo")
        page.get_by_label("Mật khẩu").fill("officer-pass-1")
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(lambda url: "/dang-nhap" not in url)
        page.get_by_role("link", name="Phát trực tiếp").click()
        page.get_by_label("Một số cụm loa").check()
        for code in TARGETS:
            page.get_by_label(code).check()
        page.get_by_label("Nội dung (để ghi vào nhật ký)").fill("Lịch tiêm chủng chuyển sang chiều nay")
        page.get_by_role("button", name="Bắt đầu nói").click()
        form = page.locator("#phat-truc-tiep")
        expect(form).to_have_attribute("data-trang-thai", "dang-phat")
        expect(page.get_by_role("status")).to_contain_text("Đang phát trực tiếp")
        page.screenshot(path=str(artifacts / "phat-truc-tiep.png"), full_page=True)
        microphone_at = page.evaluate("window.loaxaMicrophoneAt") / 1000
        key = form.get_attribute("data-phien")
        time.sleep(SPEAK_S)
        page.get_by_role("button", name="Kết thúc").click()
        expect(form).to_have_attribute("data-trang-thai", "ket-thuc")
        item_id = f"live-{key}"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(
            any(e["item_id"] == item_id for e in read_playlog(playlogs[code])) for code in TARGETS
        ):
            time.sleep(0.2)
    finally:
        context.close()
        fleet.stop()

    latencies: list[float] = []
    for code in CLUSTERS:
        log = [entry for entry in read_playlog(playlogs[code]) if entry["item_id"] == item_id]
        if code not in TARGETS:
            assert log == [], f"{code} is not a target but aired {log}"
            continue
        (aired,) = log
        heard = onsets(read_wav(playlogs[code].parent / aired["recording"]))
        assert len(heard) >= 2, f"{code} heard the pulses at windows {heard}"
        started = datetime.fromisoformat(aired["started_at"]).timestamp()
        latencies += mouth_to_horn_s([started + index * 0.1 for index in heard], microphone_at)
    assert not errors, errors
    p50 = statistics.median(latencies)
    print(f"browser mouth to horn over {len(latencies)} pulses: p50 {p50:.2f} s, max {max(latencies):.2f} s")
    assert p50 < 2.5, latencies
