"""Live broadcasts over the real API and WebSocket: a real controller, a real Icecast asking it who may
listen, ffmpeg piping the "browser's" WebM/Opus into a per-session mount, a fresh database."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from controller.accounts import Role
from controller.api.live import listener_key
from controller.audit import AuditEntry
from controller.live.session import LiveOnAir, LiveSession
from controller.live.workflow import end, get_session
from controller.settings import Settings
from devices.icecast import IcecastServer
from tests.conftest import ADMIN_PASSWORD
from tests.console import ConsoleClient
from tests.harness import Api, ControllerServer, add_user_directly, login, setup_commune
from tests.live_audio import messages, open_socket, send_paced, webm_tone

pytestmark = pytest.mark.one_database("sqlite", why="live audio is ffmpeg's, Icecast's and the socket's")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # A session gone quiet ends after 2 s here (20 s in the field).
    return settings.model_copy(update={"live": settings.live.model_copy(update={"idle_timeout_s": 2.0})})


def _officer(settings: Settings, base_url: str, username: str, commune: str) -> Api:
    add_user_directly(settings, username, Role.OFFICER, "officer-pass-1", commune_codes=[commune])
    return login(base_url, username, "officer-pass-1")


def _grant(admin: Api, username: str, commune: str, *, pre_empt: bool = False) -> None:
    response = admin.post("/api/v1/live-grants", {"username": username, "commune_code": commune, "pre_empt": pre_empt})
    assert response.status_code == 201, response.text


@pytest.fixture
def admin(settings: Settings, live_controller: tuple[ControllerServer, IcecastServer]) -> Iterator[Api]:
    """The admin of the live controller (the shared `admin` fixture would start a second controller)."""
    add_user_directly(settings, "admin", Role.ADMIN, ADMIN_PASSWORD)
    api = login(live_controller[0].base_url, "admin", ADMIN_PASSWORD)
    yield api
    api.client.close()


def _token(api: Api) -> str:
    return str(api.client.headers["Authorization"]).removeprefix("Bearer ")


def test_without_the_live_permission_nobody_goes_live(
    settings: Settings, live_controller: tuple[ControllerServer, IcecastServer], admin: Api
) -> None:
    controller, _ = live_controller
    setup_commune(admin, "T1", "X1", ["X1-C1"])
    officer = _officer(settings, controller.base_url, "canbo", "X1")
    refused = officer.post("/api/v1/live", {"commune_code": "X1"})
    assert refused.status_code == 403
    assert refused.json()["error"] == "live_not_permitted"
    assert "chưa được cấp quyền phát trực tiếp" in refused.json()["message"]
    _grant(admin, "canbo", "X1")
    # Granted without the right to pre-empt: an emergency (which cuts anything) is still refused.
    emergency = officer.post("/api/v1/live", {"commune_code": "X1", "priority": "emergency"})
    assert emergency.status_code == 403 and emergency.json()["error"] == "live_preempt_not_permitted"
    # Only an admin grants it.
    assert officer.post("/api/v1/live-grants", {"username": "canbo", "commune_code": "X1"}).status_code == 403
    assert officer.post("/api/v1/live", {"commune_code": "X1"}).status_code == 201


def test_two_officers_cannot_be_live_in_one_commune_at_once(
    settings: Settings, live_controller: tuple[ControllerServer, IcecastServer], admin: Api
) -> None:
    controller, _ = live_controller
    setup_commune(admin, "T1", "X1", ["X1-C1", "X1-C2"])
    first = _officer(settings, controller.base_url, "canbo1", "X1")
    second = _officer(settings, controller.base_url, "canbo2", "X1")
    _grant(admin, "canbo1", "X1")
    _grant(admin, "canbo2", "X1")
    going = first.post("/api/v1/live", {"commune_code": "X1", "title": "Lịch tiêm chủng"})
    assert going.status_code == 201, going.text
    busy = second.post("/api/v1/live", {"clusters": ["X1-C2"]})
    assert busy.status_code == 409
    assert busy.json()["error"] == "live_busy" and "đang có người khác phát trực tiếp" in busy.json()["message"]
    key = going.json()["key"]
    assert first.post(f"/api/v1/live/{key}/stop").json()["end_reason"] == "stopped"
    assert second.post("/api/v1/live", {"clusters": ["X1-C2"]}).status_code == 201


def test_non_audio_into_the_socket_ends_the_session_with_a_clear_message(
    settings: Settings, live_controller: tuple[ControllerServer, IcecastServer], admin: Api
) -> None:
    controller, _ = live_controller
    setup_commune(admin, "T1", "X1", ["X1-C1"])
    officer = _officer(settings, controller.base_url, "canbo", "X1")
    _grant(admin, "canbo", "X1")
    live = officer.post("/api/v1/live", {"commune_code": "X1"}).json()
    with open_socket(controller.base_url, live["audio_socket"], _token(officer)) as socket:
        socket.send(b"%PDF-1.7 this is a document, not a microphone" * 20)
        said = messages(socket)
    assert said and said[0]["type"] == "error" and said[0]["code"] == "live_not_audio"
    assert "không phải âm thanh" in said[0]["message"] and "lịch phát vẫn tiếp tục" in said[0]["message"]
    ended = officer.get(f"/api/v1/live/{live['key']}").json()
    assert ended["end_reason"] == "not_audio" and ended["end_reason_vi"]
    # The commune is free again at once.
    assert officer.post("/api/v1/live", {"commune_code": "X1"}).status_code == 201


def test_a_session_whose_browser_never_sends_audio_ends_by_itself(
    settings: Settings, live_controller: tuple[ControllerServer, IcecastServer], admin: Api
) -> None:
    controller, _ = live_controller
    setup_commune(admin, "T1", "X1", ["X1-C1"])
    officer = _officer(settings, controller.base_url, "canbo", "X1")
    _grant(admin, "canbo", "X1")
    key = officer.post("/api/v1/live", {"commune_code": "X1"}).json()["key"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and officer.get(f"/api/v1/live/{key}").json()["ended_at"] is None:
        time.sleep(0.2)
    assert officer.get(f"/api/v1/live/{key}").json()["end_reason"] == "disconnected"


def test_live_audio_reaches_icecast_for_targeted_nodes_only_and_is_recorded(
    settings: Settings,
    live_controller: tuple[ControllerServer, IcecastServer],
    admin: Api,
    tmp_path: Path,
) -> None:
    controller, icecast = live_controller
    target, other = setup_commune(admin, "T1", "X1", ["X1-C1", "X1-C2"])
    officer = _officer(settings, controller.base_url, "canbo", "X1")
    _grant(admin, "canbo", "X1")
    live = officer.post("/api/v1/live", {"clusters": ["X1-C1"], "title": "Đường ngập"}).json()
    tone = webm_tone(tmp_path / "tone.webm", 4).read_bytes()
    with open_socket(controller.base_url, live["audio_socket"], _token(officer)) as socket:
        send_paced(socket, tone[: len(tone) // 4], 1.0)
        mount = icecast.mount_url(live["mount"])
        # The targeted cluster, with its own credentials, hears it; the other cluster and strangers do not.
        with httpx.stream("GET", mount, auth=(target.device_code, target.password), timeout=5) as heard:
            assert heard.status_code == 200
            first = next(heard.iter_bytes())
        assert first.startswith(b"OggS")
        assert httpx.get(mount, auth=(other.device_code, other.password), timeout=5).status_code == 401
        assert httpx.get(mount, auth=(target.device_code, "wrong"), timeout=5).status_code == 401
        send_paced(socket, tone[len(tone) // 4 :], 3.0)
        socket.send('{"type": "stop"}')
        said = messages(socket)
    assert {"type": "on_air"} in said and said[-1]["type"] == "ended"
    ended = officer.get(f"/api/v1/live/{live['key']}").json()
    assert ended["end_reason"] == "stopped"
    assert ended["recording_sha256"] and 3000 <= ended["recorded_ms"] <= 5000
    with controller.services.sessions() as session:
        actions = [e.action for e in session.exec(select(AuditEntry).where(AuditEntry.target == f"live:{live['key']}"))]
        assert actions == ["live.start", "live.end"]
        assert session.exec(select(LiveOnAir)).first() is None
        assert session.exec(select(LiveSession)).one().on_air_at is not None


def test_a_session_whose_audio_stays_silent_ends_by_itself(
    settings: Settings, live_controller: tuple[ControllerServer, IcecastServer], admin: Api, tmp_path: Path
) -> None:
    controller, _ = live_controller
    setup_commune(admin, "T1", "X1", ["X1-C1"])
    officer = _officer(settings, controller.base_url, "canbo", "X1")
    _grant(admin, "canbo", "X1")
    live = officer.post("/api/v1/live", {"commune_code": "X1"}).json()
    silence = tmp_path / "silence.webm"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t", "6",
         "-c:a", "libopus", "-b:a", "32k", "-f", "webm", str(silence)],
        check=True, timeout=60,
    )  # fmt: skip
    with open_socket(controller.base_url, live["audio_socket"], _token(officer)) as socket:
        with contextlib.suppress(Exception):  # the server ends it while the "phone" still sends
            send_paced(socket, silence.read_bytes(), 6.0)
        messages(socket, timeout_s=2)
    ended = officer.get(f"/api/v1/live/{live['key']}").json()
    assert ended["end_reason"] == "silent" and ended["end_reason_vi"] == "im lặng quá lâu", ended


def test_the_socket_and_the_listener_check_refuse_strangers(
    settings: Settings, live_controller: tuple[ControllerServer, IcecastServer], admin: Api
) -> None:
    controller, _ = live_controller
    (cluster,) = setup_commune(admin, "T1", "X1", ["X1-C1"])
    officer = _officer(settings, controller.base_url, "canbo", "X1")
    other = _officer(settings, controller.base_url, "canbo2", "X1")
    _grant(admin, "canbo", "X1")
    live = officer.post("/api/v1/live", {"commune_code": "X1"}).json()
    # Another officer cannot speak into someone else's session.
    with open_socket(controller.base_url, live["audio_socket"], _token(other)) as socket:
        (said,) = messages(socket)
    assert said["type"] == "error" and said["code"] == "live_session_not_found"
    # Only Icecast (with the key in its callback URL) may ask who may listen.
    form = {"action": "listener_add", "mount": live["mount"], "user": cluster.device_code, "pass": cluster.password}
    stranger = httpx.post(f"{controller.base_url}/api/v1/live/listeners", data=form, timeout=5)
    assert stranger.status_code == 403 and "icecast-auth-user" not in stranger.headers
    asked = httpx.post(
        f"{controller.base_url}/api/v1/live/listeners",
        params={"key": listener_key(controller.settings)},
        data=form,
        timeout=5,
    )
    assert asked.headers.get("icecast-auth-user") == "1"


def test_provincial_staff_go_live_in_the_whole_province(
    settings: Settings, live_controller: tuple[ControllerServer, IcecastServer], admin: Api
) -> None:
    controller, _ = live_controller
    setup_commune(admin, "T1", "X1", ["X1-C1"])
    setup_commune(admin, "T1", "X2", ["X2-C1"])
    add_user_directly(settings, "so.tuphap", Role.OFFICER, "officer-pass-1", province_code="T1")
    staff = login(controller.base_url, "so.tuphap", "officer-pass-1")
    granted = admin.post("/api/v1/live-grants", {"username": "so.tuphap", "province_code": "T1", "pre_empt": True})
    assert granted.status_code == 201, granted.text
    live = staff.post("/api/v1/live", {"province_code": "T1", "priority": "emergency", "title": "Bão số 5"})
    assert live.status_code == 201, live.text
    assert live.json()["communes"] == ["X1", "X2"] and live.json()["priority"] == "emergency"
    # Both communes are held: a commune officer there waits.
    officer = _officer(settings, controller.base_url, "canbo", "X2")
    _grant(admin, "canbo", "X2")
    assert officer.post("/api/v1/live", {"commune_code": "X2"}).status_code == 409


def test_the_live_page_says_who_may_and_refuses_in_vietnamese(
    settings: Settings, live_controller: tuple[ControllerServer, IcecastServer], admin: Api
) -> None:
    controller, _ = live_controller
    setup_commune(admin, "T1", "X1", ["X1-C1", "X1-C2"])
    _officer(settings, controller.base_url, "canbo", "X1").client.close()
    console = ConsoleClient(controller.base_url)
    console.login("canbo", "officer-pass-1")
    page = console.get("/phat-truc-tiep")
    assert page.status_code == 200 and 'href="/phat-truc-tiep"' in page.text
    assert "chưa được cấp quyền phát trực tiếp" in page.text and "Bắt đầu nói" not in page.text
    refused = console.post("/phat-truc-tiep/bat-dau", {"target": "commune", "commune_code": "X1"})
    assert refused.status_code == 403 and refused.json()["error"] == "live_not_permitted"
    _grant(admin, "canbo", "X1")
    page = console.get("/phat-truc-tiep")
    assert "Bắt đầu nói" in page.text and "X1-C2" in page.text and "Khẩn cấp" not in page.text
    none_chosen = console.post("/phat-truc-tiep/bat-dau", {"target": "clusters", "commune_code": "X1"})
    assert none_chosen.status_code == 422 and "ít nhất một cụm loa" in none_chosen.json()["message"]
    going = console.post(
        "/phat-truc-tiep/bat-dau", {"target": "clusters", "commune_code": "X1", "clusters": ["X1-C2"], "title": "Họp"}
    )
    assert going.status_code == 201 and going.json()["communes"] == ["X1"]
    assert going.json()["audio_socket"] == f"/api/v1/live/{going.json()['key']}/audio"
    console.close()


def test_a_session_ended_through_another_instance_stops_here_and_keeps_its_recording(
    settings: Settings, live_controller: tuple[ControllerServer, IcecastServer], admin: Api, tmp_path: Path
) -> None:
    controller, _ = live_controller
    setup_commune(admin, "T1", "X1", ["X1-C1"])
    officer = _officer(settings, controller.base_url, "canbo", "X1")
    _grant(admin, "canbo", "X1")
    live = officer.post("/api/v1/live", {"commune_code": "X1"}).json()
    tone = webm_tone(tmp_path / "tone.webm", 6).read_bytes()
    with open_socket(controller.base_url, live["audio_socket"], _token(officer)) as socket:
        send_paced(socket, tone[: len(tone) // 2], 3.0)
        # Another instance took the stop request: it ends the session in the database only.
        with controller.services.sessions() as session:
            end(session, get_session(session, live["key"]), "stopped", "canbo kết thúc", datetime.now(UTC))
        with contextlib.suppress(Exception):
            send_paced(socket, tone[len(tone) // 2 :], 3.0)
        said = messages(socket, timeout_s=3)
    assert said and said[-1]["type"] == "ended", said
    ended = officer.get(f"/api/v1/live/{live['key']}").json()
    assert ended["end_reason"] == "stopped" and ended["recording_sha256"] and ended["recorded_ms"] >= 2500, ended


def test_without_a_streaming_server_nobody_goes_live(settings: Settings, controller: ControllerServer) -> None:
    add_user_directly(settings, "quantri", Role.ADMIN, ADMIN_PASSWORD)
    admin = login(controller.base_url, "quantri", ADMIN_PASSWORD)
    setup_commune(admin, "T1", "X1", ["X1-C1"])
    refused = admin.post("/api/v1/live", {"commune_code": "X1"})
    assert refused.status_code == 503 and refused.json()["error"] == "live_unavailable"
    assert "Icecast" in refused.json()["message"]
    admin.client.close()


def test_a_streaming_server_gone_mid_session_ends_it_as_the_servers_fault(
    settings: Settings, live_controller: tuple[ControllerServer, IcecastServer], admin: Api, tmp_path: Path
) -> None:
    controller, icecast = live_controller
    setup_commune(admin, "T1", "X1", ["X1-C1"])
    officer = _officer(settings, controller.base_url, "canbo", "X1")
    _grant(admin, "canbo", "X1")
    live = officer.post("/api/v1/live", {"commune_code": "X1"}).json()
    tone = webm_tone(tmp_path / "tone.webm", 8).read_bytes()
    with open_socket(controller.base_url, live["audio_socket"], _token(officer)) as socket:
        send_paced(socket, tone[: len(tone) // 4], 2.0)
        assert officer.get(f"/api/v1/live/{live['key']}").json()["ended_at"] is None
        assert icecast.process is not None
        icecast.process.kill()  # the streaming server dies (the browser goes on speaking)
        with contextlib.suppress(Exception):
            send_paced(socket, tone[len(tone) // 4 :], 6.0)
        said = messages(socket, timeout_s=3)
    ended = officer.get(f"/api/v1/live/{live['key']}").json()
    assert ended["end_reason"] == "error" and ended["end_reason_vi"] == "lỗi máy chủ phát", (ended["end_detail"], said)
