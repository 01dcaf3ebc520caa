"""The tests' own haproxy (tests/haproxy.py, the `load_balancer` fixture) does what the multi-instance
tests rely on, without PostgreSQL: it checks health, names the instance that answered, and sends a
request that cannot reach a dead instance to a live one."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import httpx
import pytest

from devices.mosquitto import free_port
from tests.haproxy import BACKEND_HEADER, HaproxyServer, find_haproxy
from tests.harness import ControllerServer, wait_until

pytestmark = pytest.mark.skipif(find_haproxy() is None, reason="haproxy is not installed (scripts/bootstrap.sh)")


@pytest.mark.one_database("sqlite", why="the subject is the load balancer, not the database")
def test_the_load_balancer_checks_health_and_names_the_instance(
    controller: ControllerServer, load_balancer: Callable[[Sequence[str]], HaproxyServer]
) -> None:
    dead = f"127.0.0.1:{free_port()}"  # an instance that is down: nothing listens there
    balancer = load_balancer([controller.base_url.removeprefix("http://"), dead])
    with httpx.Client(base_url=balancer.url, timeout=10) as client:
        # Before the check has noticed, a request sent to the dead one is retried on the live one.
        answers = [client.get("/api/v1/health") for _ in range(4)]
    assert [(a.status_code, a.headers[BACKEND_HEADER]) for a in answers] == [(200, "c1")] * 4
    assert wait_until(lambda: balancer.up() == {"c1"}, 5), balancer.stats()
    assert int(balancer.stats()["c1"]["hrsp_2xx"]) >= 4
