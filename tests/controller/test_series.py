"""Audiobook series ("sách nói") over real HTTP: the API with its scope and bad input, and the public page.

The public side is tested by trying: a series lists only its chapters that are public by the catalogue's
rule (approved, "công khai", placed to air), in the officer's order; a series with none, or an unknown id,
is 404 like anything else not public.
"""

from __future__ import annotations

import pytest

from controller.accounts import Role
from controller.settings import Settings
from tests.controller.test_listen_again import PAGE_LIMIT_BYTES, Site, _bulletin, site
from tests.harness import ControllerServer, add_user_directly, login

__all__ = ["site"]


def _series(site: Site, title: str = "Luật Giao thông đường bộ", **owner: str) -> int:
    data = {"title": title, "description": "Đọc từng chương.", **(owner or {"commune_code": "XA-A"})}
    response = site.officer.post("/api/v1/series", data)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _add(site: Site, series_id: int, title: str) -> None:
    response = site.officer.post(f"/api/v1/series/{series_id}/chapters", {"bulletin_id": site.row_ids[title]})
    assert response.status_code == 200, response.text


def test_create_rename_add_reorder_remove(site: Site) -> None:
    for n in (1, 2, 3):
        _bulletin(site, "XA-A", f"Chương {n}", approve=False)
    series_id = _series(site)
    for n in (1, 2, 3):
        _add(site, series_id, f"Chương {n}")
    ids = [site.row_ids[f"Chương {n}"] for n in (1, 2, 3)]
    assert site.officer.get(f"/api/v1/series/{series_id}").json()["chapter_ids"] == ids

    renamed = site.officer.client.patch(f"/api/v1/series/{series_id}", json={"title": "Luật mới"})
    assert renamed.status_code == 200 and renamed.json()["title"] == "Luật mới"
    assert renamed.json()["description"] == "Đọc từng chương."

    reordered = site.officer.client.put(f"/api/v1/series/{series_id}/chapters", json={"bulletin_ids": ids[::-1]})
    assert reordered.status_code == 200 and reordered.json()["chapter_ids"] == ids[::-1]
    removed = site.officer.client.delete(f"/api/v1/series/{series_id}/chapters/{ids[1]}")
    assert removed.status_code == 200 and removed.json()["chapter_ids"] == [ids[2], ids[0]]
    # The bulletin itself stays, and a series changes nothing about approval.
    chapter = site.officer.get(f"/api/v1/bulletins/{ids[1]}")
    assert chapter.status_code == 200 and chapter.json()["status"] == "pending"
    assert [s["id"] for s in site.officer.get("/api/v1/series").json()] == [series_id]


def test_bad_input_gets_a_vietnamese_message_and_never_a_500(site: Site) -> None:
    _bulletin(site, "XA-A", "Chương A", approve=False)
    _bulletin(site, "XA-B", "Tin xã B", approve=False)
    series_id = _series(site)
    _add(site, series_id, "Chương A")
    a, b = site.row_ids["Chương A"], site.row_ids["Tin xã B"]
    cases = [
        ("post", "/api/v1/series", {"title": "", "commune_code": "XA-A"}, 422, None),
        ("post", "/api/v1/series", {"title": "Hai nơi", "commune_code": "XA-A", "province_code": "TINH"}, 422, None),
        ("post", "/api/v1/series", {"title": "Không có xã", "commune_code": "KHONG"}, 404, None),
        ("post", f"/api/v1/series/{series_id}/chapters", {"bulletin_id": a}, 409, "đã là một chương"),
        ("post", f"/api/v1/series/{series_id}/chapters", {"bulletin_id": b}, 422, "cùng xã"),
        ("post", f"/api/v1/series/{series_id}/chapters", {"bulletin_id": 999_999}, 404, "Không tìm thấy bản tin"),
        ("post", f"/api/v1/series/{series_id}/chapters", {"bulletin_id": "abc"}, 422, None),
        ("put", f"/api/v1/series/{series_id}/chapters", {"bulletin_ids": [a, a]}, 422, "Thứ tự chương"),
        ("put", f"/api/v1/series/{series_id}/chapters", {"bulletin_ids": [b]}, 422, "Thứ tự chương"),
        ("put", f"/api/v1/series/{series_id}/chapters", {"bulletin_ids": [a] * 501}, 422, None),
        ("delete", f"/api/v1/series/{series_id}/chapters/{b}", None, 404, "không phải là một chương"),
        ("get", "/api/v1/series/999999", None, 404, "Không tìm thấy bộ sách nói"),
        ("patch", "/api/v1/series/999999", {"title": "X"}, 404, "Không tìm thấy bộ sách nói"),
        ("patch", f"/api/v1/series/{series_id}", {"title": "x" * 301}, 422, None),
    ]
    for method, path, body, status, words in cases:
        response = site.officer.client.request(method, path, json=body)
        assert response.status_code == status, (path, body, response.text)
        if words:
            assert words in response.json()["message"], response.text
    assert site.officer.get(f"/api/v1/series/{series_id}").json()["chapter_ids"] == [a]


