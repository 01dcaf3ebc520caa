"""Ids too large for the database, or below 1, in every kind of place: a clear 422 or 404, never a 500.

Issue 12, finding 7: an id of 2^63 or more reached SQLite and came back as a plain-text 500
(OverflowError in the driver). Every route with an integer path parameter is found from the app
itself, so a route added later is attacked too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from controller.settings import Settings
from tests.conftest import ADMIN_PASSWORD
from tests.console import ConsoleClient
from tests.controller.conftest import A
from tests.harness import Api, ControllerServer, setup_commune

TOO_LARGE = (2**63, 2**64, 2**31)
BELOW_ONE = (0, -1, -(2**63) - 1)
JINGLE = {"kind": "jingle", "audio_sha256": "0" * 64}


def integer_path_routes(controller: ControllerServer) -> list[tuple[str, str, list[str]]]:
    """(method, path, integer path parameters) of every route of the app, API and console alike."""
    found: list[tuple[str, str, list[str]]] = []
    for route in iter_route_contexts(controller.app.routes):
        if not isinstance(route.original_route, APIRoute):
            continue
        names = [p.name for p in route.dependant.path_params if p.field_info.annotation is int]
        if names and route.path_format is not None:
            found.extend((method, route.path_format, names) for method in sorted(route.methods or ()))
    return found


def fill(path: str, names: list[str], value: int) -> str:
    for name in names:
        path = path.replace("{" + name + "}", str(value))
    return path


@pytest.fixture
def console(controller: ControllerServer, admin: Api) -> Iterator[ConsoleClient]:
    client = ConsoleClient(controller.base_url)
    client.login("admin", ADMIN_PASSWORD)
    yield client
    client.close()


def test_every_integer_path_parameter_refuses_ids_outside_the_database(
    controller: ControllerServer, admin: Api, console: ConsoleClient
) -> None:
    routes = integer_path_routes(controller)
    assert len(routes) >= 30, routes  # the API's 20-odd and the console's
    for method, path, names in routes:
        for value in TOO_LARGE + BELOW_ONE:
            url = fill(path, names, value)
            if path.startswith("/api/"):
                response = admin.client.request(method, url)
            elif method == "POST":
                response = console.post(url)
            else:
                response = console.client.request(method, url)
            assert response.status_code < 500, f"{method} {url}: {response.status_code} {response.text[:200]}"
            if path.startswith("/api/"):
                assert response.status_code in (404, 422), f"{method} {url}: {response.status_code}"
                assert response.json()["error"] in ("invalid_request", "not_found"), response.text
            if value >= 2**63:
                assert response.status_code == 422, f"{method} {url}: {response.status_code}"


def _bodies(bulletin_id: Any, slot_id: Any = None, position: Any = None) -> list[tuple[str, str, dict[str, Any]]]:
    item = {"kind": "bulletin", "bulletin_id": bulletin_id}
    return [
        ("POST", "/api/v1/broadcasts", {"bulletin_id": bulletin_id, "commune_code": A, "starts_at": "2030-01-01"}),
        ("POST", "/api/v1/emergencies", {"bulletin_id": bulletin_id, "commune_code": A}),
        ("POST", f"/api/v1/communes/{A}/commands", {"name": "play_now", "bulletin_id": bulletin_id}),
        ("POST", "/api/v1/devices/A1/commands", {"name": "play_now", "bulletin_id": bulletin_id}),
        ("POST", "/api/v1/programs", {"commune_code": A, "title": "T", "items": [item], "position": position}),
    ]


@pytest.mark.parametrize("value", [2**63, 2**31, 0, -1])
def test_ids_in_request_bodies_are_refused_before_the_database(
    settings: Settings, controller: ControllerServer, admin: Api, value: int
) -> None:
    setup_commune(admin, "P", A, ["A1"])
    program = admin.post("/api/v1/programs", {"commune_code": A, "title": "T", "items": [JINGLE]})
    program_id = program.json()["id"] if program.status_code == 201 else 1
    cases = [
        *_bodies(value),
        ("POST", "/api/v1/programs", {"commune_code": A, "title": "T", "items": [JINGLE], "position": value}),
        ("PATCH", f"/api/v1/programs/{program_id}", {"position": value}),
        ("PUT", f"/api/v1/programs/{program_id}/items", {"items": [{"kind": "bulletin", "bulletin_id": value}]}),
        ("POST", f"/api/v1/programs/{program_id}/rules", {"pattern": "daily", "slot_id": value}),
        (
            "POST",
            "/api/v1/provinces/P/programs",
            {"title": "T", "items": [{"kind": "bulletin", "bulletin_id": value}], "rule": {"at": "08:00"}},
        ),
    ]
    for method, path, body in cases:
        response = admin.client.request(method, path, json=body)
        where = f"{method} {path} {body}"
        assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:200]}"
        assert response.headers["content-type"] == "application/json", where
        if value > 2**31 - 1 or (value < 1 and "position" not in body):
            assert response.status_code == 422 and response.json()["error"] == "invalid_request", where
        else:
            assert response.status_code in (404, 409, 422), f"{where}: {response.text[:200]}"


def test_the_api_document_bounds_every_integer_path_parameter(controller: ControllerServer) -> None:
    document = httpx.get(f"{controller.base_url}/api/openapi.json").json()
    seen = 0
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["schema"].get("type") == "integer":
                    seen += 1
                    assert parameter["schema"]["minimum"] == 1 and parameter["schema"]["maximum"] == 2**31 - 1
    assert seen >= 20
