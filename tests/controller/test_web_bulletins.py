"""Console pages for officers and approvers, over real HTTP: write, preview, record, submit, review, schedule.

And the scoping: an officer of commune A neither sees nor changes commune B, on pages as in the API.
"""

from __future__ import annotations

import io
import math
import re
import struct
import wave
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from controller.accounts import Role
from controller.audit import AuditEntry
from controller.db import make_engine, session_factory
from controller.settings import Settings
from tests.console import ConsoleClient
from tests.harness import Api, ControllerServer, add_user_directly, login, setup_commune

HTMX = {"HX-Request": "true"}


@pytest.fixture
def people(settings: Settings, controller: ControllerServer, admin: Api) -> Iterator[dict[str, ConsoleClient]]:
    setup_commune(admin, "P", "XA-A", ["A1"])
    setup_commune(admin, "P", "XA-B", ["B1"])
    accounts = {
        "officer.a": (Role.OFFICER, {"commune_codes": ["XA-A"]}),
        "approver.a": (Role.APPROVER, {"commune_codes": ["XA-A"]}),
        "officer.b": (Role.OFFICER, {"commune_codes": ["XA-B"]}),
    }
    clients = {}
    for name, (role, scope) in accounts.items():
        add_user_directly(settings, name, role, f"{name}-password", **scope)
        clients[name] = ConsoleClient(controller.base_url)
        clients[name].login(name, f"{name}-password")
    yield clients
    for client in clients.values():
        client.close()


def write_bulletin(officer: ConsoleClient, title: str = "Thông báo tiêm chủng", commune: str = "XA-A") -> int:
    officer.get("/ban-tin/moi")
    response = officer.post(
        "/ban-tin/moi",
        {
            "commune_code": commune,
            "title": title,
            "body": "Ngày 5/6/2026, trạm y tế xã tiêm chủng cho trẻ dưới 5 tuổi.",
            "topic": "y tế",
            "legal_refs": "Nghị định 13/2024/NĐ-CP\n",
            "priority": "normal",
            "dialect": "north",
            "language": "vi",
        },
    )
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/ban-tin/([0-9]+)\?tb=da-tao", response.headers["location"])
    assert match is not None
    return int(match.group(1))