def test_officers_act_only_in_their_communes(site: Site, settings: Settings, controller: ControllerServer) -> None:
    _bulletin(site, "XA-A", "Chương của A", approve=False)
    series_id = _series(site)
    add_user_directly(settings, "canbo-b", Role.OFFICER, "officer-b-pass-1", commune_codes=["XA-B"])
    other = login(controller.base_url, "canbo-b", "officer-b-pass-1")
    try:
        assert other.get(f"/api/v1/series/{series_id}").status_code == 403
        assert other.post("/api/v1/series", {"title": "Của A", "commune_code": "XA-A"}).status_code == 403
        assert other.post("/api/v1/series", {"title": "Của tỉnh", "province_code": "TINH"}).status_code == 403
        renamed = other.client.patch(f"/api/v1/series/{series_id}", json={"title": "Đổi"})
        assert renamed.status_code == 403
        added = other.post(f"/api/v1/series/{series_id}/chapters", {"bulletin_id": site.row_ids["Chương của A"]})
        assert added.status_code == 403
        assert other.get("/api/v1/series").json() == []
        own = other.post("/api/v1/series", {"title": "Của B", "commune_code": "XA-B"})
        assert own.status_code == 201
        # Someone else's bulletin can't be slipped into one's own series.
        theirs = {"bulletin_id": site.row_ids["Chương của A"]}
        slipped = other.post(f"/api/v1/series/{own.json()['id']}/chapters", theirs)
        assert slipped.status_code == 403
    finally:
        other.client.close()
    # An approver writes no series.
    assert site.approver.post("/api/v1/series", {"title": "Duyệt", "commune_code": "XA-A"}).status_code == 403


def test_every_series_response_is_in_the_openapi(site: Site) -> None:
    """Each status the tests above get back is declared on its operation."""
    document = site.public.get("/api/openapi.json").json()
    answered = {
        ("/api/v1/series", "post"): {"201", "403", "404", "422"},
        ("/api/v1/series", "get"): {"200", "403"},
        ("/api/v1/series/{series_id}", "get"): {"200", "403", "404"},
        ("/api/v1/series/{series_id}", "patch"): {"200", "403", "404", "422"},
        ("/api/v1/series/{series_id}/chapters", "post"): {"200", "403", "404", "409", "422"},
        ("/api/v1/series/{series_id}/chapters", "put"): {"200", "403", "404", "422"},
        ("/api/v1/series/{series_id}/chapters/{bulletin_id}", "delete"): {"200", "403", "404"},
    }
    for (path, method), statuses in answered.items():
        declared = set(document["paths"][path][method]["responses"])
        assert statuses | {"503"} <= declared, (path, method, declared)


def test_public_page_shows_only_public_chapters_in_order(site: Site) -> None:
    _bulletin(site, "XA-A", "Điều 2 công khai", schedule="XA-A")
    _bulletin(site, "XA-A", "Điều 1 công khai", schedule="XA-A")
    _bulletin(site, "XA-A", "Điều chưa lên lịch")
    _bulletin(site, "XA-A", "Điều nội bộ", public=False, schedule="XA-A")
    _bulletin(site, "XA-A", "Điều chờ duyệt", approve=False)
    series_id = _series(site, "Luật Trật tự an toàn giao thông")
    for title in ("Điều 1 công khai", "Điều chưa lên lịch", "Điều nội bộ", "Điều chờ duyệt", "Điều 2 công khai"):
        _add(site, series_id, title)
    public_id = site.officer.get(f"/api/v1/series/{series_id}").json()["public_id"]

    response = site.public.get(f"/nghe-lai/sach-noi/{public_id}")
    assert response.status_code == 200, response.text
    page = response.text
    assert len(response.content) < PAGE_LIMIT_BYTES
    assert page.index("Chương 1: Điều 1 công khai") < page.index("Chương 2: Điều 2 công khai")
    for hidden in ("Điều chưa lên lịch", "Điều nội bộ", "Điều chờ duyệt"):
        assert hidden not in page and site.ids[hidden] not in page
    assert f'src="/nghe-lai/am-thanh/{site.ids["Điều 1 công khai"]}.mp3"' in page
    assert site.public.get(f"/nghe-lai/am-thanh/{site.ids['Điều 1 công khai']}.mp3").status_code == 200
    etag = response.headers["etag"]
    assert site.public.get(f"/nghe-lai/sach-noi/{public_id}", headers={"If-None-Match": etag}).status_code == 304
    # Listed on its commune's page and the province's, not on another commune's.
    assert f"/nghe-lai/sach-noi/{public_id}" in site.public.get("/nghe-lai/XA-A").text
    assert f"/nghe-lai/sach-noi/{public_id}" in site.public.get("/nghe-lai/").text
    assert f"/nghe-lai/sach-noi/{public_id}" not in site.public.get("/nghe-lai/XA-B").text

    # Reordered by the officer: the public page follows.
    ids = site.officer.get(f"/api/v1/series/{series_id}").json()["chapter_ids"]
    site.officer.client.put(f"/api/v1/series/{series_id}/chapters", json={"bulletin_ids": ids[::-1]})
    page = site.public.get(f"/nghe-lai/sach-noi/{public_id}").text
    assert page.index("Chương 1: Điều 2 công khai") < page.index("Chương 2: Điều 1 công khai")


