"""`loaxa demo`: the whole system on one machine, offline.

A private mosquitto, the controller on SQLite with espeak-ng, 10 simulated speaker clusters in two
communes, demo users, and a few bulletins that go through writing, approval and scheduling over the
real HTTP API, then play on the nodes. State lives under var/demo and is recreated on every run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import threading
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import uvicorn
from sqlmodel import Session, select

from audio_library import AudioSettings
from controller.accounts import Role, User, UserCommune, UserCreate
from controller.api.users import create_user_from
from controller.app import create_app, server_config
from controller.db import make_engine, session_factory
from controller.fleet_provisioning import ensure_fleet_identities
from controller.live.session import LiveGrant
from controller.migrate import upgrade
from controller.services import Services
from controller.settings import DatabaseSettings, Settings
from controller.stock import seed_default_library
from devices.command_signing import CommandSigner
from devices.icecast import find_icecast
from devices.mosquitto import MosquittoProcess, free_port
from devices.nginx import find_nginx, stop_leftover
from devices.registry import (
    DeviceUpdate,
    add_commune,
    add_hamlet,
    add_province,
    get_commune,
    get_device,
    update_device,
)
from firmware_sim import Fleet, NodeIdentity
from source_sim import SourceSystemSim

log = logging.getLogger("loaxa.demo")

DEMO_DIR = Path("var/demo")
COMMUNES = {"XA-AN-BINH": "Xã An Bình", "XA-PHU-MY": "Xã Phú Mỹ"}
NODES = 10
PROVINCE = "TINH-DEMO"
# (username, role, full name, communes, province): province users answer for every commune of it.
USERS: list[tuple[str, Role, str, list[str], str | None]] = [
    ("quantri", Role.ADMIN, "Quản trị viên", [], None),
    ("canbo.anbinh", Role.OFFICER, "Cán bộ văn hóa xã An Bình", ["XA-AN-BINH"], None),
    ("canbo.phumy", Role.OFFICER, "Cán bộ văn hóa xã Phú Mỹ", ["XA-PHU-MY"], None),
    ("duyet", Role.APPROVER, "Lãnh đạo UBND duyệt tin", list(COMMUNES), None),
    ("so.tuphap", Role.OFFICER, "Cán bộ Sở Tư pháp (toàn tỉnh)", [], PROVINCE),
    ("so.duyet", Role.APPROVER, "Lãnh đạo Sở duyệt tin toàn tỉnh", [], PROVINCE),
]
# Where the demo's clusters stand: hamlets of each commune, around an approximate commune centre
# (lat, lon) in the Mekong delta near Tân An, Long An. Demo data for the map, not a survey.
HAMLETS = {
    "XA-AN-BINH": [("AP-BINH-HOA", "Ấp Bình Hòa"), ("AP-BINH-THANH", "Ấp Bình Thạnh"), ("AP-CHO", "Ấp Chợ")],
    "XA-PHU-MY": [("AP-PHU-LOC", "Ấp Phú Lộc"), ("AP-MY-HANH", "Ấp Mỹ Hạnh")],
}
COMMUNE_CENTRES = {"XA-AN-BINH": (10.5361, 106.4127), "XA-PHU-MY": (10.5850, 106.3500)}
DEMO_PASSWORD = "loaxa-demo"
# The province's source information system (simulated): it sends one item to Phú Mỹ, and gets the proof
# of play of every cluster of the province back.
SOURCE_CODE = "STP-DEMO"
SOURCE_ITEM: dict[str, Any] = {
    "id": "STP-2026-0193",
    "version": 1,
    "title": "Phòng, chống ma túy trong thanh thiếu niên",
    "text": (
        "Kính thưa bà con! Sở Tư pháp thông báo: theo Luật Phòng, chống ma túy năm 2021, gia đình có trách "
        "nhiệm giáo dục con em không sử dụng ma túy. Khi phát hiện hành vi vi phạm, bà con báo ngay cho công an xã."
    ),
    "legal_field": "phòng chống ma túy",
    "priority": "thong_thuong",
    "target": {"communes": ["XA-PHU-MY"]},
}
# Airtime of the first bulletin: far enough ahead for the nodes to download the audio.
FIRST_AIR_DELAY_S = 15
GAP_S = 3


def quiet_hours_elsewhere(zone: str = "Asia/Ho_Chi_Minh") -> dict[str, wall_time]:
    """Quiet hours 6 to 8 hours from now, for the demo, benchmarks and tests, which air bulletins "in a few
    seconds" at any hour (tests of quiet hours set a commune's own window around now instead)."""
    local_now = datetime.now(ZoneInfo(zone))
    return {
        "quiet_start": (local_now + timedelta(hours=6)).time().replace(second=0, microsecond=0),
        "quiet_end": (local_now + timedelta(hours=8)).time().replace(second=0, microsecond=0),
    }


