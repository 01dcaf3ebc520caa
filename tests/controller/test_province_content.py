"""Province-wide normal content over HTTP: a province's bulletin (written and approved by the province's
staff, readable by its communes), and a program placed once in every commune's own slot or at one time,
refused as a whole when one commune cannot take it. Real controller, database, espeak-ng."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from controller.accounts import Role
from controller.audit import AuditEntry
from controller.cli import build_parser
from controller.demo import quiet_hours_elsewhere
from controller.settings import Settings
from tests.harness import Api, ControllerServer, add_user_directly, approved_bulletin, login, setup_commune

PROVINCE, OTHER = "TINH", "KHAC"
A, B, C = "XA-A", "XA-B", "XA-C"
USERS: dict[str, tuple[Role, dict[str, Any]]] = {
    "tinh.canbo": (Role.OFFICER, {"province_code": PROVINCE}),
    "tinh.duyet": (Role.APPROVER, {"province_code": PROVINCE}),
    "canbo.a": (Role.OFFICER, {"commune_codes": [A]}),
    "duyet.a": (Role.APPROVER, {"commune_codes": [A]}),
    "khac.canbo": (Role.OFFICER, {"province_code": OTHER}),
}
BODY = "Từ ngày 01/01/2025, Nghị định 168/2024/NĐ-CP quy định mức phạt mới đối với vi phạm giao thông."


@pytest.fixture
def people(settings: Settings, controller: ControllerServer, admin: Api) -> Iterator[dict[str, Api]]:
    setup_commune(admin, PROVINCE, A, ["A-1", "A-2"])
    setup_commune(admin, PROVINCE, B, ["B-1"])
    setup_commune(admin, OTHER, C, ["C-1"])
    apis = {}
    for username, (role, scope) in USERS.items():
        add_user_directly(settings, username, role, f"{username}-pass", **scope)
        apis[username] = login(controller.base_url, username, f"{username}-pass")
    for commune in (A, B):
        quiet = admin.client.put(
            f"/api/v1/communes/{commune}/quiet-hours", json={"start_time": "21:00", "end_time": "05:30"}
        )
        assert quiet.status_code == 200, quiet.text
    yield apis
    for api in apis.values():
        api.client.close()


def tomorrow() -> date:
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date() + timedelta(days=1)


def province_bulletin(people: dict[str, Api], title: str = "Mức phạt giao thông mới", priority: str = "normal") -> int:
    """Written, submitted and approved by the province's staff; its id."""
    body = {"province_code": PROVINCE, "title": title, "body": BODY, "priority": priority}
    created = people["tinh.canbo"].post("/api/v1/bulletins", body)
    assert created.status_code == 201, created.text
    bulletin_id = int(created.json()["id"])
    assert people["tinh.canbo"].post(f"/api/v1/bulletins/{bulletin_id}/submit").status_code == 200
    approved = people["tinh.duyet"].post(f"/api/v1/bulletins/{bulletin_id}/approve")
    assert approved.status_code == 200, approved.text
    return bulletin_id


