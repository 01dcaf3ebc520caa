"""The controlled list of fields of law over the real API: bulletins carry one, admins keep the list."""

from __future__ import annotations

import pytest

from controller.settings import Settings
from tests.console import ConsoleClient
from tests.harness import Api, ControllerServer, setup_commune, staff

pytestmark = pytest.mark.one_database("sqlite", why="API rules; the field's storage is tested by test_migrations")


def _bulletin(officer: Api, **fields: object) -> dict[str, object]:
    body = {"commune_code": "XA", "title": "Đội mũ bảo hiểm", "body": "Kính thưa bà con.", **fields}
    response = officer.post("/api/v1/bulletins", body)
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


def test_bulletins_are_filed_under_a_field_of_the_list(
    settings: Settings, controller: ControllerServer, admin: Api, request: pytest.FixtureRequest
) -> None:
    setup_commune(admin, "P", "XA", ["C1"])
    officer, approver = staff(settings, controller.base_url, request, commune="XA")
    fields = officer.get("/api/v1/legal-fields").json()
    codes = [f["code"] for f in fields]
    assert len(fields) == 25 and codes[-1] == "khac" and "giao-thong" in codes

    # Chosen, found from the free-text topic, or "Khác"; never a code outside the list.
    assert _bulletin(officer, legal_field="dat-dai")["legal_field"] == "dat-dai"
    assert _bulletin(officer, topic="an toàn giao thông")["legal_field"] == "giao-thong"
    assert _bulletin(officer, topic="chuyện trong xóm")["legal_field"] == "khac"
    unknown = officer.post("/api/v1/bulletins", {"commune_code": "XA", "title": "t", "body": "b", "legal_field": "x"})
    assert unknown.status_code == 422 and "danh mục" in unknown.json()["message"], unknown.text

    # Re-filing an approved bulletin is not a change of what is heard: it stays approved.
    bulletin = _bulletin(officer, legal_field="dat-dai")
    assert officer.post(f"/api/v1/bulletins/{bulletin['id']}/submit").status_code == 200
    assert approver.post(f"/api/v1/bulletins/{bulletin['id']}/approve").status_code == 200
    refiled = officer.client.patch(f"/api/v1/bulletins/{bulletin['id']}", json={"legal_field": "moi-truong"})
    assert refiled.status_code == 200, refiled.text
    assert refiled.json()["legal_field"] == "moi-truong" and refiled.json()["status"] == "approved"
    retitled = officer.client.patch(f"/api/v1/bulletins/{bulletin['id']}", json={"title": "Tiêu đề mới"})
    assert retitled.json()["status"] == "pending"

    # Admins keep the list: add, rename, retire; nobody else may.
    new = {"code": "du-lich", "name": "Du lịch"}
    assert officer.post("/api/v1/legal-fields", new).status_code == 403
    added = admin.post("/api/v1/legal-fields", new)
    assert added.status_code == 201 and added.json()["position"] > fields[-1]["position"], added.text
    assert admin.post("/api/v1/legal-fields", new).status_code == 409
    assert admin.post("/api/v1/legal-fields", {"code": "du-lich-2", "name": "du lịch"}).status_code == 409
    assert admin.post("/api/v1/legal-fields", {"code": "Du Lịch", "name": "X"}).status_code == 422
    assert officer.client.patch("/api/v1/legal-fields/du-lich", json={"active": False}).status_code == 403
    assert admin.client.patch("/api/v1/legal-fields/nope", json={"active": False}).status_code == 422
    renamed = admin.client.patch("/api/v1/legal-fields/dat-dai", json={"name": "Đất đai, nhà ở"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Đất đai, nhà ở"
    retired = admin.client.patch("/api/v1/legal-fields/du-lich", json={"active": False})
    assert retired.status_code == 200 and retired.json()["active"] is False
    refused = officer.post(
        "/api/v1/bulletins", {"commune_code": "XA", "title": "t", "body": "b", "legal_field": "du-lich"}
    )
    assert refused.status_code == 422 and "ngừng sử dụng" in refused.json()["message"], refused.text
    assert "du-lich" not in [f["code"] for f in officer.get("/api/v1/legal-fields?active=true").json()]
    assert "du-lich" in [f["code"] for f in officer.get("/api/v1/legal-fields").json()]


def test_the_console_form_offers_the_active_fields_and_the_page_names_the_field(
    settings: Settings, controller: ControllerServer, admin: Api, request: pytest.FixtureRequest
) -> None:
    setup_commune(admin, "P", "XA", ["C1"])
    staff(settings, controller.base_url, request, commune="XA")
    assert admin.client.patch("/api/v1/legal-fields/bau-cu", json={"active": False}).status_code == 200
    console = ConsoleClient(controller.base_url)
    request.addfinalizer(console.close)
    console.login("canbo", "officer-pass-1")
    form = console.get("/ban-tin/moi").text
    assert "Lĩnh vực pháp luật" in form and "Phòng, chống ma túy" in form and "Bầu cử" not in form
    fields = {"commune_code": "XA", "title": "Dồn điền đổi thửa", "body": "Kính thưa bà con.", "topic": ""}
    created = console.post("/ban-tin/moi", {**fields, "legal_field": "dat-dai"})
    assert created.status_code == 303, created.text
    page = console.get(created.headers["location"]).text
    assert "<dt>Lĩnh vực</dt><dd>Đất đai</dd>" in page
    refused = console.post("/ban-tin/moi", {**fields, "legal_field": "bau-cu"})
    assert refused.status_code == 422 and "ngừng sử dụng" in refused.text and "Dồn điền đổi thửa" in refused.text