def demo_settings(base: Settings, port: int) -> Settings:
    root = DEMO_DIR.resolve()
    mqtt = MosquittoProcess.settings_for(root / "broker", base.mqtt)
    return base.model_copy(
        update={
            "env": "demo",
            "database": DatabaseSettings(url=f"sqlite:///{root / 'loaxa.db'}"),
            "audio": AudioSettings(storage_dir=root / "audio"),
            # The demo runs offline: espeak-ng speaks, edge-tts is not tried.
            "tts": base.tts.model_copy(update={"engine": "espeak"}),
            "mqtt": mqtt,
            "fleet": base.fleet.model_copy(update={"command_key_file": root / "command-signing-key.pem"}),
            "source_link": base.source_link.model_copy(update={"signing_key_file": root / "source-link-key.pem"}),
            "web": base.web.model_copy(update={"port": port}),
            # Nodes fetch playlists and audio from a private nginx when it is installed (else from the controller).
            "content": base.content.model_copy(
                update={
                    "enabled": find_nginx(base.content.nginx_binary) is not None,
                    "directory": root / "content",
                    "port": 0,
                }
            ),
            "scheduler": base.scheduler.model_copy(update=quiet_hours_elsewhere(base.scheduler.timezone)),
            # Live broadcasts ("Phát trực tiếp") through a private Icecast when it is installed.
            "live": base.live.model_copy(
                update={
                    "start_icecast": find_icecast(base.live.icecast.binary) is not None,
                    "icecast": base.live.icecast.model_copy(update={"directory": root / "icecast-live", "port": 0}),
                }
            ),
            "node": base.node.model_copy(
                update={
                    "broker_host": mqtt.host,
                    "broker_port": mqtt.port,
                    "controller_url": f"http://127.0.0.1:{port}",
                    "playlist_poll_interval_s": 30.0,
                }
            ),
        }
    )


def seed(settings: Settings) -> None:
    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        province = add_province(session, PROVINCE, "Tỉnh Demo")
        for code, name in COMMUNES.items():
            add_commune(session, province, code, name)
        for username, role, full_name, communes, province_code in USERS:
            create_user_from(
                session,
                UserCreate(
                    username=username,
                    role=role,
                    full_name=full_name,
                    password=DEMO_PASSWORD,
                    commune_codes=communes,
                    province_code=province_code,
                ),
            )
        session.flush()
        grant_demo_live(session)
        session.commit()
    engine.dispose()


def grant_demo_live(session: Session) -> None:
    """The commune officers may go live in their commune (and cut what is on air); the provincial officer
    in the whole province."""
    admin = session.exec(select(User).where(User.username == "quantri")).one()
    assert admin.id is not None
    for user in session.exec(select(User).where(User.role == Role.OFFICER)):
        assert user.id is not None
        if user.province_id is not None:
            session.add(LiveGrant(user_id=user.id, province_id=user.province_id, pre_empt=True, granted_by=admin.id))
        for link in session.exec(select(UserCommune).where(UserCommune.user_id == user.id)):
            session.add(LiveGrant(user_id=user.id, commune_id=link.commune_id, pre_empt=True, granted_by=admin.id))


