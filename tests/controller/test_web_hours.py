"""A commune's broadcast hours in the console over real HTTP: adding and removing slots, quiet hours,
refusals that keep what was typed and store nothing, and scope."""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness import approved_bulletin

pytestmark = pytest.mark.one_database("sqlite", why="pages over the same API; the API tests cover both databases")

A, B = "XA-A", "XA-B"


def test_an_officer_sets_the_communes_slots_and_quiet_hours(two_communes: dict[str, Any]) -> None:
    world = two_communes
    api, officer, stranger = world["api"], world["officer"], world["stranger"]
    page = officer.get(f"/xa/{A}/khung-gio")
    assert page.status_code == 200 and "Xã chưa có khung giờ phát nào." in page.text
    assert "từ 21:00 đến 05:30" in page.text
    assert f"/xa/{A}/khung-gio" in officer.get(f"/xa/{A}/lich-tuan").text

    added = officer.post(
        f"/xa/{A}/khung-gio/them", {"name": "Sáng", "start_time": "06:00", "end_time": "06:30", "weekdays": ["0", "2"]}
    )
    assert added.status_code == 303, added.text
    page = officer.get(added.headers["location"])
    assert "Đã thêm khung giờ phát." in page.text and "Sáng</strong> · 06:00–06:30 · T2, T4" in page.text
    [slot] = api.get(f"/api/v1/communes/{A}/slots").json()
    assert (slot["name"], slot["weekdays"]) == ("Sáng", [0, 2])

    # Refused in Vietnamese, with the form as typed, and nothing stored: an overlap, quiet hours, no end.
    for form, message in (
        ({"name": "Trùng", "start_time": "06:15", "end_time": "06:45"}, "trùng với khung giờ"),
        ({"name": "Khuya", "start_time": "22:00", "end_time": "22:30"}, "giờ yên lặng 21:00–05:30"),
        ({"name": "Thiếu", "start_time": "07:00", "end_time": ""}, "Kết thúc: giá trị không hợp lệ."),
    ):
        refused = officer.post(f"/xa/{A}/khung-gio/them", form)
        assert refused.status_code == 422 and message in refused.text, (form, refused.status_code, refused.text[-800:])
        assert f'value="{form["name"]}"' in refused.text
    assert len(api.get(f"/api/v1/communes/{A}/slots").json()) == 1

    # Quiet hours that would swallow the slot are refused; others are kept.
    swallowed = officer.post(f"/xa/{A}/gio-yen-lang", {"start_time": "20:00", "end_time": "06:15"})
    assert swallowed.status_code == 422 and "06:00–06:30" in swallowed.text
    kept = officer.post(f"/xa/{A}/gio-yen-lang", {"start_time": "22:00", "end_time": "05:00"})
    assert kept.status_code == 303
    assert api.get(f"/api/v1/communes/{A}/quiet-hours").json() == {"start_time": "22:00:00", "end_time": "05:00:00"}

    # A slot in use by a placement cannot go; once the placement is removed, it can.
    bulletin, _ = approved_bulletin(api, world["approver"], A, "Tin họp", "Mời bà con dự họp.")
    program = api.post("/api/v1/programs", {"commune_code": A, "title": "Họp", "items": [{"bulletin_id": bulletin}]})
    rule = api.post(f"/api/v1/programs/{program.json()['id']}/rules", {"pattern": "daily", "slot_id": slot["id"]})
    in_use = officer.post(f"/khung-gio/{slot['id']}/xoa")
    assert in_use.status_code == 409 and "đang được dùng trong lịch phát" in in_use.text
    assert api.client.delete(f"/api/v1/rules/{rule.json()['id']}").status_code == 204
    removed = officer.post(f"/khung-gio/{slot['id']}/xoa")
    assert removed.status_code == 303 and api.get(f"/api/v1/communes/{A}/slots").json() == []

    # Another commune's officer can neither see nor change them.
    assert stranger.get(f"/xa/{A}/khung-gio").status_code == 403
    denied = stranger.post(f"/xa/{A}/khung-gio/them", {"start_time": "07:00", "end_time": "07:30"})
    assert denied.status_code == 403
