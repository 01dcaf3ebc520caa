"""A live broadcast end to end, without a browser: an officer's "microphone" (ffmpeg encoding pulses of a
known tone to WebM/Opus in real time, as MediaRecorder does) over the live WebSocket; the controller pipes
it into a per-session Icecast mount; the targeted clusters, commanded by signed MQTT, play it through the
same output as a relay and record what their horns received; the other cluster hears nothing of it and
keeps its schedule. Mouth-to-horn latency is timed on each pulse.

Real Icecast (listeners authenticated by the controller), ffmpeg, mosquitto, database, the controller over
HTTP and WebSocket, node agents with the file sink.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from controller.accounts import Role
from controller.settings import Settings
from devices.icecast import IcecastServer
from tests.conftest import ADMIN_PASSWORD
from tests.harness import Api, ControllerServer, FleetRunner, add_user_directly, login, read_playlog, setup_commune
from tests.live_audio import Microphone, messages, mouth_to_horn_s, onsets, open_socket
from tests.tone_source import read_wav

pytestmark = pytest.mark.e2e

COMMUNE = "XA-TRUC-TIEP"
CLUSTERS = ["TT-01", "TT-02", "TT-03"]
TARGETS = CLUSTERS[:2]
SPEECH_S = 11.0


@pytest.fixture
def admin(settings: Settings, live_controller: tuple[ControllerServer, IcecastServer]) -> Iterator[Api]:
    add_user_directly(settings, "admin", Role.ADMIN, ADMIN_PASSWORD)
    api = login(live_controller[0].base_url, "admin", ADMIN_PASSWORD)
    yield api
    api.client.close()


@pytest.mark.one_database("sqlite", why="live audio is the nodes', Icecast's and the socket's; no database subject")
def test_officer_speaks_live_to_some_clusters(
    settings: Settings,
    live_controller: tuple[ControllerServer, IcecastServer],
    admin: Api,
    tmp_path: Path,
) -> None:
    controller, _ = live_controller
    identities = setup_commune(admin, "TINH-TT", COMMUNE, CLUSTERS)
    add_user_directly(settings, "canbo", Role.OFFICER, "officer-pass-1", commune_codes=[COMMUNE])
    officer = login(controller.base_url, "canbo", "officer-pass-1")
    granted = admin.post("/api/v1/live-grants", {"username": "canbo", "commune_code": COMMUNE})
    assert granted.status_code == 201, granted.text
    node_settings = settings.node.model_copy(
        update={"controller_url": controller.base_url, "command_public_key": controller.services.command_public_key()}
    )
    fleet = FleetRunner(node_settings, identities, tmp_path / "nodes")
    playlogs = {code: tmp_path / "nodes" / code / "recordings" / "playlog.jsonl" for code in CLUSTERS}
    fleet.start()
    try:
        fleet.wait_connected()
        live = officer.post("/api/v1/live", {"clusters": TARGETS, "title": "Đường ngập, không qua ngầm"})
        assert live.status_code == 201, live.text
        key = live.json()["key"]
        token = str(officer.client.headers["Authorization"]).removeprefix("Bearer ")
        with open_socket(controller.base_url, live.json()["audio_socket"], token) as socket:
            microphone = Microphone(socket, SPEECH_S)
            microphone.start()
            microphone.join(SPEECH_S + 10)
            assert microphone.error is None
            time.sleep(2.0)  # the last pulse is on its way to the horns
            socket.send('{"type": "stop"}')
            said = messages(socket)
        assert said[-1]["type"] == "ended", said
        item_id = f"live-{key}"
        assert all(item_id not in agent.on_air for agent in fleet.fleet.agents), "the stop reached every node"
        plays_path = f"/api/v1/communes/{COMMUNE}/plays"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(officer.get(plays_path).json()) < len(TARGETS):
            time.sleep(0.2)
        plays = officer.get(plays_path).json()
    finally:
        fleet.stop()

    latencies: list[float] = []
    for code in CLUSTERS:
        log = [entry for entry in read_playlog(playlogs[code]) if entry["item_id"] == item_id]
        if code not in TARGETS:
            assert log == [], f"{code} is not a target but aired {log}"
            continue
        (aired,) = log
        pcm = read_wav(playlogs[code].parent / aired["recording"])
        started = datetime.fromisoformat(aired["started_at"]).timestamp()
        heard = onsets(pcm)
        assert len(heard) >= 3, f"{code} heard the pulses at windows {heard}"
        latencies += mouth_to_horn_s([started + index * 0.1 for index in heard], microphone.started_at)
    assert len(plays) == len(TARGETS), plays
    for play in plays:
        assert play["item_id"] == item_id and play["flag_reason"] is None and play["outcome"] == "played", play
        assert play["relayed_ms"] >= (SPEECH_S - 3) * 1000, play
    p50 = statistics.median(latencies)
    print(f"mouth to horn over {len(latencies)} pulses: p50 {p50:.2f} s, max {max(latencies):.2f} s")
    assert p50 < 2.0 and max(latencies) < 3.0, latencies
