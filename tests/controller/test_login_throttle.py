"""Finding 2 and 3 of the security audit (issue 12): the login throttle holds on the API, cannot be dodged
with a forged X-Forwarded-For, limits one address over many usernames, and is shared by instances."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from controller.access.throttle import LoginThrottle
from controller.accounts import Role
from controller.db import make_engine, session_factory
from controller.services import build_services
from controller.settings import Settings
from tests.console import ConsoleClient
from tests.harness import ControllerServer, add_user_directly

PASSWORD = "officer-pass-1"


@pytest.fixture
def canbo(settings: Settings) -> str:
    add_user_directly(settings, "canbo", Role.OFFICER, PASSWORD)
    return "canbo"


def _token(client: httpx.Client, username: str, password: str, **headers: str) -> httpx.Response:
    return client.post("/api/v1/auth/token", json={"username": username, "password": password}, headers=headers)


def second_instance(settings: Settings) -> ControllerServer:
    """Another controller on the same database (without MQTT: two links would share one client id)."""
    server = ControllerServer(settings, services_factory=lambda s: build_services(s, connect_mqtt=False))
    server.start()
    return server


def test_api_token_login_refuses_the_right_password_after_too_many_wrong_ones(
    settings: Settings, controller: ControllerServer, canbo: str
) -> None:
    """The audit's attack: 48 wrong passwords in a row, then the right one."""
    with httpx.Client(base_url=controller.base_url, timeout=30) as client:
        statuses = [_token(client, canbo, f"doan-sai-{i}").status_code for i in range(48)]
        assert statuses[: settings.web.login_max_failures] == [401] * settings.web.login_max_failures
        assert set(statuses[settings.web.login_max_failures :]) == {429}
        right = _token(client, canbo, PASSWORD)
        assert right.status_code == 429, right.text
        assert 0 < int(right.headers["retry-after"]) <= settings.web.login_window_s
        body = right.json()
        assert body["error"] == "too_many_login_attempts" and "quá nhiều lần" in body["message"]
        spec = client.get("/api/openapi.json").json()
    responses = spec["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert {"200", "401", "429"} <= set(responses)
    assert responses["429"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}


def test_console_lock_is_not_bypassed_with_x_forwarded_for(
    settings: Settings, controller: ControllerServer, canbo: str
) -> None:
    console = ConsoleClient(controller.base_url)
    try:
        console.get("/dang-nhap")
        for i in range(settings.web.login_max_failures):
            # Each guess claims another address: with no trusted proxy none of them is believed.
            forged = {"X-Forwarded-For": f"203.0.113.{i + 1}"}
            assert console.post("/dang-nhap", {"username": canbo, "password": "sai"}, headers=forged).status_code == 401
        right = console.post(
            "/dang-nhap", {"username": canbo, "password": PASSWORD}, headers={"X-Forwarded-For": "198.51.100.9"}
        )
        assert right.status_code == 429 and "quá nhiều lần" in right.text
        with httpx.Client(base_url=controller.base_url) as client:
            api = _token(client, canbo, PASSWORD, **{"X-Forwarded-For": "198.51.100.10", "Forwarded": "for=1.2.3.4"})
            assert api.status_code == 429
    finally:
        console.close()


def test_forwarded_address_is_believed_from_a_configured_proxy(settings: Settings, canbo: str) -> None:
    trusted = settings.model_copy(update={"web": settings.web.model_copy(update={"trusted_proxies": "127.0.0.1"})})
    server = second_instance(trusted)
    try:
        with httpx.Client(base_url=server.base_url) as client:
            for _ in range(settings.web.login_max_failures):
                assert _token(client, canbo, "sai", **{"X-Forwarded-For": "203.0.113.5"}).status_code == 401
            assert _token(client, canbo, PASSWORD, **{"X-Forwarded-For": "203.0.113.5"}).status_code == 429
            # The proxy says another client is asking: that one is not held back by the first one's guesses.
            assert _token(client, canbo, PASSWORD, **{"X-Forwarded-For": "203.0.113.6"}).status_code == 200
    finally:
        server.stop()


def test_one_address_cannot_spread_guesses_over_many_usernames(
    settings: Settings, controller: ControllerServer
) -> None:
    """The audit's attack: 30 guesses from one address over 6 usernames, 5 each (under the per-user limit)."""
    names = [f"canbo{i}" for i in range(7)]
    for name in names:
        add_user_directly(settings, name, Role.OFFICER, PASSWORD)
    per_address = settings.web.login_max_failures_per_address
    with httpx.Client(base_url=controller.base_url, timeout=30) as client:
        statuses = [
            _token(client, name, f"sai-{guess}").status_code
            for name in names[:6]
            for guess in range(settings.web.login_max_failures)
        ]
        assert statuses[:per_address] == [401] * per_address
        assert set(statuses[per_address:]) == {429}
        # Even a user this address never guessed at is refused until the window moves on.
        assert _token(client, names[6], PASSWORD).status_code == 429


def test_two_instances_on_one_database_share_the_counts(
    settings: Settings, controller: ControllerServer, canbo: str
) -> None:
    other = second_instance(settings)
    try:
        with httpx.Client(base_url=controller.base_url) as first, httpx.Client(base_url=other.base_url) as second:
            for i in range(settings.web.login_max_failures):
                assert _token(first if i % 2 else second, canbo, "sai").status_code == 401
            assert _token(first, canbo, PASSWORD).status_code == 429
            assert _token(second, canbo, PASSWORD).status_code == 429
    finally:
        other.stop()


def test_window_expiry_success_reset_and_purge(settings: Settings) -> None:
    """The rules on the real database with an injected clock (no sleeping)."""
    now = [datetime(2026, 12, 3, 6, 0, tzinfo=UTC)]
    throttle = LoginThrottle(max_failures=2, max_failures_per_address=3, window_s=60, clock=lambda: now[0])
    engine = make_engine(settings.database)
    try:
        with session_factory(engine)() as session:
            throttle.failed(session, "A", "1.2.3.4")
            throttle.failed(session, "a ", "1.2.3.4")
            session.commit()
            assert throttle.retry_after_s(session, "a", "1.2.3.4") == 60
            assert throttle.retry_after_s(session, "a", "5.6.7.8") == 0
            now[0] += timedelta(seconds=30)
            throttle.failed(session, "b", "1.2.3.4")  # the address's third failure: every username waits
            session.commit()
            assert throttle.retry_after_s(session, "c", "1.2.3.4") == 30
            now[0] += timedelta(seconds=31)
            assert throttle.retry_after_s(session, "a", "1.2.3.4") == 0
            assert throttle.retry_after_s(session, "c", "1.2.3.4") == 0
            throttle.failed(session, "a", "1.2.3.4")  # purges the two expired rows
            throttle.succeeded(session, "a", "1.2.3.4")
            session.commit()
            assert throttle.count(session) == 1  # b's failure stays: a success resets only its own username
            assert throttle.retry_after_s(session, "a", "1.2.3.4") == 0
    finally:
        engine.dispose()
