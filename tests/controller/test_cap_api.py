"""CAP alerts over real HTTP: a source pushes alerts; province staff see them (refused ones with why); a
provincial officer confirms one and it airs as an emergency on exactly the communes its area reaches."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import redirect_stdout
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, col, select

from controller import cli
from controller.accounts import Role
from controller.audit import AuditEntry
from controller.settings import Settings
from tests.cap_messages import cap_alert, reference
from tests.console import ConsoleClient
from tests.harness import Api, ControllerServer, add_user_directly, login, setup_commune
from tests.source_system import SourceSigner


def loaxa(settings: Settings, *argv: str) -> str:
    """Run the `loaxa` command against the test's database; its output."""
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(out):
        patch.setenv("LOAXA_DATABASE__URL", settings.database.url)
        assert cli.main(list(argv)) == 0
    return out.getvalue()


@pytest.fixture
def link(settings: Settings, controller: ControllerServer, admin: Api) -> Iterator[dict[str, Any]]:
    setup_commune(admin, "P", "XA-A", ["A1"])
    setup_commune(admin, "P", "XA-B", ["B1"])
    setup_commune(admin, "P", "XA-C", ["C1"])
    setup_commune(admin, "Q", "XA-Q", ["Q1"])
    for commune, code in (("XA-A", "80101"), ("XA-B", "80102"), ("XA-C", "80103"), ("XA-Q", "90101")):
        loaxa(settings, "cap", "admin-code", commune, code)
    loaxa(settings, "cap", "area-code", "add", "801", "--commune", "XA-A", "--commune", "XA-B")
    users: dict[str, tuple[Role, dict[str, Any]]] = {
        "officer.a": (Role.OFFICER, {"commune_codes": ["XA-A"]}),
        "so.canbo": (Role.OFFICER, {"province_code": "P"}),
        "so.q": (Role.OFFICER, {"province_code": "Q"}),
    }
    apis = {}
    for username, (role, scope) in users.items():
        add_user_directly(settings, username, role, f"{username}-pass", **scope)
        apis[username] = login(controller.base_url, username, f"{username}-pass")
    signer = SourceSigner("PCTT-P")
    response = admin.post(
        "/api/v1/source-systems",
        {"code": "PCTT-P", "name": "Ban Chỉ huy PCTT tỉnh P", "province_code": "P", "public_key": signer.public_key},
    )
    assert response.status_code == 201, response.text
    source = httpx.Client(base_url=controller.base_url, timeout=60)
    yield {"signer": signer, "source": source, "admin": admin, **apis}
    source.close()
    for api in apis.values():
        api.client.close()


def push(link: dict[str, Any], data: bytes) -> httpx.Response:
    signer: SourceSigner = link["signer"]
    headers = {**signer.headers(data), "Content-Type": "application/xml"}
    response: httpx.Response = link["source"].post("/api/v1/source-link/cap", content=data, headers=headers)
    return response


def emergencies(api: Api, commune: str) -> list[dict[str, Any]]:
    response = api.get(f"/api/v1/communes/{commune}/emergencies")
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def audited(settings: Settings, identifier: str) -> list[str]:
    engine = create_engine(settings.database.url)
    with Session(engine) as session:
        entries = session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
        actions = [e.action for e in entries if identifier in e.target or identifier in e.detail]
    engine.dispose()
    return actions