def schedule_of(api: Api, commune: str) -> list[dict[str, Any]]:
    response = api.get(f"/api/v1/communes/{commune}/schedule?date={tomorrow()}")
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_a_province_bulletin_is_changed_by_the_province_and_read_by_its_communes(people: dict[str, Api]) -> None:
    officer, approver = people["tinh.canbo"], people["tinh.duyet"]
    commune_officer, commune_approver, stranger = people["canbo.a"], people["duyet.a"], people["khac.canbo"]
    both = officer.post("/api/v1/bulletins", {"province_code": PROVINCE, "commune_code": A, "title": "T", "body": "B"})
    assert both.status_code == 422, both.text
    # A commune's officer writes for the commune, not for the province; another province's officer neither.
    for api in (commune_officer, stranger):
        refused = api.post("/api/v1/bulletins", {"province_code": PROVINCE, "title": "T", "body": "Nội dung."})
        assert refused.status_code == 403 and refused.json()["error"] == "out_of_scope", refused.text
    unknown = officer.post("/api/v1/bulletins", {"province_code": "NOWHERE", "title": "T", "body": "Nội dung."})
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_province", unknown.text

    created = officer.post("/api/v1/bulletins", {"province_code": PROVINCE, "title": "Luật mới", "body": BODY})
    assert created.status_code == 201, created.text
    bulletin = created.json()
    assert bulletin["commune_id"] is None and bulletin["province_id"] is not None
    bulletin_id = bulletin["id"]

    # While it is being written it stays with the province's staff: its communes neither see nor change it.
    def visible_to(api: Api) -> bool:
        listed = bulletin_id in [b["id"] for b in api.get("/api/v1/bulletins").json()]
        status = api.get(f"/api/v1/bulletins/{bulletin_id}").status_code
        assert listed == (status == 200), (listed, status)
        return listed

    assert visible_to(officer) and not visible_to(commune_officer) and not visible_to(stranger)
    edit = commune_officer.client.patch(f"/api/v1/bulletins/{bulletin_id}", json={"title": "Đổi tên"})
    assert edit.status_code == 403 and edit.json()["error"] == "out_of_scope", edit.text
    assert commune_officer.post(f"/api/v1/bulletins/{bulletin_id}/submit").status_code == 403

    assert officer.post(f"/api/v1/bulletins/{bulletin_id}/submit").status_code == 200
    # A commune's approver cannot approve for the whole province; the province's approver can.
    refused = commune_approver.post(f"/api/v1/bulletins/{bulletin_id}/approve")
    assert refused.status_code == 403, refused.text
    approved = approver.post(f"/api/v1/bulletins/{bulletin_id}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["audio_sha256"]
    # Approved, it is the communes' to read (and place); another province still does not see it.
    assert visible_to(commune_officer) and not visible_to(stranger)
    upload = commune_officer.client.delete(f"/api/v1/bulletins/{bulletin_id}/recording")
    assert upload.status_code == 403, upload.text


def test_a_province_program_airs_in_each_communes_own_slot(people: dict[str, Api], settings: Settings) -> None:
    officer, commune_officer = people["tinh.canbo"], people["canbo.a"]
    for commune, slots in ((A, [("06:00", "06:30"), ("17:00", "17:30")]), (B, [("06:30", "07:00")])):
        for start, end in slots:
            response = officer.post(f"/api/v1/communes/{commune}/slots", {"start_time": start, "end_time": end})
            assert response.status_code == 201, response.text
    bulletin_id = province_bulletin(people)
    items = [{"kind": "bulletin", "bulletin_id": bulletin_id}]

    # No second slot in commune B: the whole province program is refused, naming B, and nothing is kept.
    refused = officer.post(
        f"/api/v1/provinces/{PROVINCE}/programs", {"title": "Luật mới", "items": items, "rule": {"slot_rank": 2}}
    )
    assert refused.status_code == 422, refused.text
    assert "Xã XA-B" in refused.json()["message"] and "khung giờ thứ 2" in refused.json()["message"]
    assert officer.get(f"/api/v1/provinces/{PROVINCE}/programs").json() == []
    assert officer.get(f"/api/v1/communes/{A}/programs").json() == []
    slot_id = officer.post(
        f"/api/v1/provinces/{PROVINCE}/programs", {"title": "T", "items": items, "rule": {"slot_id": 1}}
    )
    assert slot_id.status_code == 422, slot_id.text

    # Other people cannot place for the province.
    for api in (commune_officer, people["khac.canbo"]):
        forbidden = api.post(
            f"/api/v1/provinces/{PROVINCE}/programs", {"title": "T", "items": items, "rule": {"slot_rank": 1}}
        )
        assert forbidden.status_code == 403, forbidden.text

    placed = officer.post(
        f"/api/v1/provinces/{PROVINCE}/programs",
        {"title": "Luật mới", "items": items, "rule": {"pattern": "daily", "slot_rank": 1}},
    )
    assert placed.status_code == 201, placed.text
    record = placed.json()
    assert [part["commune_code"] for part in record["parts"]] == [A, B]
    assert all(part["slot_id"] for part in record["parts"])
    starts = {commune: [i["starts_at"][11:16] for i in schedule_of(officer, commune)] for commune in (A, B)}
    assert starts == {A: ["06:00"], B: ["06:30"]}, starts
    assert [i["title"] for i in schedule_of(commune_officer, A)] == ["Mức phạt giao thông mới"]

    # The commune sees its part, may use the province's bulletin in its own programs, but not remove the part.
    part = next(p for p in commune_officer.get(f"/api/v1/communes/{A}/programs").json() if p["province_program_id"])
    removal = commune_officer.client.delete(f"/api/v1/programs/{part['id']}")
    assert removal.status_code == 403 and "chỉ cán bộ của tỉnh" in removal.json()["message"], removal.text
    rule_removal = commune_officer.client.delete(f"/api/v1/rules/{part['rules'][0]['id']}")
    assert rule_removal.status_code == 403, rule_removal.text
    own = commune_officer.post("/api/v1/programs", {"commune_code": A, "title": "Nhắc lại", "items": items})
    assert own.status_code == 201, own.text
    evening = commune_officer.post(f"/api/v1/programs/{own.json()['id']}/rules", {"pattern": "daily", "at": "17:10"})
    assert evening.status_code == 201, evening.text
    # A commune's bulletin is not the province's to place everywhere: refused, naming the other commune.
    own_bulletin, _ = approved_bulletin(commune_officer, people["duyet.a"], A, "Tin riêng xã A", "Họp thôn tối nay.")
    foreign = officer.post(
        f"/api/v1/provinces/{PROVINCE}/programs",
        {"title": "Tin xã A", "items": [{"kind": "bulletin", "bulletin_id": own_bulletin}], "rule": {"at": "08:00"}},
    )
    assert foreign.status_code == 403 and "Xã XA-B" in foreign.json()["message"], foreign.text

    # The province replaces what the program plays, in every commune at once; a commune cannot.
    second = province_bulletin(people, "Đội mũ bảo hiểm")
    both = {"items": [{"bulletin_id": bulletin_id}, {"bulletin_id": second}]}
    assert commune_officer.client.put(f"/api/v1/programs/{part['id']}/items", json=both).status_code == 403
    replaced = officer.client.put(f"/api/v1/province-programs/{record['id']}/items", json=both)
    assert replaced.status_code == 200, replaced.text
    assert [i["title"] for i in schedule_of(officer, B)] == ["Mức phạt giao thông mới", "Đội mũ bảo hiểm"]
    # A commune's own bulletin is refused in the other commune's part, and nothing changes anywhere.
    mixed = {"items": [{"bulletin_id": own_bulletin}]}
    refused_items = officer.client.put(f"/api/v1/province-programs/{record['id']}/items", json=mixed)
    assert refused_items.status_code == 403 and "Xã XA-B" in refused_items.json()["message"], refused_items.text
    assert len(schedule_of(officer, A)) == 3 and len(schedule_of(officer, B)) == 2

    # Withdrawn: gone from every commune's schedule (the commune's own placement stays).
    assert officer.client.delete(f"/api/v1/province-programs/{record['id']}").status_code == 204
    assert schedule_of(officer, B) == []
    assert [i["starts_at"][11:16] for i in schedule_of(officer, A)] == ["17:10"]
    assert officer.get(f"/api/v1/province-programs/{record['id']}").status_code == 404

    engine = create_engine(settings.database.url)
    with Session(engine) as session:
        actions = [entry.action for entry in session.exec(select(AuditEntry)).all()]
    engine.dispose()
    assert actions.count("province_program.create") == 1 and actions.count("province_program.delete") == 1


def test_an_exact_time_program_is_refused_where_it_clashes_and_can_target_some_communes(
    people: dict[str, Api],
) -> None:
    officer, commune_officer = people["tinh.canbo"], people["canbo.a"]
    bulletin_id = province_bulletin(people)
    items = [{"kind": "bulletin", "bulletin_id": bulletin_id}]
    own = commune_officer.post("/api/v1/programs", {"commune_code": A, "title": "Thời sự xã", "items": items})
    assert commune_officer.post(
        f"/api/v1/programs/{own.json()['id']}/rules", {"pattern": "daily", "at": "08:00"}
    ).is_success

    clash = officer.post(
        f"/api/v1/provinces/{PROVINCE}/programs", {"title": "Luật mới", "items": items, "rule": {"at": "08:00"}}
    )
    assert clash.status_code == 409, clash.text
    assert clash.json()["message"].startswith("Xã XA-A: ") and "Thời sự xã" in clash.json()["message"]
    assert officer.get(f"/api/v1/communes/{B}/programs").json() == []

    # Quiet hours are the communes' too.
    night = officer.post(
        f"/api/v1/provinces/{PROVINCE}/programs", {"title": "Đêm", "items": items, "rule": {"at": "22:00"}}
    )
    assert night.status_code == 422 and night.json()["error"] == "quiet_hours", night.text

    outside = officer.post(
        f"/api/v1/provinces/{PROVINCE}/programs",
        {"title": "T", "items": items, "rule": {"at": "09:00"}, "commune_codes": [B, C]},
    )
    assert outside.status_code == 422 and "XA-C" in outside.json()["message"], outside.text

    only_b = officer.post(
        f"/api/v1/provinces/{PROVINCE}/programs",
        {"title": "Luật mới", "items": items, "rule": {"at": "08:00"}, "commune_codes": [B]},
    )
    assert only_b.status_code == 201, only_b.text
    assert [p["commune_code"] for p in only_b.json()["parts"]] == [B]
    assert [i["starts_at"][11:16] for i in schedule_of(officer, B)] == ["08:00"]
    listed = officer.get(f"/api/v1/provinces/{PROVINCE}/programs").json()
    assert [p["id"] for p in listed] == [only_b.json()["id"]]


def test_editing_a_province_bulletin_takes_it_off_every_commune_until_approved_again(people: dict[str, Api]) -> None:
    officer, approver = people["tinh.canbo"], people["tinh.duyet"]
    bulletin_id = province_bulletin(people)
    items = [{"kind": "bulletin", "bulletin_id": bulletin_id}]
    placed = officer.post(
        f"/api/v1/provinces/{PROVINCE}/programs", {"title": "Luật mới", "items": items, "rule": {"at": "08:00"}}
    )
    assert placed.status_code == 201, placed.text
    assert all(len(schedule_of(officer, commune)) == 1 for commune in (A, B))

    edited = officer.client.patch(f"/api/v1/bulletins/{bulletin_id}", json={"body": BODY + " Bà con lưu ý."})
    assert edited.status_code == 200 and edited.json()["status"] == "pending", edited.text
    assert all(schedule_of(officer, commune) == [] for commune in (A, B))
    assert approver.post(f"/api/v1/bulletins/{bulletin_id}/approve").status_code == 200
    assert all(len(schedule_of(officer, commune)) == 1 for commune in (A, B))


def test_a_province_emergency_reaches_every_commune_of_the_province_only(people: dict[str, Api]) -> None:
    bulletin_id, orders = province_emergency(people)
    assert sorted(order["commune_code"] for order in orders) == [A, B]
    # A commune of the province may air it on its own too; a commune of another province may not.
    mine = people["canbo.a"].post("/api/v1/emergencies", {"bulletin_id": bulletin_id, "commune_code": A})
    assert mine.status_code == 201, mine.text
    theirs = people["khac.canbo"].post("/api/v1/emergencies", {"bulletin_id": bulletin_id, "commune_code": C})
    assert theirs.status_code == 403, theirs.text


@pytest.mark.one_database("sqlite", why="the CLI over the API; the API tests cover both databases")
def test_province_programs_from_the_command_line(
    settings: Settings,
    controller: ControllerServer,
    people: dict[str, Api],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    officer = people["tinh.canbo"]
    for commune, start, end in ((A, "06:00", "06:30"), (B, "05:45", "06:15")):
        body = {"name": "Sáng", "start_time": start, "end_time": end}
        assert officer.post(f"/api/v1/communes/{commune}/slots", body).status_code == 201
    bulletin_id = province_bulletin(people)

    def loaxa(*argv: str, user: str = "tinh.canbo") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(f"{user}-pass\n"))
        args = build_parser().parse_args([*argv, "--user", user, "--password-stdin", "--url", controller.base_url])
        result: int = args.func(args, settings)
        return result

    add = ["schedule", "province-program-add", "--province", PROVINCE, "--title", "Luật mới"]
    assert loaxa(*add, "--bulletin", str(bulletin_id), "--slot-name", "sáng", "--pattern", "daily") == 0
    assert "vào lịch của 2 xã" in capsys.readouterr().out
    assert {c: [i["starts_at"][11:16] for i in schedule_of(officer, c)] for c in (A, B)} == {A: ["06:00"], B: ["05:45"]}
    # A commune's officer is refused, in Vietnamese, with exit code 2.
    assert loaxa(*add, "--bulletin", str(bulletin_id), "--at", "09:00", user="canbo.a") == 2
    assert "không phụ trách Tỉnh TINH" in capsys.readouterr().err
    assert loaxa("schedule", "province-program-list", "--province", PROVINCE) == 0
    [line] = capsys.readouterr().out.splitlines()
    record_id, title, communes = line.split("\t")
    assert title == "Luật mới" and communes == f"{A}, {B}"
    second = province_bulletin(people, "Đội mũ bảo hiểm")
    items = ["schedule", "program-items", record_id, "--province-program", "--bulletin", str(second)]
    assert loaxa(*items, "--bulletin", str(bulletin_id)) == 0
    assert [i["title"] for i in schedule_of(officer, B)] == ["Đội mũ bảo hiểm", "Mức phạt giao thông mới"]
    part = officer.get(f"/api/v1/communes/{A}/programs").json()[0]["id"]
    assert loaxa("schedule", "program-items", str(part), "--bulletin", str(second), user="canbo.a") == 2
    assert "chỉ cán bộ của tỉnh" in capsys.readouterr().err
    assert loaxa("schedule", "province-program-delete", record_id) == 0
    assert officer.get(f"/api/v1/provinces/{PROVINCE}/programs").json() == []


def test_a_province_bulletin_is_read_with_the_provinces_own_abbreviations(people: dict[str, Api], admin: Api) -> None:
    officer, approver = people["tinh.canbo"], people["tinh.duyet"]
    for province, expansion in ((PROVINCE, "ban quản lý rừng phòng hộ"), (OTHER, "bảo quản lương thực")):
        entry = {"abbreviation": "BQLR", "expansion": expansion, "province_code": province}
        assert admin.post("/api/v1/lexicon", entry).status_code == 201
    created = officer.post(
        "/api/v1/bulletins", {"province_code": PROVINCE, "title": "Mùa khô", "body": "BQLR nhắc bà con không đốt rừng."}
    )
    bulletin_id = created.json()["id"]
    assert officer.post(f"/api/v1/bulletins/{bulletin_id}/submit").status_code == 200
    approved = approver.post(f"/api/v1/bulletins/{bulletin_id}/approve")
    assert approved.status_code == 200, approved.text
    spoken = approved.json()["spoken_text"]
    assert "ban quản lý rừng phòng hộ" in spoken and "BQLR" not in spoken and "lương thực" not in spoken, spoken


def province_emergency(people: dict[str, Api]) -> tuple[int, list[dict[str, Any]]]:
    """A province's emergency bulletin, issued for the whole province: its id and the orders per commune."""
    bulletin_id = province_bulletin(people, "Bão số 3", priority="emergency")
    issued = people["tinh.canbo"].post("/api/v1/emergencies", {"bulletin_id": bulletin_id, "province_code": PROVINCE})
    assert issued.status_code == 201, issued.text
    return bulletin_id, list(issued.json())


def corrupt(settings: Settings, sql: str, **params: object) -> None:
    """Change stored rows behind the API's back, as a bug or a hand edit could."""
    engine = create_engine(settings.database.url)
    with engine.begin() as connection:
        connection.execute(text(sql), params)
    engine.dispose()


def on_playlist(api: Api, commune: str, item_id: str) -> bool:
    return item_id in [i["item_id"] for i in api.get(f"/api/v1/communes/{commune}/playlist").json()["items"]]


def test_a_broken_stored_rule_drops_its_own_items_and_never_holds_up_an_emergency(
    people: dict[str, Api], settings: Settings
) -> None:
    officer = people["tinh.canbo"]
    bulletin_id = province_bulletin(people)
    placed = officer.post(
        f"/api/v1/provinces/{PROVINCE}/programs",
        {"title": "Luật mới", "items": [{"kind": "bulletin", "bulletin_id": bulletin_id}], "rule": {"at": "08:00"}},
    )
    part = next(p for p in placed.json()["parts"] if p["commune_code"] == B)
    corrupt(
        settings, "UPDATE schedule_rule SET pattern = 'once', day = NULL WHERE program_id = :p", p=part["program_id"]
    )

    orders = {order["commune_code"]: order for order in province_emergency(people)[1]}
    assert all(isinstance(order["playlist_version"], int) for order in orders.values()), orders
    assert on_playlist(officer, B, f"e{orders[B]['id']}")
    schedule = officer.get(f"/api/v1/communes/{B}/schedule?date={tomorrow()}").json()
    assert schedule["items"] == []
    [why] = schedule["not_airing"]
    assert why["reason"] == "invalid_rule" and "Lịch phát một lần phải có ngày phát." in why["message"], why
    # A change in that commune is checked strictly: refused, naming the broken rule, until it is fixed.
    again = officer.post(
        f"/api/v1/provinces/{PROVINCE}/programs",
        {"title": "Khác", "items": [{"kind": "bulletin", "bulletin_id": bulletin_id}], "rule": {"at": "09:00"}},
    )
    assert again.status_code == 422 and again.json()["message"].startswith("Xã XA-B: "), again.text


def test_an_overlap_left_behind_the_checks_drops_the_later_item_and_the_commune_still_airs(
    people: dict[str, Api], settings: Settings, admin: Api
) -> None:
    officer = people["tinh.canbo"]
    # Quiet hours away from now in B, so that what is planned within the hour is on its playlist.
    window = quiet_hours_elsewhere()
    quiet = {"start_time": window["quiet_start"].strftime("%H:%M"), "end_time": window["quiet_end"].strftime("%H:%M")}
    assert admin.client.put(f"/api/v1/communes/{B}/quiet-hours", json=quiet).is_success
    bulletin_id = province_bulletin(people)
    soon = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(hours=1)
    items = [{"kind": "bulletin", "bulletin_id": bulletin_id}]
    for title, at in (("Một", soon), ("Hai", soon + timedelta(minutes=5))):
        program = officer.post("/api/v1/programs", {"commune_code": B, "title": title, "items": items}).json()
        rule = {"pattern": "daily", "at": at.strftime("%H:%M")}
        assert officer.post(f"/api/v1/programs/{program['id']}/rules", rule).is_success
    # Both at the same time on the same clusters, behind the API's back.
    corrupt(settings, "UPDATE schedule_rule SET at_time = (SELECT min(at_time) FROM schedule_rule)")

    schedule = officer.get(f"/api/v1/communes/{B}/schedule?date={soon.date().isoformat()}").json()
    assert [i["source"] for i in schedule["items"]] == ["Một"], schedule
    [why] = schedule["not_airing"]
    assert why["reason"] == "overlap" and "trùng giờ với “Mức phạt giao thông mới”" in why["message"], why

    orders = {order["commune_code"]: order for order in province_emergency(people)[1]}
    assert all(isinstance(order["playlist_version"], int) for order in orders.values()), orders
    assert all(on_playlist(officer, code, f"e{orders[code]['id']}") for code in (A, B))
