"""Live broadcasts from the console ("Phát trực tiếp").

Going live is two steps: `POST /live` checks the permission and holds the communes (409 if another
officer is live in one of them), then the browser sends its microphone to the WebSocket
`/live/{key}/audio`: MediaRecorder's Opus chunks as binary messages, `{"type": "stop"}` as text to end.

Why a WebSocket and not WebRTC: the controller only relays the browser's Opus into ffmpeg and Icecast,
so a plain TCP connection through the same nginx/haproxy as the console is all it needs. WebRTC would
need ICE, STUN and a TURN server for phones behind carrier NAT, and a media stack in the controller to
turn SRTP back into a stream, for a latency gain (tens of milliseconds) that Icecast's buffering and the
nodes' 4G links dwarf. MediaRecorder's WebM/Opus chunks arrive as they are recorded, every 100 ms.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Annotated

from fastapi import APIRouter, Form, Query, Response, WebSocket, WebSocketDisconnect
from sqlmodel import Session, select

from audio_library.row_id import RowId
from controller.access.login_sessions import user_of_login
from controller.access.tokens import read_token
from controller.accounts import Role, User
from controller.deps import CurrentUser, ServicesDep, SessionDep, require_role
from controller.errors import Forbidden, NotAuthenticated
from controller.live.errors import LiveUnavailable
from controller.live.hub import LiveHub
from controller.live.pipeline import looks_like_audio
from controller.live.session import LiveGrantCreate, LiveGrantPublic, LiveSessionPublic, LiveStart
from controller.live.workflow import (
    add_grant,
    all_grants,
    get_session,
    grant_public,
    may_listen,
    open_sessions,
    owned_session,
    public,
    remove_grant,
    require_open,
    start,
)
from controller.services import Services
from controller.settings import Settings
from devices.registry import Device

log = logging.getLogger(__name__)

router = APIRouter(tags=["live"])

# The console's login cookie (controller.web.session.SESSION_COOKIE; the API does not import the web layer).
_CONSOLE_COOKIE = "loaxa_session"
# WebSocket close codes: 1008 policy (not allowed), 1003 unsupported data (not audio), 1000 normal.
_CLOSE_POLICY, _CLOSE_NOT_AUDIO, _CLOSE_NORMAL, _CLOSE_SERVER_ERROR = 1008, 1003, 1000, 1011


def hub_of(services: Services) -> LiveHub:
    if services.live is None or not services.live.ready:
        raise LiveUnavailable("live broadcasts have no streaming server on this controller")
    return services.live


def listener_key(settings: Settings) -> str:
    """The secret in the streaming server's callback URL, so only it may ask about listeners."""
    secret = settings.secret_key.get_secret_value().encode()
    return hmac.new(secret, b"icecast-listener-auth", hashlib.sha256).hexdigest()[:32]


@router.post("/live", status_code=201)
def go_live(data: LiveStart, session: SessionDep, user: CurrentUser, services: ServicesDep) -> LiveSessionPublic:
    """Hold the targeted communes for a live broadcast; the audio then goes to `audio_socket`.

    403 without the live permission there (or without the right to pre-empt, for an emergency or a
    broadcast that does not wait); 409 if another officer is live in one of the communes.
    """
    hub = hub_of(services)
    live = start(session, user, data)
    hub.opened(live.key)
    return public(session, live)


@router.get("/live")
def list_live(session: SessionDep, user: CurrentUser) -> list[LiveSessionPublic]:
    """The live broadcasts on air now (their communes, who speaks)."""
    del user
    return [public(session, live) for live in open_sessions(session)]


@router.get("/live/{key}")
def get_live(key: str, session: SessionDep, user: CurrentUser) -> LiveSessionPublic:
    """One session, with why it ended and its recording once it has."""
    return public(session, owned_session(session, user, key))


@router.post("/live/{key}/stop")
async def stop_live(key: str, session: SessionDep, user: CurrentUser, services: ServicesDep) -> LiveSessionPublic:
    """End a session now: the nodes go back to their schedule, the recording is kept."""
    hub = hub_of(services)
    live = owned_session(session, user, key)
    require_open(live)
    await hub.end(key, "stopped", f"{user.username} kết thúc")
    session.expire_all()
    return public(session, get_session(session, key))


@router.post("/live/listeners", include_in_schema=False)
def icecast_listener(
    session: SessionDep,
    services: ServicesDep,
    key: Annotated[str, Query(max_length=64)] = "",
    action: Annotated[str, Form(max_length=32)] = "",
    mount: Annotated[str, Form(max_length=200)] = "",
    user: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(alias="pass", max_length=200)] = "",
) -> Response:
    """Icecast's URL authentication (`listener_add`): a node may listen to a live mount with its own
    credentials, if it is a target of the open session there. Allowed: the `icecast-auth-user: 1` header."""
    if not hmac.compare_digest(key, listener_key(services.settings)):
        return Response(status_code=403)
    if action != "listener_add":
        return Response(status_code=200, headers={"icecast-auth-user": "1"})
    device = session.exec(select(Device).where(Device.mqtt_username == user)).first()
    allowed = (
        device is not None
        and device.revoked_at is None
        and services.device_logins.verify(user, password, device.password_hash)
        and may_listen(session, mount, device)
    )
    if not allowed:
        log.info("live listener refused on %s: %s", mount[:80], user[:64])
        return Response(status_code=200, headers={"icecast-message": "not a target"})
    return Response(status_code=200, headers={"icecast-auth-user": "1"})


