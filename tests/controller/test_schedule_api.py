"""Slots, quiet hours, hamlet groups, programs and rules over HTTP: scope, overfull slots, overlaps,
reordering, and "what will play on commune X tomorrow" (API and CLI). Real controller, database, espeak-ng."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, select

from controller.accounts import Role
from controller.audit import AuditEntry
from controller.cli import build_parser
from controller.settings import Settings
from tests.harness import (
    Api,
    ControllerServer,
    add_user_directly,
    approved_bulletin,
    controller_env,
    login,
    setup_commune,
)

A, B = "XA-A", "XA-B"


@pytest.fixture
def officers(settings: Settings, controller: ControllerServer, admin: Api) -> Iterator[dict[str, Api]]:
    setup_commune(admin, "TINH", A, ["A-1", "A-2", "A-3"])
    setup_commune(admin, "TINH", B, ["B-1"])
    add_user_directly(settings, "canbo.a", Role.OFFICER, "officer-pass-a", commune_codes=[A])
    add_user_directly(settings, "duyet.a", Role.APPROVER, "approver-pass-a", commune_codes=[A])
    add_user_directly(settings, "canbo.b", Role.OFFICER, "officer-pass-b", commune_codes=[B])
    apis = {
        "a": login(controller.base_url, "canbo.a", "officer-pass-a"),
        "approver": login(controller.base_url, "duyet.a", "approver-pass-a"),
        "b": login(controller.base_url, "canbo.b", "officer-pass-b"),
    }
    # Fixed quiet hours for this commune, whatever the test settings' default.
    response = apis["a"].client.put(
        f"/api/v1/communes/{A}/quiet-hours", json={"start_time": "21:00", "end_time": "05:30"}
    )
    assert response.status_code == 200, response.text
    yield apis
    for api in apis.values():
        api.client.close()


def tomorrow() -> date:
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date() + timedelta(days=1)


def test_slots_quiet_hours_groups_and_scope(officers: dict[str, Api]) -> None:
    a, b = officers["a"], officers["b"]
    created = a.post(f"/api/v1/communes/{A}/slots", {"start_time": "06:00", "end_time": "06:30"})
    assert created.status_code == 201, created.text
    assert created.json()["key"] == "06:00" and created.json()["weekdays"] == list(range(7))
    overlap = a.post(f"/api/v1/communes/{A}/slots", {"start_time": "06:15", "end_time": "06:45"})
    assert overlap.status_code == 422 and overlap.json()["error"] == "slot_overlap"
    assert "06:00–06:30 trùng với khung giờ 06:15–06:45" in overlap.json()["message"]
    night = a.post(f"/api/v1/communes/{A}/slots", {"start_time": "20:30", "end_time": "21:30"})
    assert night.status_code == 422 and night.json()["error"] == "quiet_hours"
    assert "giờ yên lặng 21:00–05:30" in night.json()["message"]
    assert [s["key"] for s in a.get(f"/api/v1/communes/{A}/slots").json()] == ["06:00"]

    # An officer of commune B cannot touch commune A.
    for response in (
        b.post(f"/api/v1/communes/{A}/slots", {"start_time": "07:00", "end_time": "07:30"}),
        b.client.put(f"/api/v1/communes/{A}/quiet-hours", json={"start_time": "22:00", "end_time": "05:00"}),
        b.get(f"/api/v1/communes/{A}/schedule?date={tomorrow()}"),
        b.client.delete(f"/api/v1/slots/{created.json()['id']}"),
    ):
        assert response.status_code == 403 and response.json()["error"] == "out_of_scope", response.text

    group = a.post(f"/api/v1/communes/{A}/hamlet-groups", {"name": "Ven sông", "clusters": ["A-1", "A-2"]})
    assert group.status_code == 201, group.text
    stranger = a.post(f"/api/v1/communes/{A}/hamlet-groups", {"name": "Lẫn", "clusters": ["A-3", "B-1"]})
    assert stranger.status_code == 422 and stranger.json()["error"] == "unknown_target"
    assert "B-1" in stranger.json()["message"]


def _program(api: Api, title: str, bulletins: list[int], **extra: object) -> int:
    items = [{"kind": "bulletin", "bulletin_id": bulletin} for bulletin in bulletins]
    response = api.post("/api/v1/programs", {"commune_code": A, "title": title, "items": items, **extra})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_programs_rules_and_tomorrows_schedule(settings: Settings, officers: dict[str, Api]) -> None:
    a, approver = officers["a"], officers["approver"]
    one, _ = approved_bulletin(a, approver, A, "Tin một", "Thông báo thứ nhất.")
    two, _ = approved_bulletin(a, approver, A, "Tin hai", "Thông báo thứ hai.")
    slot = a.post(f"/api/v1/communes/{A}/slots", {"name": "Sáng", "start_time": "06:00", "end_time": "06:01"}).json()
    assert a.post(f"/api/v1/communes/{A}/hamlet-groups", {"name": "Ven sông", "clusters": ["A-1", "A-2"]}).is_success

    morning = _program(a, "Bản tin sáng", [one, two])
    assert a.post(f"/api/v1/programs/{morning}/rules", {"pattern": "daily", "slot_id": slot["id"]}).status_code == 201
    later = _program(a, "Tin bổ sung", [two])
    assert a.post(f"/api/v1/programs/{later}/rules", {"pattern": "daily", "slot_id": slot["id"]}).status_code == 201

    # Overfull: twenty items do not fit in one minute; the error names them and the rule is not kept.
    crowded = _program(a, "Quá dài", [one] * 20)
    overfull = a.post(f"/api/v1/programs/{crowded}/rules", {"pattern": "daily", "slot_id": slot["id"]})
    assert overfull.status_code == 422 and overfull.json()["error"] == "slot_overfull", overfull.text
    assert "không đủ chỗ cho: “Tin một” (vượt" in overfull.json()["message"]
    assert f"p{crowded}-19-" in overfull.json()["detail"]
    assert a.get(f"/api/v1/programs/{crowded}").json()["rules"] == []

    # Overlap on the same clusters: refused, naming the item it clashes with and its program.
    at_seven = _program(a, "Thời sự", [two])
    assert a.post(f"/api/v1/programs/{at_seven}/rules", {"pattern": "daily", "at": "07:00:00"}).status_code == 201
    clash = _program(a, "Chen ngang", [one])
    overlap = a.post(f"/api/v1/programs/{clash}/rules", {"pattern": "daily", "at": "07:00:01"})
    assert overlap.status_code == 409 and overlap.json()["error"] == "program_overlap", overlap.text
    assert "“Tin một” trùng giờ với “Tin hai” (chương trình “Thời sự”)" in overlap.json()["message"]
    # Different clusters at the same time are fine.
    river = _program(a, "Ven sông", [one], target_group="Ven sông")
    hill = _program(a, "Trên đồi", [two], target_clusters=["A-3"])
    for program in (river, hill):
        response = a.post(f"/api/v1/programs/{program}/rules", {"pattern": "daily", "at": "08:00"})
        assert response.status_code == 201, response.text

    # Normal content at 22:00 is refused in Vietnamese.
    night = _program(a, "Đêm", [one])
    refused = a.post(f"/api/v1/programs/{night}/rules", {"pattern": "daily", "at": "22:00"})
    assert refused.status_code == 422 and refused.json()["error"] == "quiet_hours"
    assert "không thể phát lúc 22:00" in refused.json()["message"]

    day = tomorrow()
    schedule = a.get(f"/api/v1/communes/{A}/schedule?date={day}").json()
    rows = [(i["title"], i["starts_at"][11:19], i["clusters"]) for i in schedule["items"]]
    assert [r[0] for r in rows] == ["Tin một", "Tin hai", "Tin hai", "Tin hai", "Tin một", "Tin hai"]
    assert rows[0][1] == "06:00:00" and rows[3][1] == "07:00:00"
    assert sorted((r[2] or []) for r in rows[4:]) == [["A-1", "A-2"], ["A-3"]]
    items = schedule["items"]
    first_end = datetime.fromisoformat(items[0]["ends_at"])
    assert datetime.fromisoformat(items[1]["starts_at"]) == first_end + timedelta(seconds=settings.scheduler.item_gap_s)

    # The officer reorders: "Tin bổ sung" moves to the head of the slot.
    assert a.client.patch(f"/api/v1/programs/{later}", json={"position": 0}).status_code == 200
    reordered = a.get(f"/api/v1/communes/{A}/schedule?date={day}").json()["items"]
    assert [i["source"] for i in reordered[:3]] == ["Tin bổ sung", "Bản tin sáng", "Bản tin sáng"]

    # The same from the command line.
    done = subprocess.run(
        [sys.executable, "-m", "controller", "schedule", "show", "--commune", A, "--date", day.isoformat()],
        env={**os.environ, **controller_env(settings)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"{A} {day:%d/%m/%Y}: 6 mục"
    assert lines[1].startswith("06:00:00–") and "Tin hai" in lines[1] and "(cả xã)" in lines[1]
    assert any("Tin một" in line and "(A-1, A-2)" in line for line in lines)


def test_replacing_a_programs_items_keeps_its_rules_and_is_checked_like_a_new_rule(officers: dict[str, Api]) -> None:
    a, approver, b = officers["a"], officers["approver"], officers["b"]
    one, _ = approved_bulletin(a, approver, A, "Tin một", "Thông báo thứ nhất.")
    two, _ = approved_bulletin(a, approver, A, "Tin hai", "Thông báo thứ hai.")
    draft = a.post("/api/v1/bulletins", {"commune_code": A, "title": "Nháp", "body": "Chưa duyệt."}).json()["id"]
    slot = a.post(f"/api/v1/communes/{A}/slots", {"name": "Sáng", "start_time": "06:00", "end_time": "06:01"}).json()
    morning = _program(a, "Bản tin sáng", [one])
    assert a.post(f"/api/v1/programs/{morning}/rules", {"pattern": "daily", "slot_id": slot["id"]}).status_code == 201

    replaced = a.client.put(
        f"/api/v1/programs/{morning}/items", json={"items": [{"bulletin_id": two}, {"bulletin_id": one}]}
    )
    assert replaced.status_code == 200, replaced.text
    assert [i["bulletin_id"] for i in replaced.json()["items"]] == [two, one] and len(replaced.json()["rules"]) == 1
    schedule = a.get(f"/api/v1/communes/{A}/schedule?date={tomorrow()}").json()["items"]
    assert [(i["title"], i["starts_at"][11:16]) for i in schedule] == [("Tin hai", "06:00"), ("Tin một", "06:00")]

    # Refused (the slot overflows; a draft; another commune's officer; no items): the items stay as they were.
    overfull = a.client.put(f"/api/v1/programs/{morning}/items", json={"items": [{"bulletin_id": one}] * 20})
    assert overfull.status_code == 422 and overfull.json()["error"] == "slot_overfull", overfull.text
    unapproved = a.client.put(f"/api/v1/programs/{morning}/items", json={"items": [{"bulletin_id": draft}]})
    assert unapproved.status_code == 409 and unapproved.json()["error"] == "not_approved", unapproved.text
    stranger = b.client.put(f"/api/v1/programs/{morning}/items", json={"items": [{"bulletin_id": one}]})
    assert stranger.status_code == 403, stranger.text
    assert a.client.put(f"/api/v1/programs/{morning}/items", json={"items": []}).status_code == 422
    assert [i["bulletin_id"] for i in a.get(f"/api/v1/programs/{morning}").json()["items"]] == [two, one]


def test_cancelling_a_broadcast_and_an_emergency(settings: Settings, officers: dict[str, Api]) -> None:
    a, approver, b = officers["a"], officers["approver"], officers["b"]
    normal, _ = approved_bulletin(a, approver, A, "Tin thường", "Thông báo lịch tiêm phòng.")
    alert, _ = approved_bulletin(a, approver, A, "Bão", "Bão số 3 sắp đổ bộ.", priority="emergency")
    # Half an hour ahead, or the end of the commune's quiet hours (21:00-05:30) when that falls inside them.
    airtime = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(minutes=30)
    if airtime.time() >= time(21, 0) or airtime.time() < time(5, 30):
        day = airtime.date() + timedelta(days=1 if airtime.time() >= time(21, 0) else 0)
        airtime = datetime.combine(day, time(6, 0), tzinfo=airtime.tzinfo)
    broadcast = a.post(
        "/api/v1/broadcasts", {"bulletin_id": normal, "commune_code": A, "starts_at": airtime.isoformat()}
    )
    assert broadcast.status_code == 201, broadcast.text

    def items() -> list[str]:
        return [item["item_id"] for item in a.get(f"/api/v1/communes/{A}/playlist").json()["items"]]

    assert items() == [f"b{broadcast.json()['id']}"]
    assert b.post(f"/api/v1/broadcasts/{broadcast.json()['id']}/cancel").status_code == 403
    cancelled = a.post(f"/api/v1/broadcasts/{broadcast.json()['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["cancelled_at"] is not None
    assert items() == []

    issued = a.post("/api/v1/emergencies", {"bulletin_id": alert, "commune_code": A})
    assert issued.status_code == 201, issued.text
    order = issued.json()[0]
    assert items() == [f"e{order['id']}"]
    assert b.post(f"/api/v1/emergencies/{order['id']}/cancel").status_code == 403
    missing = a.post("/api/v1/emergencies/999999/cancel")
    assert missing.status_code == 404 and missing.json()["message"] == "Không tìm thấy lệnh phát khẩn cấp."
    ended = a.post(f"/api/v1/emergencies/{order['id']}/cancel")
    assert ended.status_code == 200, ended.text
    assert ended.json()["playlist_version"] > order["playlist_version"]  # announced again, urgently
    aired_ms = (
        datetime.fromisoformat(ended.json()["cancelled_at"]) - datetime.fromisoformat(order["starts_at"])
    ) / timedelta(milliseconds=1)
    playlist = a.get(f"/api/v1/communes/{A}/playlist").json()["items"]
    if aired_ms <= 0:  # cancelled within the dispatch lead, before it began: it never airs
        assert playlist == []
    else:  # it had begun (a slow machine): it airs only until the cancellation
        assert [(i["item_id"], i["duration_ms"]) for i in playlist] == [(f"e{order['id']}", round(aired_ms))]
    assert [e["id"] for e in a.get(f"/api/v1/communes/{A}/emergencies").json()] == [order["id"]]

    engine = create_engine(settings.database.url)
    with Session(engine) as session:
        actions = set(session.exec(select(AuditEntry.action)).all())
    engine.dispose()
    assert {"broadcast.cancel", "emergency.issue", "emergency.cancel"} <= actions


@pytest.mark.one_database("sqlite", why="the CLI over the API; the API test covers both databases")
def test_slots_programs_rules_and_cancelling_from_the_command_line(
    settings: Settings, controller: ControllerServer, officers: dict[str, Api], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, approver = officers["a"], officers["approver"]
    one, _ = approved_bulletin(a, approver, A, "Tin một", "Thông báo thứ nhất.")

    def loaxa(*argv: str, user: str = "canbo.a", password: str = "officer-pass-a") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
        args = build_parser().parse_args([*argv, "--user", user, "--password-stdin", "--url", controller.base_url])
        result: int = args.func(args, settings)
        return result

    assert loaxa("schedule", "slot-add", "--commune", A, "Chiều", "17:00", "17:30") == 0
    [slot] = a.get(f"/api/v1/communes/{A}/slots").json()
    assert loaxa("schedule", "program-add", "--commune", A, "--title", "Bản tin chiều", "--bulletin", str(one)) == 0
    [program] = a.get(f"/api/v1/communes/{A}/programs").json()
    assert program["title"] == "Bản tin chiều" and [i["bulletin_id"] for i in program["items"]] == [one]
    assert [i["language"] for i in program["items"]] == [None]  # every version of the bulletin, together
    # One language in its own place: only a version approved with the bulletin (this one has no Khmer).
    khmer_only = ["schedule", "program-add", "--commune", A, "--title", "Khmer", "--bulletin", str(one)]
    assert loaxa(*khmer_only, "--language", "km") == 2
    assert len(a.get(f"/api/v1/communes/{A}/programs").json()) == 1
    rule = ["schedule", "rule-add", str(program["id"]), "--pattern", "weekdays", "--weekdays", "0,2", "--slot"]
    assert loaxa(*rule, str(slot["id"])) == 0
    assert a.get(f"/api/v1/programs/{program['id']}").json()["rules"][0]["weekdays"] == [0, 2]
    # Refusals come back in Vietnamese with exit code 2: a slot in quiet hours, another commune, a bad login.
    assert loaxa("schedule", "slot-add", "--commune", A, "Đêm", "22:00", "22:30") == 2
    assert loaxa("schedule", "slot-add", "--commune", B, "Sáng", "06:00", "06:30") == 2
    assert loaxa("schedule", "slot-list", "--commune", A, password="wrong") == 2
    assert len(a.get(f"/api/v1/communes/{A}/slots").json()) == 1

    broadcast = a.post(
        "/api/v1/broadcasts", {"bulletin_id": one, "commune_code": A, "starts_at": f"{tomorrow().isoformat()}T10:00"}
    ).json()
    assert loaxa("schedule", "cancel-broadcast", str(broadcast["id"])) == 0
    assert a.get(f"/api/v1/broadcasts/{broadcast['id']}").json()["cancelled_at"] is not None

    # An emergency: a normal bulletin or a message not in the stock library is refused (exit 2).
    assert loaxa("schedule", "emergency", "--commune", A, "--bulletin", str(one)) == 2
    assert loaxa("schedule", "emergency", "--commune", A, "--stock", "storm", "vi") == 2
    urgent, _ = approved_bulletin(a, approver, A, "Tin khẩn", "Nước lên nhanh.", priority="emergency")
    assert loaxa("schedule", "emergency", "--commune", A, "--bulletin", str(urgent)) == 0
    [order] = a.get(f"/api/v1/communes/{A}/emergencies").json()
    assert order["bulletin_id"] == urgent
    assert loaxa("schedule", "cancel-emergency", str(order["id"])) == 0
