"""Stream sources over the real API: a real Icecast fed by ffmpeg, a real controller, a fresh database.

Registration listens to the URL: an unreachable URL or one that is not audio is refused in Vietnamese
and nothing is stored; only admins change sources; users read national sources and their province's.
"""

from __future__ import annotations

import io

import pytest
from sqlmodel import select

from controller.accounts import Role
from controller.cli import build_parser
from controller.settings import Settings
from devices.icecast import IcecastServer
from schedules.stream_source import StreamSource
from tests.conftest import ADMIN_PASSWORD
from tests.console import ConsoleClient
from tests.harness import Api, ControllerServer, add_user_directly, login, setup_commune
from tests.tone_source import ToneSource


def stored(controller: ControllerServer) -> list[str]:
    with controller.services.sessions() as session:
        return sorted(s.name for s in session.exec(select(StreamSource)))


@pytest.mark.one_database("sqlite", why="the subject is the probe of a live stream, not the database")
def test_register_read_and_delete_sources(
    admin: Api, settings: Settings, controller: ControllerServer, icecast: IcecastServer
) -> None:
    setup_commune(admin, "TINH-A", "XA-A", [])
    setup_commune(admin, "TINH-B", "XA-B", [])
    with ToneSource(icecast, "/vov1.mp3") as vov, ToneSource(icecast, "/tinh.ogg", codec="ogg") as province:
        made = admin.post("/api/v1/streams", {"name": "VOV1", "url": vov.url})
        assert made.status_code == 201, made.text
        assert made.json()["codec"] == "mp3"
        own = admin.post("/api/v1/streams", {"name": "Đài tỉnh B", "url": province.url, "province_code": "TINH-B"})
        assert own.status_code == 201, own.text
        assert own.json()["codec"] == "opus"
        again = admin.post("/api/v1/streams", {"name": "VOV1", "url": vov.url})
        assert again.status_code == 409 and "Đã có nguồn" in again.json()["message"]

    add_user_directly(settings, "canbo.a", Role.OFFICER, "officer-pass-1", commune_codes=["XA-A"])
    add_user_directly(settings, "canbo.b", Role.OFFICER, "officer-pass-1", commune_codes=["XA-B"])
    officer_a = login(controller.base_url, "canbo.a", "officer-pass-1")
    officer_b = login(controller.base_url, "canbo.b", "officer-pass-1")
    assert [s["name"] for s in officer_a.get("/api/v1/streams").json()] == ["VOV1"]
    assert [s["name"] for s in officer_b.get("/api/v1/streams").json()] == ["VOV1", "Đài tỉnh B"]
    # Only admins change them.
    assert officer_a.post("/api/v1/streams", {"name": "X", "url": "http://127.0.0.1:1/x"}).status_code == 403
    assert officer_a.client.delete(f"/api/v1/streams/{made.json()['id']}").status_code == 403
    assert admin.client.delete(f"/api/v1/streams/{made.json()['id']}").status_code == 204
    assert admin.client.delete(f"/api/v1/streams/{made.json()['id']}").status_code == 404
    assert stored(controller) == ["Đài tỉnh B"]
    for api in (officer_a, officer_b):
        api.client.close()


@pytest.mark.one_database("sqlite", why="the subject is the probe of a live stream, not the database")
def test_unreachable_or_non_audio_urls_are_refused_and_nothing_is_stored(
    admin: Api, controller: ControllerServer, icecast: IcecastServer
) -> None:
    cases = {
        "http://127.0.0.1:1/vov1.mp3": ("stream_unreachable", "Không kết nối được"),
        icecast.mount_url("/khong-co.mp3"): ("stream_unreachable", "lỗi 404"),
        f"{icecast.url}/status-json.xsl": ("stream_not_audio", "không phát âm thanh"),
        "ftp://127.0.0.1/a.mp3": ("invalid_request", "không hợp lệ"),
        "file:///etc/passwd": ("invalid_request", "không hợp lệ"),
    }
    for url, (code, words) in cases.items():
        answer = admin.post("/api/v1/streams", {"name": "Hỏng", "url": url})
        assert answer.status_code == 422, (url, answer.text)
        body = answer.json()
        assert body["error"] == code, (url, body)
        assert words in body["message"], (url, body)
    assert stored(controller) == []


