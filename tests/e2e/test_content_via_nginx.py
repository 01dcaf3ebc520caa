"""A bulletin airs on simulated nodes that fetch its playlist and audio from nginx, not from the controller.

Real mosquitto, database, espeak-ng and ffmpeg, the controller over HTTP, a real nginx checking signed
links, real node agents.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from controller.settings import Settings
from devices.nginx import NginxServer
from devices.protocol import Playlist, PlaylistNotice, commune_playlist_topic, encode
from tests.harness import Api, ControllerServer, FleetRunner, approved_bulletin, setup_commune, staff, wait_until

pytestmark = pytest.mark.e2e

COMMUNE = "XA-NGINX"
CLUSTERS = ["NX-01", "NX-02"]


@pytest.fixture
def settings(settings: Settings, nginx: NginxServer) -> Settings:
    return settings.model_copy(update={"content": nginx.settings})


def test_a_bulletin_airs_with_its_playlist_and_audio_served_by_nginx(
    settings: Settings,
    controller: ControllerServer,
    nginx: NginxServer,
    admin: Api,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    identities = setup_commune(admin, "TINH-NX", COMMUNE, CLUSTERS)
    officer, approver = staff(settings, controller.base_url, request, commune=COMMUNE)
    bulletin, sha = approved_bulletin(officer, approver, COMMUNE, "Phòng chống bão", "Bà con chằng chống nhà cửa.")
    fleet = FleetRunner(
        # No polling: the MQTT notice alone must bring the new playlist, through nginx.
        settings.node.model_copy(update={"controller_url": controller.base_url, "playlist_poll_interval_s": 600}),
        identities,
        tmp_path / "nodes",
    )
    fleet.start()
    try:
        fleet.wait_connected()
        agents = fleet.fleet.agents
        # The first sync on connecting asks the controller, which names each node's link to nginx.
        assert wait_until(lambda: all(a.content.playlist_url is not None for a in agents), 20)

        starts_at = datetime.now(UTC) + timedelta(seconds=6)
        response = officer.post(
            "/api/v1/broadcasts", {"bulletin_id": bulletin, "commune_code": COMMUNE, "starts_at": starts_at.isoformat()}
        )
        assert response.status_code == 201, response.text
        plays_path = f"/api/v1/communes/{COMMUNE}/plays"
        assert wait_until(lambda: len(officer.get(plays_path).json()) == len(CLUSTERS), 60, interval_s=0.25)
        plays = officer.get(plays_path).json()
        counts = [(a.content.playlist_fetches, a.content.audio_fetches, a.content.fallbacks) for a in agents]
    finally:
        fleet.stop()

    for play in plays:
        assert play["outcome"] == "played" and play["flag_reason"] is None
        assert play["asset_sha256"] == play["played_sha256"] == sha
    for playlist_fetches, audio_fetches, fallbacks in counts:
        assert playlist_fetches >= 1 and audio_fetches == 1 and fallbacks == 0, counts
    # nginx's own record: each node's playlist pull and audio download, answered by nginx.
    log = nginx.access_log.read_text().splitlines()
    audio_lines = [line for line in log if f"/c/{COMMUNE}/a/{sha}.opus?md5=" in line]
    assert len(audio_lines) == len(CLUSTERS) and all('" 200 ' in line for line in audio_lines), audio_lines
    assert sum(f"/c/{COMMUNE}/playlist.json?md5=" in line and '" 200 ' in line for line in log) >= len(CLUSTERS)
    # And every node verified what it played: the recording's bytes are the audio's.
    for code in CLUSTERS:
        cached = tmp_path / "nodes" / code / "cache" / f"{sha}.opus"
        assert hashlib.sha256(cached.read_bytes()).hexdigest() == sha


def test_a_play_now_with_new_audio_is_downloaded_from_nginx(
    settings: Settings,
    controller: ControllerServer,
    nginx: NginxServer,
    admin: Api,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """The command names the recording's signed link on nginx: the nodes download it there, not from the
    controller, and air it."""
    identities = setup_commune(admin, "TINH-NX", COMMUNE, CLUSTERS)
    officer, approver = staff(settings, controller.base_url, request, commune=COMMUNE)
    bulletin, sha = approved_bulletin(officer, approver, COMMUNE, "Tin khẩn", "Nước lũ đang lên nhanh.")
    fleet = FleetRunner(
        settings.node.model_copy(
            update={
                "controller_url": controller.base_url,
                "command_public_key": controller.services.command_public_key(),
                "playlist_poll_interval_s": 600,
            }
        ),
        identities,
        tmp_path / "nodes",
    )
    fleet.start()
    try:
        fleet.wait_connected()
        agents = fleet.fleet.agents
        response = officer.post(f"/api/v1/communes/{COMMUNE}/commands", {"name": "play_now", "bulletin_id": bulletin})
        assert response.status_code == 202, response.text
        item_id = f"cmd-{response.json()['command_id'][:24]}"
        assert wait_until(lambda: all(item_id in a.on_air for a in agents), 30, interval_s=0.1)
        counts = [(a.content.audio_fetches, a.content.fallbacks) for a in agents]
    finally:
        fleet.stop()

    assert counts == [(1, 0)] * len(CLUSTERS), counts
    log = nginx.access_log.read_text().splitlines()
    audio_lines = [line for line in log if f"/c/{COMMUNE}/a/{sha}.opus?md5=" in line]
    assert len(audio_lines) == len(CLUSTERS) and all('" 200 ' in line for line in audio_lines), audio_lines
    for code in CLUSTERS:
        cached = tmp_path / "nodes" / code / "cache" / f"{sha}.opus"
        assert hashlib.sha256(cached.read_bytes()).hexdigest() == sha


def test_a_node_that_pulls_an_older_version_than_its_notice_asks_again_soon(
    settings: Settings, controller: ControllerServer, nginx: NginxServer, admin: Api, tmp_path: Path
) -> None:
    """A content server that has not caught up with a notice yet (another instance's nginx, a moment
    behind) answers the version before: the node asks again within seconds, not a poll interval later."""
    identities = setup_commune(admin, "TINH-NX", COMMUNE, CLUSTERS[:1])
    fleet = FleetRunner(
        settings.node.model_copy(
            update={"controller_url": controller.base_url, "playlist_poll_interval_s": 600, "notice_jitter_s": 0}
        ),
        identities,
        tmp_path / "nodes",
    )
    services = controller.services
    assert services.link is not None and services.content is not None
    fleet.start()
    try:
        fleet.wait_connected()
        agent = fleet.fleet.agents[0]
        assert wait_until(lambda: agent.content.playlist_url is not None and agent.playlist is not None, 20)
        assert agent.playlist is not None and agent.playlist.version == 0
        # Version 1 announced while nginx still serves version 0.
        notice = PlaylistNotice(commune=COMMUNE, version=1, etag='"v1"', issued_at=datetime.now(UTC))
        services.link.publish(commune_playlist_topic(COMMUNE), encode(notice), retain=True)
        time.sleep(1.5)
        assert agent.playlist.version == 0
        # The content server catches up; no other notice comes, and the poll interval is ten minutes.
        newer = Playlist(commune=COMMUNE, version=1, generated_at=datetime.now(UTC))
        services.content.files.write(newer, "opus", time.time())
        assert wait_until(lambda: agent.playlist is not None and agent.playlist.version == 1, 10, interval_s=0.1)
        assert agent.content.fallbacks == 0
    finally:
        fleet.stop()
