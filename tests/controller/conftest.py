"""Fixtures shared by the console tests of this package."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from controller.accounts import Role
from controller.settings import Settings
from tests.console import ConsoleClient
from tests.harness import Api, ControllerServer, add_user_directly, login, setup_commune

A, B = "XA-A", "XA-B"


@pytest.fixture
def two_communes(settings: Settings, controller: ControllerServer, admin: Api) -> Iterator[dict[str, Any]]:
    """Commune A (quiet hours 21:00-05:30) with its officer and approver; commune B with its officer."""
    setup_commune(admin, "P", A, ["A1"])
    setup_commune(admin, "P", B, ["B1"])
    add_user_directly(settings, "officer.a", Role.OFFICER, "officer-a-pass", commune_codes=[A])
    add_user_directly(settings, "approver.a", Role.APPROVER, "approver-a-pass", commune_codes=[A])
    add_user_directly(settings, "officer.b", Role.OFFICER, "officer-b-pass", commune_codes=[B])
    api = login(controller.base_url, "officer.a", "officer-a-pass")
    approver = login(controller.base_url, "approver.a", "approver-a-pass")
    response = api.client.put(f"/api/v1/communes/{A}/quiet-hours", json={"start_time": "21:00", "end_time": "05:30"})
    assert response.status_code == 200, response.text
    officer, stranger = ConsoleClient(controller.base_url), ConsoleClient(controller.base_url)
    officer.login("officer.a", "officer-a-pass")
    stranger.login("officer.b", "officer-b-pass")
    yield {"api": api, "approver": approver, "officer": officer, "stranger": stranger}
    for client in (officer, stranger):
        client.close()
    for logged_in in (api, approver):
        logged_in.client.close()
