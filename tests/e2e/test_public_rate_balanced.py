"""The public site's rate limit behind two `loaxa serve` instances: haproxy counts it for the installation.

Round robin hands each instance about half of an address's requests, so the instances' own counts (in
memory) would let twice the limit through; the shipped haproxy config counts the address's requests to
the public site itself (a stick table), so the limit is the setting's, however many instances there are.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from controller.settings import Settings
from tests.haproxy import BACKEND_HEADER, PUBLIC_RATE_MESSAGE, HaproxyServer, server_name
from tests.harness import SEVERAL_INSTANCES, ControllerProcess, controller_instances, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(120),
    *SEVERAL_INSTANCES,
]

LIMIT = 8
# Long enough that no window ends during the test (the instances count in fixed windows).
WINDOW_S = 3600


@pytest.fixture
def instances(settings: Settings, broker: object, tmp_path: Path) -> Iterator[list[ControllerProcess]]:
    env = {
        "LOAXA_WEB__TRUSTED_PROXIES": "127.0.0.1",
        "LOAXA_PUBLIC__RATE_LIMIT_REQUESTS": str(LIMIT),
        "LOAXA_PUBLIC__RATE_LIMIT_WINDOW_S": str(WINDOW_S),
    }
    with controller_instances(settings, tmp_path, env) as processes:
        yield processes


def test_an_address_gets_the_limit_whatever_the_number_of_instances(
    instances: list[ControllerProcess], tmp_path: Path
) -> None:
    backends = [f"127.0.0.1:{process.port}" for process in instances]
    with HaproxyServer(tmp_path / "haproxy", backends, public_rate=(LIMIT, WINDOW_S)) as balancer:
        assert wait_until(lambda: balancer.up() == {server_name(0), server_name(1)}, 10), balancer.stats()
        with httpx.Client(base_url=balancer.url, timeout=10) as client:
            # A commune that does not exist: a cheap answer, counted like any public request.
            answers = [client.get("/nghe-lai/khong-co") for _ in range(LIMIT)]
            refused = client.get("/nghe-lai/khong-co")
    assert [a.status_code for a in answers] == [404] * LIMIT, [a.text for a in answers]
    assert {a.headers[BACKEND_HEADER] for a in answers} == {server_name(0), server_name(1)}
    assert refused.status_code == 429 and refused.headers["Retry-After"] == str(WINDOW_S)
    assert refused.text == PUBLIC_RATE_MESSAGE.format(seconds=WINDOW_S)
    assert BACKEND_HEADER not in refused.headers, "haproxy refused it, no instance was asked"
    # Each instance counted only its half: on their own they would have let this address through again.
    for process in instances:
        assert httpx.get(process.base_url + "/nghe-lai/khong-co", timeout=10).status_code == 404
