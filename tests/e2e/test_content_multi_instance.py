"""Two `loaxa serve` instances, each with its own nginx serving nodes' content, on one PostgreSQL and broker.

A node's signed playlist link points at the nginx of whichever instance answered its poll. A playlist
published on the other instance must be served there too: every instance follows the playlist notices
and rewrites its own files (devices.content). The nodes here poll only instance B (and its nginx) while
the officer publishes on instance A; the MQTT notice alone (no polling) must bring them the new version.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import httpx
import pytest

from controller.accounts import Role
from controller.settings import Settings
from devices.protocol import PLAYLIST_URL_HEADER
from firmware_sim.agent import NodeAgent
from tests.harness import (
    SEVERAL_INSTANCES,
    ControllerProcess,
    FleetRunner,
    add_user_directly,
    approved_bulletin,
    controller_instances,
    login,
    setup_commune,
    staff,
    wait_until,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(120),
    *SEVERAL_INSTANCES,
]

COMMUNE = "XA-CN"
CLUSTERS = ["CN-01", "CN-02"]


@pytest.fixture
def instances(settings: Settings, broker: object, tmp_path: Path) -> Iterator[list[ControllerProcess]]:
    """Two controller processes, each starting its own nginx over its own content directory."""
    env = {
        "LOAXA_CONTENT__ENABLED": "true",
        "LOAXA_CONTENT__SECRET": "content-link-test-secret",
        "LOAXA_CONTENT__WORKERS": "1",
        "LOAXA_CONTENT__MAX_CONNECTIONS": "256",
    }
    with controller_instances(settings, tmp_path, env) as processes:
        yield processes


def playlist_link(process: ControllerProcess, code: str, password: str) -> str:
    """The signed link to the commune's playlist on that instance's nginx, as it hands it to a node."""
    response = httpx.get(process.base_url + "/api/v1/node/playlist", auth=(code, password), timeout=10)
    assert response.status_code == 200, response.text
    return response.headers[PLAYLIST_URL_HEADER]


def served_version(link: str) -> int:
    return int(httpx.get(link, timeout=5).json()["version"])


def serves(link: str, version: int) -> bool:
    return served_version(link) == version


def hold(agents: list[NodeAgent], version: int) -> bool:
    return all(agent.playlist is not None and agent.playlist.version == version for agent in agents)


def test_a_playlist_published_on_one_instance_is_served_by_the_other_instances_nginx(
    settings: Settings, instances: list[ControllerProcess], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    publisher, other = instances
    add_user_directly(settings, "admin", Role.ADMIN, "admin-password-1")
    admin = login(publisher.base_url, "admin", "admin-password-1")
    identities = setup_commune(admin, "P", COMMUNE, CLUSTERS)
    officer, approver = staff(settings, publisher.base_url, request, commune=COMMUNE)
    bulletin_id, _ = approved_bulletin(officer, approver, COMMUNE, "Lịch họp", "Kính mời bà con dự họp thôn.")

    first = identities[0]
    link = playlist_link(other, first.device_code, first.password)
    publisher_link = playlist_link(publisher, first.device_code, first.password)
    assert httpx.URL(link).port != httpx.URL(publisher_link).port, "each instance names its own nginx"

    fleet = FleetRunner(
        # The nodes ask only the other instance, and only once: the notice alone must bring the new version.
        settings.node.model_copy(
            update={"controller_url": other.base_url, "playlist_poll_interval_s": 600, "notice_jitter_s": 0}
        ),
        identities,
        tmp_path / "nodes",
    )
    fleet.start()
    try:
        fleet.wait_connected()
        agents = fleet.fleet.agents
        assert wait_until(lambda: all(a.content.playlist_url is not None for a in agents), 20)
        assert all(httpx.URL(a.content.playlist_url or "").port == httpx.URL(link).port for a in agents)
        before = served_version(link)

        for n in range(2):  # two publications in a row, each followed
            starts_at = datetime.now(UTC) + timedelta(minutes=5 + n)
            response = officer.post(
                "/api/v1/broadcasts",
                {"bulletin_id": bulletin_id, "commune_code": COMMUNE, "starts_at": starts_at.isoformat()},
            )
            assert response.status_code == 201, response.text
            version = int(officer.get(f"/api/v1/communes/{COMMUNE}/playlist").json()["version"])
            assert version > before
            # The other instance's nginx serves it within moments of the publication.
            assert wait_until(partial(serves, link, version), 5, interval_s=0.02), served_version(link)
            assert served_version(publisher_link) == version
            assert wait_until(partial(hold, agents, version), 10, interval_s=0.05), [
                a.playlist.version if a.playlist else None for a in agents
            ]
            before = version
        fallbacks = [a.content.fallbacks for a in agents]
    finally:
        fleet.stop()
        admin.client.close()
    assert fallbacks == [0] * len(CLUSTERS), "every pull answered by the other instance's nginx"
    # And what the other instance's nginx answered, by its own log: the new playlists, to the nodes.
    log = (tmp_path / "instance-2" / "content" / "logs" / "access.log").read_text().splitlines()
    assert sum(f"/c/{COMMUNE}/playlist.json?md5=" in line and '" 200 ' in line for line in log) >= 2 * len(CLUSTERS)