def describe_clusters(settings: Settings, identities: list[NodeIdentity]) -> None:
    """Give the simulated clusters hamlets, GPS positions a few hundred metres apart, horns and amplifiers."""
    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        for commune_code, hamlets in HAMLETS.items():
            commune = get_commune(session, commune_code)
            for code, name in hamlets:
                add_hamlet(session, commune, code, name)
        per_commune: dict[str, int] = {}
        for ident in identities:
            n = per_commune[ident.commune] = per_commune.get(ident.commune, -1) + 1
            lat, lon = COMMUNE_CENTRES[ident.commune]
            hamlet_code = HAMLETS[ident.commune][n % len(HAMLETS[ident.commune])][0]
            update_device(
                session,
                get_device(session, ident.device_code),
                DeviceUpdate(
                    hamlet=hamlet_code,
                    latitude=round(lat + 0.004 * (n % 3) - 0.004, 5),
                    longitude=round(lon + 0.005 * (n // 3) - 0.005, 5),
                    horn_count=(2, 4, 4, 6)[n % 4],
                    amplifier_watts=(150, 250, 250, 500)[n % 4],
                    network_type=("4g", "4g", "3g", "wifi")[n % 4],
                    installed_on=date(2024, 3 + n % 9, 1 + 3 * n % 28),
                ),
            )
        session.commit()
    engine.dispose()


def _login(client: httpx.Client, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def publish_bulletins(base_url: str, zone: ZoneInfo, source: SourceSystemSim) -> int:
    """Write, submit, approve and schedule the sample bulletins through the HTTP API, like people would;
    before the province's own, the source system's item arrives, is approved and scheduled in Phú Mỹ."""
    samples: list[dict[str, Any]] = json.loads(
        resources.files("controller").joinpath("demo_data/bulletins.json").read_text(encoding="utf-8")
    )
    next_start = {code: datetime.now(UTC) + timedelta(seconds=FIRST_AIR_DELAY_S) for code in COMMUNES}
    with httpx.Client(base_url=base_url, timeout=120) as client:
        for sample in samples:
            if sample.get("province"):
                next_start["XA-PHU-MY"] = _from_source(client, source, next_start["XA-PHU-MY"])
                # Written and approved at the province, placed once for every commune of it.
                province_officer, province_approver = _login(client, "so.tuphap"), _login(client, "so.duyet")
                bulletin_id = _approved(
                    client, sample, {"province_code": sample["province"]}, province_officer, province_approver
                )
                starts_at = _whole_second(
                    max([*next_start.values(), datetime.now(UTC) + timedelta(seconds=FIRST_AIR_DELAY_S)])
                )
                local = starts_at.astimezone(zone)  # the rule is in the communes' local time
                client.post(
                    f"/api/v1/provinces/{sample['province']}/programs",
                    headers=province_officer,
                    json={
                        "title": sample["title"],
                        "items": [{"kind": "bulletin", "bulletin_id": bulletin_id}],
                        "rule": {"pattern": "once", "day": local.date().isoformat(), "at": local.time().isoformat()},
                    },
                ).raise_for_status()
                for commune in COMMUNES:
                    next_start[commune] = _after(client, province_officer, commune, starts_at, sample["title"])
                continue
            commune = sample["commune"]
            officer = _login(client, "canbo.anbinh" if commune == "XA-AN-BINH" else "canbo.phumy")
            bulletin_id = _approved(client, sample, {"commune_code": commune}, officer, _login(client, "duyet"))
            # Rendering takes a few seconds per bulletin (more on a busy machine): never schedule in the past.
            starts_at = max(next_start[commune], datetime.now(UTC) + timedelta(seconds=FIRST_AIR_DELAY_S))
            client.post(
                "/api/v1/broadcasts",
                headers=officer,
                json={
                    "bulletin_id": bulletin_id,
                    "commune_code": commune,
                    "starts_at": starts_at.isoformat(),
                },
            ).raise_for_status()
            next_start[commune] = _after(client, officer, commune, starts_at, sample["title"])
    return len(samples)


def _from_source(client: httpx.Client, source: SourceSystemSim, not_before: datetime) -> datetime:
    """The source system pushes its item; Phú Mỹ's approver approves it and its officer schedules it."""
    _, answer = source.publish(SOURCE_ITEM)
    assert answer is not None
    answer.raise_for_status()
    [bulletin_id] = answer.json()["bulletin_ids"]
    print(f"  nguồn tỉnh {SOURCE_CODE} gửi «{SOURCE_ITEM['title']}»: bản tin {bulletin_id}, chờ duyệt", flush=True)
    client.post(f"/api/v1/bulletins/{bulletin_id}/approve", headers=_login(client, "duyet")).raise_for_status()
    officer = _login(client, "canbo.phumy")
    starts_at = max(not_before, datetime.now(UTC) + timedelta(seconds=FIRST_AIR_DELAY_S))
    client.post(
        "/api/v1/broadcasts",
        headers=officer,
        json={"bulletin_id": bulletin_id, "commune_code": "XA-PHU-MY", "starts_at": starts_at.isoformat()},
    ).raise_for_status()
    return _after(client, officer, "XA-PHU-MY", starts_at, SOURCE_ITEM["title"])


def start_source(settings: Settings, base_url: str) -> SourceSystemSim:
    """The simulated source system, registered for the demo's province, taking reports signed by loaxa."""
    report_key = CommandSigner.load_or_create(settings.source_link.signing_key_file).public_key_b64
    source = SourceSystemSim(
        DEMO_DIR.resolve() / "source", SOURCE_CODE, loaxa_url=base_url, port=free_port(), loaxa_public_key=report_key
    )
    source.start()
    with httpx.Client(base_url=base_url, timeout=30) as client:
        client.post(
            "/api/v1/source-systems",
            headers=_login(client, "quantri"),
            json={
                "code": SOURCE_CODE,
                "name": "Hệ thống thông tin nguồn tỉnh (mô phỏng)",
                "province_code": PROVINCE,
                "public_key": source.key.public_key_b64,
                "report_url": f"{source.url}/reports",
            },
        ).raise_for_status()
    return source


def _approved(
    client: httpx.Client,
    sample: dict[str, Any],
    owner: dict[str, str],
    officer: dict[str, str],
    approver: dict[str, str],
) -> int:
    """Write, submit and approve one sample bulletin (for a commune or a province); its id."""
    created = client.post(
        "/api/v1/bulletins",
        headers=officer,
        json={
            **owner,
            "title": sample["title"],
            "body": sample["body"],
            "topic": sample["topic"],
            "priority": sample["priority"],
            "legal_refs": sample["legal_refs"],
        },
    )
    created.raise_for_status()
    bulletin_id = int(created.json()["id"])
    client.post(f"/api/v1/bulletins/{bulletin_id}/submit", headers=officer).raise_for_status()
    client.post(f"/api/v1/bulletins/{bulletin_id}/approve", headers=approver).raise_for_status()
    return bulletin_id


def _whole_second(moment: datetime) -> datetime:
    """The next whole second: a program's rule is a wall-clock time to the second."""
    return moment.replace(microsecond=0) + timedelta(seconds=1)


def _after(client: httpx.Client, headers: dict[str, str], commune: str, starts_at: datetime, title: str) -> datetime:
    """Print the airing of `title` at `starts_at` in `commune`; when the commune's next one may start."""
    playlist = client.get(f"/api/v1/communes/{commune}/playlist", headers=headers).json()
    duration_ms = next(
        i["duration_ms"]
        for i in playlist["items"]
        if i["starts_at"] and datetime.fromisoformat(i["starts_at"]) == starts_at
    )
    print(
        f"  lịch phát: {commune} {starts_at.astimezone().strftime('%H:%M:%S')} «{title}» ({duration_ms / 1000:.1f} s)",
        flush=True,
    )
    return starts_at + timedelta(milliseconds=duration_ms, seconds=GAP_S)


def stop_leftover_broker(settings: Settings) -> None:
    """A demo killed hard leaves its mosquitto running; stop it before its files are deleted."""
    pid_file = settings.mqtt.broker_pid_file
    try:
        pid = int(pid_file.read_text()) if pid_file else 0
        if pid and "mosquitto" in Path(f"/proc/{pid}/cmdline").read_text():
            os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        pass


def seed_stock(services: Services) -> None:
    """The default stock library (espeak-ng speech, the ffmpeg test tone), approved and announced, so that
    every node pins it (`loaxa stock seed` does the same on an installation). Run after the bulletins are
    scheduled: it takes the speech engine for a while, and nothing in the demo needs it sooner."""
    added = seed_default_library(services, lambda request: asyncio.run(services.speech.render(request)))
    print(f"  thư viện bản tin mẫu: {added} bản tin đã duyệt, các cụm loa tải sẵn khi đồng bộ lần đầu", flush=True)


def run_demo(base: Settings, *, duration_s: float, port: int) -> int:
    began = time.monotonic()
    settings = demo_settings(base, port)
    stop_leftover_broker(settings)
    stop_leftover(settings.content.directory)
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir(parents=True)

    upgrade(settings.database.url)
    seed(settings)
    broker = MosquittoProcess(DEMO_DIR.resolve() / "broker", settings.mqtt)
    broker.start()
    app = create_app(settings)
    server = uvicorn.Server(server_config(app, settings, host=settings.web.host, port=port))
    thread = threading.Thread(target=server.run, name="controller", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            broker.stop()
            print("loaxa demo: the controller did not start (is the port in use? try --port)")
            return 1
        time.sleep(0.05)

    identities = ensure_fleet_identities(
        settings, DEMO_DIR / "fleet" / "identities.json", NODES, list(COMMUNES), prefix="LOA"
    )
    describe_clusters(settings, identities)
    # The simulated nodes trust the controller's command key, as provisioned nodes would.
    signer = CommandSigner.load_or_create(settings.fleet.command_key_file)
    node = settings.node.model_copy(update={"command_public_key": signer.public_key_b64})
    fleet = Fleet(node, identities, DEMO_DIR.resolve() / "fleet")
    base_url = f"http://{settings.web.host}:{port}"
    print(f"\nLoaxa demo sẵn sàng sau {time.monotonic() - began:.1f} s", flush=True)
    print(f"  Bảng điều khiển: {base_url}/", flush=True)
    print(f"  API docs:   {base_url}/api/docs", flush=True)
    print(f"  Nghe lại (công khai, không cần đăng nhập): {base_url}/nghe-lai/", flush=True)
    print(f"  Đăng nhập:  {', '.join(u[0] for u in USERS)} / mật khẩu {DEMO_PASSWORD}", flush=True)
    print(f"  Broker:     mqtt://{settings.mqtt.host}:{settings.mqtt.port}", flush=True)
    content = app.state.services.content
    if content is not None:
        print(f"  Máy chủ tệp (nginx): {content.public_url} (lịch phát và âm thanh cho cụm loa)", flush=True)
    else:
        print("  Không có nginx: cụm loa tải lịch phát và âm thanh qua bộ điều khiển.", flush=True)
    icecast = app.state.services.icecast
    if icecast is not None:
        print(f"  Phát trực tiếp qua Icecast: {icecast.url} (trang {base_url}/phat-truc-tiep)", flush=True)
    print(
        f"  {NODES} cụm loa mô phỏng ở {len(COMMUNES)} xã; bản ghi: {DEMO_DIR}/fleet/*/recordings\n",
        flush=True,
    )

    source = start_source(settings, base_url)
    print(f"  Hệ thống thông tin nguồn (mô phỏng): {source.url}\n", flush=True)

    async def main() -> None:
        fleet_task = asyncio.create_task(fleet.run())
        zone = ZoneInfo(settings.scheduler.timezone)
        count = await asyncio.to_thread(publish_bulletins, base_url, zone, source)
        print(f"  {count} bản tin đã duyệt và lên lịch; các cụm loa sẽ phát khi đến giờ.\n", flush=True)
        await asyncio.to_thread(seed_stock, app.state.services)
        try:
            if duration_s > 0:
                await asyncio.sleep(max(0.0, duration_s - (time.monotonic() - began)))
            else:
                await asyncio.Event().wait()
        finally:
            fleet_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await fleet_task

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    finally:
        plays = sum(agent.plays for agent in fleet.agents)
        print(f"\nLoaxa demo dừng: {plays} lượt phát đã ghi nhận trên {NODES} cụm loa.", flush=True)
        counts = {kind: len(source.reports(kind)) for kind in ("play", "station", "cluster", "bulletin")}
        print(
            f"  Hệ thống thông tin nguồn đã nhận {counts['play']} báo cáo phát, {counts['station']} báo cáo đài "
            f"truyền thanh, {counts['cluster']} báo cáo cụm loa, {counts['bulletin']} báo cáo bản tin.",
            flush=True,
        )
        source.stop()
        server.should_exit = True
        thread.join(10)
        broker.stop()
    return 0