@pytest.mark.parametrize("kind", ["unknown", "no-public-chapter", "empty", "bad-id"])
def test_unknown_or_unpublished_series_are_404(site: Site, kind: str) -> None:
    public_id = "0123456789abcdef" if kind == "unknown" else "../../api" if kind == "bad-id" else ""
    if kind in ("no-public-chapter", "empty"):
        series_id = _series(site, "Bộ chưa công khai")
        if kind == "no-public-chapter":
            _bulletin(site, "XA-A", "Chương nội bộ", public=False, schedule="XA-A")
            _bulletin(site, "XA-A", "Chương chờ duyệt", approve=False)
            _add(site, series_id, "Chương nội bộ")
            _add(site, series_id, "Chương chờ duyệt")
        public_id = site.officer.get(f"/api/v1/series/{series_id}").json()["public_id"]
    response = site.public.get(f"/nghe-lai/sach-noi/{public_id}")
    assert response.status_code == 404
    assert "Không tìm thấy" in response.text
    assert "Bộ chưa công khai" not in site.public.get("/nghe-lai/XA-A").text


def test_a_province_series_shows_its_province_bulletins(site: Site) -> None:
    created = site.officer.post(
        "/api/v1/bulletins",
        {"province_code": "TINH", "title": "Chương tỉnh", "body": "Nội dung.", "legal_field": "giao-thong"},
    )
    assert created.status_code == 201, created.text
    _bulletin(site, "XA-A", "Chương xã")
    series_id = _series(site, "Sách nói của tỉnh", province_code="TINH")
    assert (
        site.officer.post(f"/api/v1/series/{series_id}/chapters", {"bulletin_id": created.json()["id"]}).status_code
        == 200
    )
    refused = site.officer.post(f"/api/v1/series/{series_id}/chapters", {"bulletin_id": site.row_ids["Chương xã"]})
    assert refused.status_code == 422
    # Its one chapter is not approved yet: not on the public site.
    public_id = site.officer.get(f"/api/v1/series/{series_id}").json()["public_id"]
    assert site.public.get(f"/nghe-lai/sach-noi/{public_id}").status_code == 404


def test_console_page_makes_and_orders_a_series(settings: Settings, controller: ControllerServer, site: Site) -> None:
    from tests.console import ConsoleClient

    for n in (1, 2):
        _bulletin(site, "XA-A", f"Chương {n}", approve=False)
    add_user_directly(settings, "canbo-a", Role.OFFICER, "officer-a-pass-1", commune_codes=["XA-A"])
    officer = ConsoleClient(controller.base_url)
    try:
        officer.login("canbo-a", "officer-a-pass-1")
        listing = officer.get("/sach-noi")
        assert listing.status_code == 200 and "Tạo bộ sách nói" in listing.text
        assert 'value="xa:XA-A"' in listing.text and "xa:XA-B" not in listing.text
        empty = officer.post("/sach-noi", {"title": "  ", "place": "xa:XA-A"})
        assert empty.status_code == 422 and "Tiêu đề: không được để trống" in empty.text
        assert officer.post("/sach-noi", {"title": "Của B", "place": "xa:XA-B"}).status_code == 403
        created = officer.post(
            "/sach-noi", {"title": "Luật Đất đai", "description": "Từng chương.", "place": "xa:XA-A"}
        )
        assert created.status_code == 303, created.text
        page_url = created.headers["location"].split("?")[0]
        for n in (1, 2):
            added = officer.post(f"{page_url}/them", {"bulletin_id": str(site.row_ids[f"Chương {n}"])})
            assert added.status_code == 303, added.text
        assert officer.post(f"{page_url}/them", {"bulletin_id": "abc"}).status_code == 422
        second = site.row_ids["Chương 2"]
        assert officer.post(f"{page_url}/chuong/{second}/len", {}).status_code == 303
        page = officer.get(page_url).text
        assert page.index("Chương 2</a>") < page.index("Chương 1</a>")
        assert "<td>Chờ duyệt</td>" in page
        assert officer.post(f"{page_url}/chuong/{second}/bo", {}).status_code == 303
        assert "Chương 2</a>" not in officer.get(page_url).text.split("Thêm chương")[0]
        renamed = officer.post(f"{page_url}/sua", {"title": "Luật Đất đai 2024", "description": ""})
        assert renamed.status_code == 303
        assert "Sách nói: Luật Đất đai 2024" in officer.get(page_url).text
    finally:
        officer.close()