def _socket_user(socket: WebSocket, session: Session, services: Services, token: str) -> User:
    """The console's login cookie (same origin only), or an API token in `?token=`."""
    secret = services.settings.secret_key.get_secret_value()
    if token:
        claims = read_token(token, secret)
        found = user_of_login(session, claims.login_id, "api")
    else:
        cookie = socket.cookies.get(_CONSOLE_COOKIE)
        if not cookie:
            raise NotAuthenticated("no console session")
        origin = socket.headers.get("origin")
        host = socket.headers.get("host")
        if origin is not None and origin.split("://", 1)[-1] != host:
            raise Forbidden(f"cross-site live socket from {origin[:100]}")
        claims = read_token(cookie, secret, audience="web")
        found = user_of_login(session, claims.login_id, "web")
    if found is None or found.id != claims.user_id:
        raise NotAuthenticated("login ended")
    return found


async def _refuse(socket: WebSocket, code: str, message_vi: str, close: int = _CLOSE_POLICY) -> None:
    await socket.send_text(json.dumps({"type": "error", "code": code, "message": message_vi}, ensure_ascii=False))
    await socket.close(code=close)


@router.websocket("/live/{key}/audio")
async def live_audio(socket: WebSocket, key: str, token: Annotated[str, Query(max_length=2000)] = "") -> None:
    """The browser's microphone: binary messages of WebM/Ogg Opus; text `{"type": "stop"}` ends the session.

    The server sends JSON text: `{"type": "on_air"}` once the audio flows, `{"type": "ended", ...}` when
    the session ends, `{"type": "error", "code", "message"}` (Vietnamese) before closing on a refusal.
    """
    services: Services = socket.app.state.services
    await socket.accept()
    hub = services.live
    if hub is None or not hub.ready:
        await _refuse(socket, LiveUnavailable.code, LiveUnavailable.message_vi)
        return
    try:
        with services.sessions() as session:
            user = _socket_user(socket, session, services, token)
            live = owned_session(session, user, key)
            require_open(live)
    except (NotAuthenticated, Forbidden) as exc:
        await _refuse(socket, exc.code, exc.message_vi)
        return
    except Exception as exc:
        code = getattr(exc, "code", "live_refused")
        await _refuse(socket, str(code), getattr(exc, "message_vi", "Không mở được phiên phát trực tiếp."))
        return
    run = None
    try:
        while True:
            message = await socket.receive()
            if message["type"] == "websocket.disconnect":
                break
            data = message.get("bytes")
            if data is None:
                text = message.get("text") or ""
                if '"stop"' in text:
                    await hub.end(key, "stopped", f"{user.username} kết thúc")
                    await _ended(socket, hub, key)
                    return
                continue
            if len(data) > services.settings.live.chunk_max_bytes:
                await hub.end(key, "not_audio", f"một gói {len(data)} byte, quá giới hạn")
                await _refuse(
                    socket, "live_not_audio", "Gói âm thanh quá lớn; phiên phát đã kết thúc.", _CLOSE_NOT_AUDIO
                )
                return
            if run is None:
                if not looks_like_audio(data):
                    await hub.end(key, "not_audio", "dữ liệu đầu tiên không phải WebM/Ogg")
                    await _refuse(
                        socket,
                        "live_not_audio",
                        "Dữ liệu gửi lên không phải âm thanh (cần WebM hoặc Ogg Opus từ micrô); phiên phát đã "
                        "kết thúc, lịch phát vẫn tiếp tục.",
                        _CLOSE_NOT_AUDIO,
                    )
                    return
                run = await hub.connect(key)
            if run.end_reason:  # ended by the watchdog, or through another instance: told once it is kept
                await run.ended.wait()
                await _ended(socket, hub, key)
                return
            failure = await hub.feed(run, data)
            if failure is not None:
                detail = (run.pipeline.error if run.pipeline is not None else "") or "bộ mã hóa dừng"
                await hub.end(key, failure, detail[:300])
                if failure == "error":
                    await _refuse(
                        socket,
                        "live_stream_server",
                        "Máy chủ luồng (Icecast) không nhận âm thanh; phiên phát đã kết thúc, lịch phát vẫn tiếp tục.",
                        _CLOSE_SERVER_ERROR,
                    )
                else:
                    await _refuse(
                        socket,
                        "live_not_audio",
                        "Máy chủ không đọc được âm thanh gửi lên; phiên phát đã kết thúc, lịch phát vẫn tiếp tục.",
                        _CLOSE_NOT_AUDIO,
                    )
                return
            if not run.announced:
                run.announced = True
                await socket.send_text(json.dumps({"type": "on_air"}))
    except WebSocketDisconnect:
        pass
    finally:
        if run is not None:
            hub.disconnected(run)


async def _ended(socket: WebSocket, hub: LiveHub, key: str) -> None:
    del hub
    await socket.send_text(json.dumps({"type": "ended", "key": key}))
    await socket.close(code=_CLOSE_NORMAL)


# -- the permission ---------------------------------------------------------------------------------


@router.get("/live-grants")
def list_grants(session: SessionDep, user: CurrentUser) -> list[LiveGrantPublic]:
    """Who may go live where (admin)."""
    require_role(user, Role.ADMIN)
    return [grant_public(session, grant) for grant in all_grants(session)]


@router.post("/live-grants", status_code=201)
def create_grant(data: LiveGrantCreate, session: SessionDep, user: CurrentUser) -> LiveGrantPublic:
    """Give a user the live permission in a commune, or in a province for provincial staff (admin)."""
    return grant_public(session, add_grant(session, user, data))


@router.delete("/live-grants/{grant_id}", status_code=204)
def delete_grant(grant_id: RowId, session: SessionDep, user: CurrentUser) -> Response:
    remove_grant(session, user, grant_id)
    return Response(status_code=204)