def test_a_confirmed_district_alert_airs_on_exactly_its_communes_and_a_cancel_ends_it(
    settings: Settings, link: dict[str, Any]
) -> None:
    staff, admin = link["so.canbo"], link["admin"]
    sent = push(link, cap_alert("LA-1", geocodes=("801",)))
    assert sent.status_code == 201, sent.text
    receipt = sent.json()
    assert receipt["state"] == "pending" and receipt["communes"] == ["XA-A", "XA-B"]
    assert receipt["priority"] == "khan_cap" and receipt["duplicate"] is False
    again = push(link, cap_alert("LA-1", geocodes=("801",)))
    assert again.status_code == 200 and again.json()["duplicate"] is True

    [listed] = staff.get("/api/v1/cap-alerts").json()
    assert listed["state_vi"] == "chờ xác nhận" and listed["severity_vi"] == "đặc biệt nguy hiểm"
    assert link["officer.a"].get("/api/v1/cap-alerts").status_code == 403  # a commune officer: not province staff
    assert link["so.q"].get("/api/v1/cap-alerts").json() == []
    assert link["so.q"].post(f"/api/v1/cap-alerts/{receipt['alert_id']}/confirm").status_code == 403
    assert emergencies(admin, "XA-A") == []  # nothing airs before confirmation

    confirmed = staff.post(f"/api/v1/cap-alerts/{receipt['alert_id']}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    alert = confirmed.json()
    assert alert["state"] == "aired" and alert["confirmed_by"] == "so.canbo" and len(alert["emergency_ids"]) == 2
    assert [len(emergencies(admin, c)) for c in ("XA-A", "XA-B", "XA-C", "XA-Q")] == [1, 1, 0, 0]
    assert staff.post(f"/api/v1/cap-alerts/{receipt['alert_id']}/confirm").status_code == 409

    cancel = push(link, cap_alert("LA-2", msg_type="Cancel", references=reference("LA-1")))
    assert cancel.status_code == 201 and cancel.json()["state"] == "applied"
    assert all(e["cancelled_at"] is not None for c in ("XA-A", "XA-B") for e in emergencies(admin, c))
    # the Cancel names LA-1 among its references
    assert audited(settings, "LA-1") == [
        "cap.receive",
        "emergency.issue",
        "emergency.issue",
        "cap.confirm",
        "cap.receive",
    ]
    assert audited(settings, "LA-2") == ["cap.receive", "emergency.cancel", "emergency.cancel"]


def test_test_alerts_are_stored_and_never_air(link: dict[str, Any]) -> None:
    sent = push(link, cap_alert("T-1", status="Test"))
    assert sent.status_code == 201 and sent.json()["state"] == "held" and "Test" in sent.json()["reason"]
    response = link["so.canbo"].post(f"/api/v1/cap-alerts/{sent.json()['alert_id']}/confirm")
    assert response.status_code == 409
    assert emergencies(link["admin"], "XA-A") == []


def test_refusals_are_answered_and_shown_to_the_province(link: dict[str, Any]) -> None:
    data = cap_alert("R-1")
    assert link["source"].post("/api/v1/source-link/cap", content=data).status_code == 401
    forged = link["source"].post(
        "/api/v1/source-link/cap", content=data, headers=link["signer"].headers(cap_alert("R-0"))
    )
    assert forged.status_code == 401 and forged.json()["error"] == "source_not_authenticated"
    big = push(link, cap_alert("R-2", description="x" * 600_000))
    assert big.status_code == 413 and big.json()["error"] == "cap_alert_too_large"
    malformed = push(link, b"<alert")
    assert malformed.status_code == 422 and malformed.json()["message"] == "Cảnh báo CAP không phải XML hợp lệ."
    nowhere = push(link, cap_alert("R-3", geocodes=("90101",)))
    assert nowhere.status_code == 422 and nowhere.json()["error"] == "cap_alert_refused"
    refused = link["so.canbo"].get("/api/v1/cap-alerts?state=refused").json()
    assert [a["identifier"] for a in refused] == ["R-3", ""]
    assert "Vùng cảnh báo" in refused[0]["reason"]


def test_auto_air_for_the_severities_the_province_chose(settings: Settings, link: dict[str, Any]) -> None:
    out = loaxa(settings, "cap", "source", "PCTT-P", "--auto-air", "Extreme")
    assert "auto-air: Extreme" in out
    sent = push(link, cap_alert("X-1", geocodes=("80103",)))
    assert sent.status_code == 201 and sent.json()["state"] == "aired"
    assert [len(emergencies(link["admin"], c)) for c in ("XA-A", "XA-C")] == [0, 1]
    moderate = push(link, cap_alert("X-2", severity="Moderate"))
    assert moderate.json()["state"] == "pending"
    assert "X-2" in loaxa(settings, "cap", "list", "--province", "P", "--state", "pending")


def test_the_console_shows_alerts_and_confirms_one_in_one_action(link: dict[str, Any], settings: Settings) -> None:
    assert push(link, cap_alert("W-1", geocodes=("80102",))).status_code == 201
    assert push(link, cap_alert("W-0", geocodes=("90101",))).status_code == 422
    console = ConsoleClient(link["source"].base_url.__str__().rstrip("/"))
    try:
        console.login("so.canbo", "so.canbo-pass")
        page = console.get("/nguon-tinh?tinh=P")
        assert page.status_code == 200
        assert "Cảnh báo CAP" in page.text and "W-1" in page.text and "chờ xác nhận" in page.text
        assert "Vùng cảnh báo không trùng" in page.text  # the refused one, with why
        [action] = re.findall(r'action="(/nguon-tinh/canh-bao/\d+/xac-nhan)"', page.text)
        done = console.post(action)
        assert done.status_code == 303 and "da-xac-nhan-canh-bao" in done.headers["location"]
        assert "đã phát khẩn cấp" in console.get("/nguon-tinh?tinh=P").text
    finally:
        console.close()
    assert len(emergencies(link["admin"], "XA-B")) == 1


def test_an_update_of_an_aired_alert_moves_the_emergency_when_it_airs(link: dict[str, Any]) -> None:
    staff, admin = link["so.canbo"], link["admin"]
    first = push(link, cap_alert("U-1", geocodes=("80101",))).json()
    assert staff.post(f"/api/v1/cap-alerts/{first['alert_id']}/confirm").status_code == 200
    update = push(link, cap_alert("U-2", msg_type="Update", references=reference("U-1"), geocodes=("80103",)))
    assert update.status_code == 201 and update.json()["state"] == "pending"
    [still] = emergencies(admin, "XA-A")
    assert still["cancelled_at"] is None  # the earlier alert airs until its update does

    aired = staff.post(f"/api/v1/cap-alerts/{update.json()['alert_id']}/confirm")
    assert aired.status_code == 200, aired.text
    [ended] = emergencies(admin, "XA-A")
    assert ended["cancelled_at"] is not None and len(emergencies(admin, "XA-C")) == 1
    states = {a["identifier"]: a["state"] for a in staff.get("/api/v1/cap-alerts").json()}
    assert states == {"U-1": "superseded", "U-2": "aired"}
