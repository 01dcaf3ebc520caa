"""Province content in the console over real HTTP: writing a province's bulletin, who reviews it, placing it
in every commune from the province page, a refusal that keeps the form and nothing else, and what a
commune's officer sees and may not do."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from controller.accounts import Role
from controller.settings import Settings
from tests.console import ConsoleClient
from tests.harness import Api, ControllerServer, add_user_directly, login, setup_commune

pytestmark = pytest.mark.one_database("sqlite", why="pages over the same API; the API tests cover both databases")

PROVINCE, A, B = "TINH", "XA-A", "XA-B"


@pytest.fixture
def world(settings: Settings, controller: ControllerServer, admin: Api) -> Iterator[dict[str, Any]]:
    setup_commune(admin, PROVINCE, A, ["A1"])
    setup_commune(admin, PROVINCE, B, ["B1"])
    for commune, slots in ((A, [("06:00", "06:30"), ("17:00", "17:30")]), (B, [("06:30", "07:00")])):
        quiet = admin.client.put(
            f"/api/v1/communes/{commune}/quiet-hours", json={"start_time": "21:00", "end_time": "05:30"}
        )
        assert quiet.status_code == 200, quiet.text
        for start, end in slots:
            assert admin.post(f"/api/v1/communes/{commune}/slots", {"start_time": start, "end_time": end}).is_success
    people: dict[str, tuple[Role, dict[str, Any]]] = {
        "tinh.canbo": (Role.OFFICER, {"province_code": PROVINCE}),
        "tinh.duyet": (Role.APPROVER, {"province_code": PROVINCE}),
        "canbo.a": (Role.OFFICER, {"commune_codes": [A]}),
        "duyet.a": (Role.APPROVER, {"commune_codes": [A]}),
    }
    consoles: dict[str, Any] = {}
    for username, (role, scope) in people.items():
        add_user_directly(settings, username, role, f"{username}-pass", **scope)
        consoles[username] = ConsoleClient(controller.base_url)
        consoles[username].login(username, f"{username}-pass")
    consoles["api"] = login(controller.base_url, "tinh.canbo", "tinh.canbo-pass")
    yield consoles
    for client in consoles.values():
        client.close() if isinstance(client, ConsoleClient) else client.client.close()


def test_a_province_bulletin_from_writing_to_every_communes_week(world: dict[str, Any]) -> None:
    officer, approver = world["tinh.canbo"], world["tinh.duyet"]
    commune_officer, commune_approver = world["canbo.a"], world["duyet.a"]

    form = officer.get("/ban-tin/moi")
    assert f'value="tinh:{PROVINCE}"' in form.text and "(toàn tỉnh, mọi xã)" in form.text
    assert "tinh:" not in commune_officer.get("/ban-tin/moi").text
    created = officer.post(
        "/ban-tin/moi",
        {"commune_code": f"tinh:{PROVINCE}", "title": "Luật Đất đai 2024", "body": "Luật có hiệu lực từ 01/8/2024."},
    )
    assert created.status_code == 303, created.text
    bulletin_id = int(re.search(r"/ban-tin/(\d+)", created.headers["location"]).group(1))  # type: ignore[union-attr]
    assert officer.post(f"/ban-tin/{bulletin_id}/gui-duyet").status_code == 303

    # The commune's approver neither sees it in the queue nor may approve it; the province's approver does.
    assert "Luật Đất đai 2024" not in commune_approver.get("/duyet").text
    assert commune_approver.post(f"/ban-tin/{bulletin_id}/duyet").status_code == 403
    queue = approver.get("/duyet").text
    assert "Luật Đất đai 2024" in queue and "(toàn tỉnh)" in queue
    assert approver.post(f"/ban-tin/{bulletin_id}/duyet").status_code == 303

    # The commune's officer reads it (where it airs: the whole province) but may not edit it.
    page = commune_officer.get(f"/ban-tin/{bulletin_id}").text
    assert "Tỉnh TINH (toàn tỉnh)" in page and f"/ban-tin/{bulletin_id}/sua" not in page
    assert commune_officer.get("/chuong-trinh-tinh").status_code == 403
    assert "/chuong-trinh-tinh" in officer.get("/ban-tin").text  # in the province officer's menu

    # Second slot of the day: commune B has none, so nothing is placed and the form comes back as typed.
    refused = officer.post(
        f"/chuong-trinh-tinh/{PROVINCE}/dat",
        {"bulletin_id": str(bulletin_id), "anchor": "rank", "slot_rank": "2", "from_day": "2026-01-05"},
    )
    assert refused.status_code == 422, refused.text
    assert "Xã XA-B" in refused.text and 'value="2" selected' in refused.text
    assert "Chưa có chương trình toàn tỉnh nào." in refused.text

    placed = officer.post(
        f"/chuong-trinh-tinh/{PROVINCE}/dat",
        {"bulletin_id": str(bulletin_id), "anchor": "rank", "slot_rank": "1", "weekdays": ["0", "2", "4"]},
    )
    assert placed.status_code == 303, placed.text
    page = officer.get(placed.headers["location"]).text
    assert "Đã đặt bản tin vào lịch của các xã" in page and f"2 xã ({A}, {B})" in page

    # Commune A's week: the placement is marked as the province's, with no remove button for the commune.
    week = commune_officer.get(f"/xa/{A}/lich-tuan").text
    placements = week.split('id="da-xep"', 1)[1]
    assert "Chương trình toàn tỉnh" in placements and "Gỡ khỏi khung giờ" not in placements
    assert "T2, T4, T6" in placements
    # Not per commune even for the province's staff: a part is withdrawn with the whole province program.
    assert "Gỡ khỏi khung giờ" not in officer.get(f"/xa/{A}/lich-tuan").text.split('id="da-xep"', 1)[1]

    record_id = world["api"].get(f"/api/v1/provinces/{PROVINCE}/programs").json()[0]["id"]
    withdrawn = officer.post(f"/chuong-trinh-tinh/{record_id}/go")
    assert withdrawn.status_code == 303
    assert "Chưa có chương trình toàn tỉnh nào." in officer.get(withdrawn.headers["location"]).text
    assert "Chương trình toàn tỉnh" not in commune_officer.get(f"/xa/{A}/lich-tuan").text


def test_province_forms_say_what_to_fix_in_vietnamese_and_audio_follows_scope(world: dict[str, Any]) -> None:
    officer, commune_officer = world["tinh.canbo"], world["canbo.a"]
    nowhere = officer.post("/ban-tin/moi", {"commune_code": "", "title": "T", "body": "Nội dung."})
    assert nowhere.status_code == 422 and "Nơi phát: chưa chọn xã hoặc tỉnh." in nowhere.text
    assert 'value="T"' in nowhere.text  # what was typed comes back

    created = world["api"].post(
        "/api/v1/bulletins", {"province_code": PROVINCE, "title": "Luật mới", "body": "Nội dung."}
    )
    bulletin_id = created.json()["id"]
    assert world["api"].post(f"/api/v1/bulletins/{bulletin_id}/submit").status_code == 200
    assert world["tinh.duyet"].post(f"/ban-tin/{bulletin_id}/duyet").status_code == 303
    audio = world["api"].get(f"/api/v1/bulletins/{bulletin_id}").json()["audio_sha256"]
    # The commune's officer plays the province's approved bulletin; the console finds it in their scope.
    assert commune_officer.get(f"/am-thanh/{audio}.opus").status_code == 200

    for form, message in (
        ({"anchor": "name", "slot_name": ""}, "Tên khung giờ: chưa nhập tên."),
        ({"anchor": "at", "at": ""}, "Giờ phát: chưa chọn giờ."),
        ({"anchor": "at", "at": "22:00"}, "không thể phát lúc 22:00"),
        ({"anchor": "rank", "slot_rank": "1", "until_day": "2020-01-01", "from_day": "2020-02-01"}, "Đến ngày"),
    ):
        refused = officer.post(f"/chuong-trinh-tinh/{PROVINCE}/dat", {"bulletin_id": str(bulletin_id), **form})
        assert refused.status_code in (409, 422) and message in refused.text, (form, refused.status_code)
    assert world["api"].get(f"/api/v1/provinces/{PROVINCE}/programs").json() == []