@pytest.mark.one_database("sqlite", why="the subject is the commune's choice over HTTP")
def test_a_commune_chooses_its_relay_fill(admin: Api) -> None:
    setup_commune(admin, "TINH-A", "XA-A", [])
    assert admin.get("/api/v1/communes/XA-A/relay-fill").json()["fill"] == "silence"
    chosen = admin.client.put("/api/v1/communes/XA-A/relay-fill", json={"fill": "stock", "stock_key": "storm"})
    assert chosen.status_code == 200, chosen.text
    assert admin.get("/api/v1/communes/XA-A/relay-fill").json()["stock_key"] == "storm"
    bad = admin.client.put("/api/v1/communes/XA-A/relay-fill", json={"fill": "stock", "stock_key": "nope"})
    assert bad.status_code == 422 and bad.json()["error"] == "unknown_stock_key"
    language = admin.client.put(
        "/api/v1/communes/XA-A/relay-fill", json={"fill": "stock", "stock_key": "storm", "stock_language": "fr"}
    )
    assert language.status_code == 422 and language.json()["error"] == "unknown_stock_language"
    assert admin.post("/api/v1/streams", {"name": "   ", "url": "http://127.0.0.1:1/a.mp3"}).status_code == 422
    assert admin.get("/api/v1/communes/XA-A/relay-fill").json()["stock_key"] == "storm"


@pytest.mark.one_database("sqlite", why="the subject is the command line over HTTP")
def test_stream_commands(
    settings: Settings,
    controller: ControllerServer,
    admin: Api,
    icecast: IcecastServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def loaxa(*argv: str) -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(ADMIN_PASSWORD + "\n"))
        full = [*argv, "--user", "admin", "--password-stdin", "--url", controller.base_url]
        args = build_parser().parse_args(full)
        result: int = args.func(args, settings)
        return result

    setup_commune(admin, "TINH-A", "XA-A", [])
    with ToneSource(icecast, "/vov1.aac", codec="aac") as vov:
        assert loaxa("stream", "add", "VOV1", vov.url) == 0
        assert "(mã 1, aac)" in capsys.readouterr().out
    assert loaxa("stream", "add", "Hỏng", "http://127.0.0.1:1/x.mp3") == 2
    assert "Không kết nối được" in capsys.readouterr().err
    assert loaxa("stream", "list") == 0
    assert capsys.readouterr().out.startswith("1\tVOV1\taac\ttoàn quốc\t")
    assert loaxa("stream", "fill", "XA-A", "--stock", "test_tone", "vi") == 0
    assert "bản tin mẫu test_tone/vi" in capsys.readouterr().out
    # A program relaying it, from the command line; then the source cannot be removed until the program is.
    assert loaxa("schedule", "program-add", "--commune", "XA-A", "--title", "Thời sự", "--relay", "1:20") == 0
    (program,) = admin.get("/api/v1/communes/XA-A/programs").json()
    (item,) = program["items"]
    assert (item["kind"], item["stream_source_id"], item["duration_ms"]) == ("relay", 1, 20 * 60_000)
    assert loaxa("stream", "delete", "1") == 2
    assert "đang được dùng" in capsys.readouterr().err
    assert admin.client.delete(f"/api/v1/programs/{program['id']}").status_code == 204
    assert loaxa("stream", "delete", "1") == 0
    assert loaxa("stream", "delete", "1") == 2
    assert "Không tìm thấy nguồn tiếp sóng" in capsys.readouterr().err


@pytest.mark.one_database("sqlite", why="the subject is the console page over HTTP")
def test_the_console_page_for_admins(
    settings: Settings, controller: ControllerServer, admin: Api, icecast: IcecastServer
) -> None:
    setup_commune(admin, "TINH-A", "XA-A", [])
    console = ConsoleClient(controller.base_url)
    console.login("admin", ADMIN_PASSWORD)
    page = console.get("/tiep-song")
    assert page.status_code == 200 and "Chưa có nguồn tiếp sóng nào" in page.text and 'href="/tiep-song"' in page.text
    refused = console.post("/tiep-song/them", {"name": "Hỏng", "url": "http://127.0.0.1:1/x.mp3"})
    assert refused.status_code == 422 and "Không kết nối được" in refused.text
    assert console.post("/tiep-song/them", {"name": "Hỏng", "url": "không phải địa chỉ"}).status_code == 422
    with ToneSource(icecast, "/tinh.mp3") as tone:
        added = console.post("/tiep-song/them", {"name": "Đài tỉnh A", "url": tone.url, "province_code": "TINH-A"})
    assert added.status_code == 303
    listed = console.get(added.headers["location"])
    assert "Đã thêm nguồn tiếp sóng" in listed.text
    assert "Đài tỉnh A" in listed.text and "Tỉnh TINH-A" in listed.text
    assert stored(controller) == ["Đài tỉnh A"]
    console.close()

    add_user_directly(settings, "canbo.a", Role.OFFICER, "officer-pass-1", commune_codes=["XA-A"])
    officer = ConsoleClient(controller.base_url)
    officer.login("canbo.a", "officer-pass-1")
    assert officer.get("/tiep-song").status_code == 403
    assert officer.post("/tiep-song/them", {"name": "X", "url": "http://127.0.0.1:1/x"}).status_code == 403
    officer.close()