def tone_wav(seconds: float = 1.5, rate: int = 16000) -> bytes:
    frames = b"".join(
        struct.pack("<h", int(0.3 * 32767 * math.sin(2 * math.pi * 440 * n / rate))) for n in range(int(seconds * rate))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


def audit_actions(settings: Settings) -> list[tuple[str, str]]:
    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        rows = session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
        result = [(row.username, row.action) for row in rows]
    engine.dispose()
    return result


def test_write_preview_submit_approve_schedule(people: dict[str, ConsoleClient], settings: Settings) -> None:
    officer, approver = people["officer.a"], people["approver.a"]
    bulletin_id = write_bulletin(officer)
    page = officer.get(f"/ban-tin/{bulletin_id}?tb=da-tao")
    assert "Thông báo tiêm chủng" in page.text and "Bản nháp" in page.text and "Đã lưu bản nháp" in page.text

    preview = officer.client.post(f"/ban-tin/{bulletin_id}/xem-truoc", headers={**HTMX, "X-CSRF-Token": officer.csrf})
    assert preview.status_code == 200, preview.text
    assert "năm tháng sáu năm hai nghìn không trăm hai mươi sáu" in preview.text  # the date, read aloud
    audio_src = re.search(r'<source src="([^"]+)" type="audio/ogg">', preview.text)
    assert audio_src is not None
    audio = officer.client.get(audio_src.group(1).replace("&amp;", "&"))
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/ogg" and audio.content[:4] == b"OggS"
    # The link is this officer's: another commune's officer gets 403, and so does a forged key.
    assert people["officer.b"].client.get(audio_src.group(1).replace("&amp;", "&")).status_code == 403
    assert officer.client.get(audio_src.group(1).split("?")[0] + "?k=" + "0" * 32).status_code == 403

    assert officer.post(f"/ban-tin/{bulletin_id}/gui-duyet").headers["location"].endswith("?tb=da-gui")
    queue = approver.get("/duyet")
    assert f"/ban-tin/{bulletin_id}" in queue.text
    # The author's role cannot approve (403 page in Vietnamese), the approver can.
    refused = officer.post(f"/ban-tin/{bulletin_id}/duyet")
    assert refused.status_code == 403 and "Bạn không có quyền" in refused.text
    approver.get(f"/ban-tin/{bulletin_id}")
    assert approver.post(f"/ban-tin/{bulletin_id}/duyet").status_code == 303
    page = officer.get(f"/ban-tin/{bulletin_id}")
    assert "Đã duyệt" in page.text and "Lên lịch phát" in page.text and "<audio" in page.text
    # Approved audio plays without a key for anyone in the commune's scope.
    approved_src = re.search(r'<source src="(/am-thanh/[0-9a-f]{64}\.opus)', page.text)
    assert approved_src is not None and approver.client.get(approved_src.group(1)).status_code == 200

    zone = ZoneInfo(settings.scheduler.timezone)
    starts = datetime.now(zone).replace(microsecond=0) + timedelta(minutes=10)
    scheduled = officer.post(f"/ban-tin/{bulletin_id}/lich-phat", {"starts_at": starts.strftime("%Y-%m-%dT%H:%M:%S")})
    assert scheduled.status_code == 303 and scheduled.headers["location"] == "/xa/XA-A/lich-phat?tb=da-len-lich"
    playlist = officer.get("/xa/XA-A/lich-phat")
    assert "Thông báo tiêm chủng" in playlist.text and starts.strftime("%H:%M:%S %d/%m/%Y") in playlist.text
    assert "<td>cả xã</td>" in playlist.text  # which clusters play each item

    assert [a for a in audit_actions(settings) if a[1].startswith(("bulletin", "broadcast"))] == [
        ("officer.a", "bulletin.create"),
        ("officer.a", "bulletin.submit"),
        ("approver.a", "bulletin.approve"),
        ("officer.a", "broadcast.create"),
    ]


def test_bad_input_comes_back_in_vietnamese_with_nothing_lost(people: dict[str, ConsoleClient]) -> None:
    officer = people["officer.a"]
    officer.get("/ban-tin/moi")
    body = "Nội dung rất quan trọng không được mất."
    response = officer.post("/ban-tin/moi", {"commune_code": "XA-A", "title": "  ", "body": body, "priority": "x"})
    assert response.status_code == 422
    assert "Tiêu đề: không được để trống." in response.text and "Mức ưu tiên: giá trị không hợp lệ." in response.text
    assert body in response.text
    assert "Chưa có bản tin nào." in officer.get("/ban-tin").text
    bulletin_id = write_bulletin(officer)
    officer.post(f"/ban-tin/{bulletin_id}/gui-duyet")
    people["approver.a"].get("/duyet")
    empty_reason = people["approver.a"].post(f"/ban-tin/{bulletin_id}/tu-choi", {"reason": " "})
    assert empty_reason.status_code == 422 and "Lý do: không được để trống." in empty_reason.text
    bad_time = officer.post(f"/ban-tin/{bulletin_id}/lich-phat", {"starts_at": "ngày mai"})
    assert bad_time.status_code == 422 and "Thời điểm phát: ngày giờ không hợp lệ." in bad_time.text


def test_recording_upload_and_rejection(people: dict[str, ConsoleClient], settings: Settings) -> None:
    officer, approver = people["officer.a"], people["approver.a"]
    bulletin_id = write_bulletin(officer)
    officer.get(f"/ban-tin/{bulletin_id}")
    not_audio = officer.client.post(
        f"/ban-tin/{bulletin_id}/ghi-am",
        data={"csrf_token": officer.csrf},
        files={"recording": ("ghi-am.mp3", b"this is not audio", "audio/mpeg")},
    )
    assert not_audio.status_code == 422 and "loi" in not_audio.text
    uploaded = officer.client.post(
        f"/ban-tin/{bulletin_id}/ghi-am",
        data={"csrf_token": officer.csrf},
        files={"recording": ("ghi-am.wav", tone_wav(), "audio/wav")},
    )
    assert uploaded.status_code == 303, uploaded.text
    assert "Bản ghi âm tải lên" in officer.get(f"/ban-tin/{bulletin_id}").text
    officer.post(f"/ban-tin/{bulletin_id}/gui-duyet")
    approver.get(f"/ban-tin/{bulletin_id}")
    assert approver.post(f"/ban-tin/{bulletin_id}/tu-choi", {"reason": "Ghi âm không rõ"}).status_code == 303
    page = officer.get(f"/ban-tin/{bulletin_id}")
    assert "Bị từ chối" in page.text and "Lý do từ chối: Ghi âm không rõ" in page.text
    actions = [action for _, action in audit_actions(settings)]
    assert "bulletin.recording" in actions and "bulletin.reject" in actions


def test_officer_of_a_cannot_see_or_change_b(people: dict[str, ConsoleClient], admin: Api) -> None:
    officer_a, officer_b = people["officer.a"], people["officer.b"]
    b_id = write_bulletin(officer_b, "Tin của xã B", commune="XA-B")
    assert "/cum-loa/A1" in officer_a.get("/xa/XA-A/lich-phat").text
    assert officer_a.get("/cum-loa/A1").status_code == 200
    for path in (f"/ban-tin/{b_id}", "/xa/XA-B/lich-phat", "/cum-loa/B1"):
        page = officer_a.get(path)
        assert page.status_code == 403 and "Bạn không phụ trách địa bàn này." in page.text
    # The refusal is about scope (not a missing form token), and nothing of B changed.
    for action in ("gui-duyet", "xem-truoc"):
        refused = officer_a.post(f"/ban-tin/{b_id}/{action}")
        assert refused.status_code == 403 and "Bạn không phụ trách địa bàn này." in refused.text
    assert admin.get(f"/api/v1/bulletins/{b_id}").json()["status"] == "draft"
    assert "Tin của xã B" not in officer_a.get("/ban-tin").text
    assert "XA-B" not in officer_a.get("/ban-tin/moi").text
    smuggled = officer_a.post("/ban-tin/moi", {"commune_code": "XA-B", "title": "t", "body": "b"})
    assert smuggled.status_code == 403 and "Bạn không phụ trách địa bàn này." in smuggled.text
    assert all(b["title"] != "t" for b in admin.get("/api/v1/bulletins").json())
    assert "Tin của xã B" in officer_b.get("/ban-tin").text
    for path in ("/giam-sat", "/giam-sat/truc-tiep"):
        dashboard = officer_a.get(path)
        assert dashboard.status_code == 200 and "Xã XA-A" in dashboard.text and "Xã XA-B" not in dashboard.text


def test_an_edit_after_approval_sends_it_back_and_off_the_air(
    people: dict[str, ConsoleClient], settings: Settings, controller: ControllerServer
) -> None:
    officer, approver = people["officer.a"], people["approver.a"]
    bulletin_id = write_bulletin(officer)
    officer.post(f"/ban-tin/{bulletin_id}/gui-duyet")
    approver.get(f"/ban-tin/{bulletin_id}")
    approver.post(f"/ban-tin/{bulletin_id}/duyet")
    starts = datetime.now(ZoneInfo(settings.scheduler.timezone)) + timedelta(minutes=30)
    officer.get(f"/ban-tin/{bulletin_id}")
    officer.post(f"/ban-tin/{bulletin_id}/lich-phat", {"starts_at": starts.strftime("%Y-%m-%dT%H:%M:%S")})
    assert "Thông báo tiêm chủng" in officer.get("/xa/XA-A/lich-phat").text

    form = officer.get(f"/ban-tin/{bulletin_id}/sua")
    assert "phải được duyệt lại" in form.text and "Nghị định 13/2024/NĐ-CP" in form.text
    edited = officer.post(
        f"/ban-tin/{bulletin_id}/sua",
        {"title": "Thông báo tiêm chủng (sửa)", "body": "Đổi sang ngày 6/6/2026.", "priority": "normal"},
    )
    assert edited.headers["location"] == f"/ban-tin/{bulletin_id}?tb=duyet-lai"
    page = officer.get(f"/ban-tin/{bulletin_id}")
    assert "Chờ duyệt" in page.text and "Thông báo tiêm chủng (sửa)" in page.text
    assert "Chưa có mục nào trong lịch phát." in officer.get("/xa/XA-A/lich-phat").text, "off the air until approved"
    assert f"/ban-tin/{bulletin_id}" in approver.get("/duyet").text
    approver.get(f"/ban-tin/{bulletin_id}")
    assert approver.post(f"/ban-tin/{bulletin_id}/duyet").status_code == 303
    assert "Thông báo tiêm chủng (sửa)" in officer.get("/xa/XA-A/lich-phat").text, "back on once approved again"
    assert ("officer.a", "bulletin.edit") in audit_actions(settings)

    # The API does the same: PATCH an approved bulletin and it is pending again.
    api = login(controller.base_url, "officer.a", "officer.a-password")
    try:
        response = api.client.patch(f"/api/v1/bulletins/{bulletin_id}", json={"topic": "tiêm chủng"})
        assert response.status_code == 200 and response.json()["status"] == "pending"
        assert response.json()["audio_sha256"] is None and response.json()["title"] == "Thông báo tiêm chủng (sửa)"
        refused = api.client.patch(f"/api/v1/bulletins/{bulletin_id}", json={"title": ""})
        assert refused.status_code == 422
    finally:
        api.client.close()


def test_making_an_approved_bulletin_internal_keeps_its_approval(
    people: dict[str, ConsoleClient], settings: Settings
) -> None:
    """ "Công khai" decides who may listen again, not what airs: switching it needs no new approval."""
    officer, approver = people["officer.a"], people["approver.a"]
    bulletin_id = write_bulletin(officer)
    assert 'name="public"' in officer.get("/ban-tin/moi").text
    officer.post(f"/ban-tin/{bulletin_id}/gui-duyet")
    approver.get(f"/ban-tin/{bulletin_id}")
    approver.post(f"/ban-tin/{bulletin_id}/duyet")
    form = officer.get(f"/ban-tin/{bulletin_id}/sua")
    assert '<option value="1" selected>Công khai' in form.text
    same = {
        "title": "Thông báo tiêm chủng",
        "body": "Ngày 5/6/2026, trạm y tế xã tiêm chủng cho trẻ dưới 5 tuổi.",
        "topic": "y tế",
        "legal_refs": "Nghị định 13/2024/NĐ-CP",
        "priority": "normal",
        "dialect": "north",
        "language": "vi",
    }
    edited = officer.post(f"/ban-tin/{bulletin_id}/sua", {**same, "public": "0"})
    assert edited.headers["location"] == f"/ban-tin/{bulletin_id}?tb=da-sua"
    page = officer.get(f"/ban-tin/{bulletin_id}").text
    assert "Đã duyệt" in page and "Nội bộ, không công khai" in page
    assert ("officer.a", "bulletin.publicity") in audit_actions(settings)


def test_the_preview_names_what_the_speakers_cannot_read(people: dict[str, ConsoleClient]) -> None:
    officer = people["officer.a"]
    clean_id = write_bulletin(officer)
    clean = officer.client.post(f"/ban-tin/{clean_id}/xem-truoc", headers={**HTMX, "X-CSRF-Token": officer.csrf})
    assert clean.status_code == 200 and 'id="chua-doc-duoc"' not in clean.text

    officer.get("/ban-tin/moi")
    created = officer.post(
        "/ban-tin/moi",
        {
            "commune_code": "XA-A",
            "title": "Đăng ký trực tuyến",
            "body": "Đăng ký tại dichvucong.gov.vn, xem mục § 2.",
            "topic": "hành chính",
            "legal_refs": "",
            "priority": "normal",
            "dialect": "north",
            "language": "vi",
        },
    )
    assert created.status_code == 303, created.text
    bulletin_id = created.headers["location"].split("/")[-1].split("?")[0]
    preview = officer.client.post(f"/ban-tin/{bulletin_id}/xem-truoc", headers={**HTMX, "X-CSRF-Token": officer.csrf})
    assert preview.status_code == 200, preview.text
    assert 'id="chua-doc-duoc"' in preview.text and 'role="alert"' in preview.text
    assert "<strong>dichvucong.gov.vn</strong>" in preview.text and "<strong>§</strong>" in preview.text
    assert "Cần sửa trước khi gửi duyệt" in preview.text
    spoken = re.search(r'<p class="van-ban" id="van-ban-doc">([^<]*)</p>', preview.text)
    assert spoken is not None and "§" not in spoken.group(1) and not re.search(r"[0-9]", spoken.group(1))


def test_an_officer_adds_edits_records_and_removes_versions_and_the_approver_sees_each(
    people: dict[str, ConsoleClient], settings: Settings
) -> None:
    officer, approver, stranger = people["officer.a"], people["approver.a"], people["officer.b"]
    bulletin_id = write_bulletin(officer)
    page = officer.get(f"/ban-tin/{bulletin_id}")
    assert "Chưa có bản dịch nào." in page.text and '<option value="km">Tiếng Khmer</option>' in page.text

    # A mistake comes back on the page as typed, with the reason in Vietnamese.
    empty = officer.post(f"/ban-tin/{bulletin_id}/ban-dich", {"language": "km", "title": "  ", "body": "ខ្លឹមសារ"})
    assert empty.status_code == 422 and "Chưa lưu được bản dịch" in empty.text and "ខ្លឹមសារ" in empty.text
    unknown = officer.post(f"/ban-tin/{bulletin_id}/ban-dich", {"language": "zz", "title": "T", "body": "b"})
    assert unknown.status_code == 422 and "danh sách ngôn ngữ" in unknown.text

    added = officer.post(f"/ban-tin/{bulletin_id}/ban-dich", {"language": "km", "title": "ដំណឹង", "body": "ខ្លឹមសារ"})
    assert added.status_code == 303 and "da-luu-ban-dich" in added.headers["location"]
    page = officer.get(f"/ban-tin/{bulletin_id}")
    assert 'lang="km"' in page.text and "ដំណឹង" in page.text and "Tiếng Khmer:" in page.text
    assert "Chưa có giọng đọc ngoại tuyến cho tiếng Khmer" in page.text
    assert stranger.post(f"/ban-tin/{bulletin_id}/ban-dich", {"language": "km", "title": "x"}).status_code == 403

    uploaded = officer.client.post(
        f"/ban-tin/{bulletin_id}/ban-dich/km/ghi-am",
        data={"csrf_token": officer.csrf},
        files={"recording": ("khmer.wav", tone_wav(), "audio/wav")},
    )
    assert uploaded.status_code == 303, uploaded.text
    page = officer.get(f"/ban-tin/{bulletin_id}")
    assert "Bản ghi âm tải lên" in page.text and "Âm thanh Tiếng Khmer" in page.text

    officer.post(f"/ban-tin/{bulletin_id}/gui-duyet")
    assert "kèm bản tiếng Khmer" in approver.get("/duyet").text
    review = approver.get(f"/ban-tin/{bulletin_id}")
    assert "ដំណឹង" in review.text and "ខ្លឹមសារ" in review.text and "Duyệt bản tin" in review.text
    assert approver.post(f"/ban-tin/{bulletin_id}/duyet").status_code == 303
    assert "đã duyệt cùng bản tin" in officer.get(f"/ban-tin/{bulletin_id}").text

    edited = officer.post(f"/ban-tin/{bulletin_id}/ban-dich", {"language": "km", "title": "ដំណឹងថ្មី", "body": "ខ្លឹមសារ"})
    assert edited.status_code == 303 and "duyet-lai-ban-dich" in edited.headers["location"]
    page = officer.get(f"/ban-tin/{bulletin_id}")
    assert (
        "Chờ duyệt" in page.text and "gửi duyệt lại cùng mọi bản dịch" in officer.get(edited.headers["location"]).text
    )

    removed = officer.post(f"/ban-tin/{bulletin_id}/ban-dich/km/xoa")
    assert removed.status_code == 303
    assert "Chưa có bản dịch nào." in officer.get(f"/ban-tin/{bulletin_id}").text
    actions = [action for _, action in audit_actions(settings)]
    for action in ("bulletin.translation_add", "bulletin.translation_recording", "bulletin.translation_edit"):
        assert action in actions
    assert "bulletin.translation_remove" in actions
