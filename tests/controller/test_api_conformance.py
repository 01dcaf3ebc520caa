"""Schemathesis over the whole API, as each role, against the real controller on a real port.

Issue 12, finding 9: responses the OpenAPI document did not declare (401, 403, 404, 409, the 503 of
an offline preview), 422 bodies unlike the declared one, times without offsets under `format: time`.
Each role gets its own world (broker, database, controller, the same communes, users and content), so
what one role destroys (a revoked cluster, a deleted program) cannot change another role's run.
Checks: no 5xx, every status declared, the declared content type, the body valid against its schema.
The edge-tts engine talks to the local stand-in, so previews in Khmer speak as they do online: without
it, their 503 (declared: no engine has a Khmer voice offline) would count as a server error.

Generation is bounded by `MAX_EXAMPLES` per operation (the coverage phase adds its boundary and
negative cases on top), with a fixed seed, so a run is the same every time.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import APIRouter
from schemathesis import BaseSchema
from schemathesis.checks import not_a_server_error
from schemathesis.engine import events
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from audio_library.row_id import RowId
from controller.accounts import Role
from controller.app import create_app
from controller.deps import CurrentUser
from controller.services import build_services
from controller.settings import Settings
from devices.mosquitto import MosquittoProcess, free_port
from schedules.commune_hours import QuietHoursPublic
from tests.conftest import ADMIN_PASSWORD
from tests.harness import ControllerServer, add_user_directly, approved_bulletin, login, setup_commune
from tests.tts.edge_fake import FakeEdgeTransport
from tts.settings import TtsSettings

# Per operation, for the fuzzing phase. With ~70 operations and six roles the six runs took 75 s in all
# on a shared two-core machine (admin, with the coverage phase: 35 s, ~3,000 requests).
MAX_EXAMPLES = 8
SEED = 20261203

CHECK_FUNCTIONS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CHECKS = tuple(check.__name__ for check in CHECK_FUNCTIONS)

A, B = "XA-A", "XA-B"


def _bearer(base_url: str, username: str, password: str) -> dict[str, str]:
    api = login(base_url, username, password)
    api.client.close()
    return {"Authorization": str(api.client.headers["Authorization"])}


def build_world(settings: Settings, server: ControllerServer) -> dict[str, dict[str, str]]:
    """Two communes of one province with clusters, a hamlet and a hamlet group, a slot, an approved
    bulletin placed as a broadcast and as a program, a lexicon entry; a user of each role. Returns the
    headers each caller sends."""
    base = server.base_url
    admin = login(base, "admin", ADMIN_PASSWORD)
    nodes = setup_commune(admin, "P", A, ["A1", "A2"])
    setup_commune(admin, "P", B, ["B1"])
    add_user_directly(settings, "canbo", Role.OFFICER, "officer-pass-1", commune_codes=[A])
    add_user_directly(settings, "duyet", Role.APPROVER, "approver-pass-1", commune_codes=[A])
    add_user_directly(settings, "giamsat", Role.MONITOR, "monitor-pass-1", province_code="P")
    officer, approver = login(base, "canbo", "officer-pass-1"), login(base, "duyet", "approver-pass-1")
    bulletin_id, _ = approved_bulletin(officer, approver, A, "Thông báo tiêm chủng", "Bà con đưa trẻ đi tiêm.")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(hour=1, minute=0, second=0, microsecond=0)
    # The commune's own quiet hours, away from the slot (06:00), the broadcast (08:00) and the rule (18:00):
    # the settings' default window moves with the clock and would meet them at some hours of the day.
    quiet = admin.client.put(f"/api/v1/communes/{A}/quiet-hours", json={"start_time": "21:00", "end_time": "05:30"})
    assert quiet.status_code == 200, quiet.text
    calls: list[tuple[str, dict[str, Any]]] = [
        (f"/api/v1/communes/{A}/hamlets", {"code": "AP1", "name": "Ấp Một"}),
        (f"/api/v1/communes/{A}/hamlet-groups", {"name": "Bờ sông", "clusters": ["A1"]}),
        (f"/api/v1/communes/{A}/slots", {"name": "Sáng", "start_time": "06:00", "end_time": "06:30"}),
        ("/api/v1/broadcasts", {"bulletin_id": bulletin_id, "commune_code": A, "starts_at": tomorrow.isoformat()}),
        ("/api/v1/programs", {"commune_code": A, "title": "Bản tin sáng", "items": [{"bulletin_id": bulletin_id}]}),
        ("/api/v1/lexicon", {"abbreviation": "UBND", "expansion": "ủy ban nhân dân"}),
    ]
    for path, body in calls:
        response = admin.post(path, body)
        assert response.status_code == 201, f"{path}: {response.text}"
    program_id = admin.get(f"/api/v1/communes/{A}/programs").json()[0]["id"]
    response = admin.post(f"/api/v1/programs/{program_id}/rules", {"pattern": "daily", "at": "18:00"})
    assert response.status_code == 201, response.text
    for api in (admin, officer, approver):
        api.client.close()
    node = base64.b64encode(f"A1:{nodes[0].password}".encode()).decode()
    return {
        "admin": _bearer(base, "admin", ADMIN_PASSWORD),
        "officer": _bearer(base, "canbo", "officer-pass-1"),
        "approver": _bearer(base, "duyet", "approver-pass-1"),
        "monitor": _bearer(base, "giamsat", "monitor-pass-1"),
        "node": {"Authorization": f"Basic {node}"},
        "anonymous": {},
    }


@contextlib.contextmanager
def speaking_controller(settings: Settings) -> Iterator[ControllerServer]:
    """The controller with its edge-tts engine on the local stand-in, so Khmer previews speak as online."""
    transport = FakeEdgeTransport()
    tts = TtsSettings(engine="auto", edge_retries=0, edge_retry_backoff_s=0.0, edge_chunk_timeout_s=15.0)
    # Live broadcasts on, with an Icecast port nobody listens on: the API is the subject, no audio flows
    # (without one, going live answers 503, which the checks count as a server error).
    icecast = settings.live.icecast.model_copy(update={"port": free_port(), "source_password": "conformance"})
    live = settings.live.model_copy(update={"icecast": icecast})
    configured = settings.model_copy(update={"tts": tts, "live": live})
    server = ControllerServer(configured, services_factory=lambda s: build_services(s, edge_transport=transport))
    server.start()
    try:
        assert server.services.link is not None and server.services.link.wait_connected(10)
        add_user_directly(configured, "admin", Role.ADMIN, ADMIN_PASSWORD)
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class Depth:
    phases: tuple[str, ...]
    max_examples: int


# As admin every operation's logic is reachable: the coverage phase (each boundary, each invalid field,
# missing credentials: ~2,500 requests) runs as admin. The other roles mostly meet their role and scope
# checks, which random cases reach as well; their runs are shorter.
DEPTH = {
    "admin": Depth(("examples", "coverage", "fuzzing"), MAX_EXAMPLES),
    "officer": Depth(("examples", "fuzzing"), MAX_EXAMPLES),
    "approver": Depth(("examples", "fuzzing"), MAX_EXAMPLES // 2),
    "monitor": Depth(("examples", "fuzzing"), MAX_EXAMPLES // 2),
    "node": Depth(("examples", "fuzzing"), MAX_EXAMPLES // 2),
    "anonymous": Depth(("examples", "fuzzing"), MAX_EXAMPLES // 2),
}
# Each case here renders speech (espeak-ng, ffmpeg: ~1 s), a hundred times the cost of any other request:
# a few random cases only, no coverage phase (its fifty cases test little more than the text's length).
SPEECH = r"/preview$"
# Operations that end the caller's own login: a random run that called them would spend the rest of its
# requests on 401s. They are checked once, at the end, by `test_real_objects_conform`.
# (An admin ending "{username}"'s sessions may name itself: the random values include existing usernames.)
OWN_LOGIN_ENDING = r"^/api/v1/auth/logout$|^/api/v1/users/(me|\{username\})/sessions$"


def schemathesis_config(headers: dict[str, str], depth: Depth) -> schemathesis.Config:
    phases: dict[str, Any] = {
        phase: {"enabled": phase in depth.phases} for phase in ("examples", "coverage", "fuzzing", "stateful")
    }
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "headers": headers,
            "workers": 1,
            "generation": {"max-examples": depth.max_examples, "database": "none", "deterministic": True},
            "phases": phases,
            # Stay who we are: no signing up through POST /users when a role has no credentials.
            "auth": {"auto-signup": False},
            "checks": {"enabled": False, **{check: {"enabled": True} for check in CHECKS}},
            "operations": [
                {
                    "include-path-regex": SPEECH,
                    "generation": {"max-examples": 2},
                    "phases": {"coverage": {"enabled": False}},
                },
                {"include-path-regex": OWN_LOGIN_ENDING, "enabled": False},
            ],
        }
    )


def run(schema: BaseSchema) -> tuple[list[str], int]:
    """Run every phase over every operation; the failures found (one line each, deduplicated), and
    how many requests were made."""
    failures: dict[tuple[str, str, str], str] = {}
    requests = 0
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            requests += len(event.recorder.interactions)
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.failure_info is None:
                        continue
                    failure = check.failure_info.failure
                    key = (event.recorder.label, failure.code, failure.title)
                    failures.setdefault(
                        key,
                        f"{failure.code} {event.recorder.label}: {failure.title}: {failure.message[:300]}\n"
                        f"    {check.failure_info.code_sample[:600]}",
                    )
        elif isinstance(event, events.NonFatalError):
            failures.setdefault((event.label, "error", ""), f"error {event.label}: {event.info.message[:300]}")
        elif isinstance(event, events.FatalError):
            raise event.exception
    return sorted(failures.values()), requests


World = tuple[ControllerServer, dict[str, dict[str, str]]]


@pytest.fixture
def world(settings: Settings, broker: MosquittoProcess) -> Iterator[World]:
    with speaking_controller(settings) as server:
        yield server, build_world(settings, server)


ONE_DATABASE = pytest.mark.one_database("sqlite", why="the subject is the HTTP contract, not the database")


@pytest.mark.conformance
@ONE_DATABASE
# One run per role over every operation: it grows with the API (about 110 s as admin on a loaded machine).
@pytest.mark.timeout(400)
@pytest.mark.parametrize("role", DEPTH)
def test_every_response_is_declared_with_its_body(role: str, world: World) -> None:
    server, callers = world
    started = time.monotonic()
    config = schemathesis_config(callers[role], DEPTH[role])
    schema = schemathesis.openapi.from_url(f"{server.base_url}/api/openapi.json", config=config)
    failures, requests = run(schema)
    print(f"schemathesis as {role}: {requests} requests in {time.monotonic() - started:.1f} s")
    assert requests > 200, requests
    assert not failures, f"{len(failures)} failures as {role}:\n" + "\n".join(failures)
    if role in ("admin", "officer", "approver", "monitor"):
        # The whole run was made as this role: nothing it called ended its own login.
        assert httpx.get(f"{server.base_url}/api/v1/users/me", headers=callers[role]).status_code == 200


def _case(schema: BaseSchema, method: str, path: str, **parts: Any) -> Any:
    return schema[path][method].Case(**parts)


@ONE_DATABASE
def test_real_objects_conform(world: World) -> None:
    """What random cases cannot reach (existing codes and ids, audio files, ETags, ranges) against the
    same checks: every answer declared, with its content type and body schema."""
    server, callers = world
    base = server.base_url
    schema = schemathesis.openapi.from_url(f"{base}/api/openapi.json", config=schemathesis_config({}, DEPTH["admin"]))
    admin, node = callers["admin"], callers["node"]
    bulletin = httpx.get(f"{base}/api/v1/bulletins/1", headers=admin).json()
    opus = f"{bulletin['audio_sha256']}.opus"
    etag = httpx.get(f"{base}/api/v1/node/playlist", headers=node).headers["ETag"]
    today = datetime.now(UTC).date().isoformat()
    cases: list[tuple[dict[str, str], str, str, dict[str, Any]]] = (
        [
            (admin, "GET", "/api/v1/audio/{filename}", {"path_parameters": {"filename": opus}}),
            (admin, "GET", "/api/v1/audio/{filename}", {"path_parameters": {"filename": opus}, "headers": RANGE}),
            (admin, "GET", "/api/v1/audio/{filename}", {"path_parameters": {"filename": opus}, "headers": BAD_RANGE}),
            (node, "GET", "/api/v1/node/playlist", {}),
            (node, "GET", "/api/v1/node/playlist", {"headers": {"If-None-Match": etag}}),
            (node, "GET", "/api/v1/node/playlist", {"query": {"codec": "mp3"}}),
            (node, "GET", "/api/v1/node/audio/{filename}", {"path_parameters": {"filename": opus}}),
            (admin, "GET", "/api/v1/bulletins/{bulletin_id}", {"path_parameters": {"bulletin_id": 1}}),
            (admin, "GET", "/api/v1/broadcasts/{broadcast_id}", {"path_parameters": {"broadcast_id": 1}}),
            (admin, "GET", "/api/v1/programs/{program_id}", {"path_parameters": {"program_id": 1}}),
            (admin, "GET", "/api/v1/communes/{commune_code}/schedule", {**IN_A, "query": {"date": today}}),
            (admin, "PUT", "/api/v1/communes/{commune_code}/quiet-hours", {**IN_A, "body": QUIET}),
            (admin, "PUT", "/api/v1/communes/{commune_code}/quiet-hours", {**IN_A, "body": QUIET_AWARE}),
            (admin, "POST", "/api/v1/devices/{code}/revoke", {"path_parameters": {"code": "A2"}}),
        ]
        + [(admin, "GET", path, IN_A) for path in COMMUNE_READS]
        + [
            (admin, "GET", "/api/v1/fleet/devices/{device_code}", {"path_parameters": {"device_code": "A1"}}),
            (admin, "GET", "/api/v1/devices/{code}", {"path_parameters": {"code": "A1"}}),
            (admin, "GET", "/api/v1/provinces/{province_code}/programs", {"path_parameters": {"province_code": "P"}}),
            (admin, "GET", "/api/v1/lexicon", {}),
            (admin, "GET", "/api/v1/alerts", {}),
            (admin, "GET", "/api/v1/fleet/summary", {}),
            (admin, "GET", "/api/v1/users/me", {}),
            # Last: these end a login (left out of the random runs).
            (admin, "DELETE", "/api/v1/users/{username}/sessions", {"path_parameters": {"username": "giamsat"}}),
            (admin, "DELETE", "/api/v1/users/{username}/sessions", {"path_parameters": {"username": "nobody"}}),
            (callers["officer"], "DELETE", "/api/v1/users/me/sessions", {}),
            (callers["approver"], "POST", "/api/v1/auth/logout", {}),
            (callers["approver"], "POST", "/api/v1/auth/logout", {}),
        ]
    )
    statuses = []
    for headers, method, path, parts in cases:
        parts = {**parts, "headers": {**headers, **parts.get("headers", {})}}
        response = _case(schema, method, path, **parts).call_and_validate(checks=CHECK_FUNCTIONS)
        statuses.append(response.status_code)
    assert statuses[:7] == [200, 206, 416, 200, 304, 200, 200], statuses
    assert statuses[11:14] == [200, 422, 200], statuses
    assert statuses[-5:] == [204, 404, 204, 204, 401], statuses


RANGE: dict[str, Any] = {"Range": "bytes=0-99"}
BAD_RANGE: dict[str, Any] = {"Range": "bytes=99999999-"}
IN_A: dict[str, Any] = {"path_parameters": {"commune_code": A}}
QUIET: dict[str, Any] = {"start_time": "21:30", "end_time": "05:00"}
# A number is read by pydantic as seconds in UTC: an aware time, which the database would not keep.
QUIET_AWARE: dict[str, Any] = {"start_time": "00:00", "end_time": 0}
COMMUNE_READS = [
    "/api/v1/communes/{commune_code}/playlist",
    "/api/v1/communes/{commune_code}/devices",
    "/api/v1/communes/{commune_code}/hamlets",
    "/api/v1/communes/{commune_code}/hamlet-groups",
    "/api/v1/communes/{commune_code}/slots",
    "/api/v1/communes/{commune_code}/quiet-hours",
    "/api/v1/communes/{commune_code}/programs",
    "/api/v1/communes/{commune_code}/emergencies",
    "/api/v1/communes/{commune_code}/plays",
    "/api/v1/fleet/communes/{commune_code}",
]


# What the runs found besides undeclared statuses, each sent as found: (method, path, body, auth, status, error).
FOUND = [
    # A program item naming a bulletin and audio that does not exist: a foreign-key failure, a 500.
    (
        "PUT",
        "/api/v1/programs/1/items",
        b'{"items": [{"kind": "bulletin", "bulletin_id": 1, "audio_sha256": ""}]}',
        "admin",
        422,
        "audio_missing",
    ),
    # Quiet hours given as a number (seconds in UTC): stored, then unreadable for every later request.
    ("PUT", f"/api/v1/communes/{A}/quiet-hours", b'{"start_time": "00:00", "end_time": 0}', "admin", 422, None),
    # A body that is not UTF-8: FastAPI's own 400, in English, without the error body.
    ("POST", "/api/v1/bulletins", b"\xff\xfe{", "admin", 422, "invalid_request"),
    # HTTP Basic credentials that are not base64: FastAPI's own 401, without the error body.
    ("GET", "/api/v1/node/playlist", None, "garbled", 401, "not_authenticated"),
    # An encoded slash in a code: decoded before routing, it lands on POST /devices/{code}/revoke: a 405.
    ("GET", "/api/v1/devices/A1%2Frevoke", None, "admin", 404, "not_found"),
]


@ONE_DATABASE
@pytest.mark.parametrize(("method", "path", "body", "who", "status", "error"), FOUND)
def test_what_schemathesis_found_gets_a_clear_error(
    world: World, method: str, path: str, body: bytes | None, who: str, status: int, error: str | None
) -> None:
    server, callers = world
    headers = {"Authorization": "Basic !!!"} if who == "garbled" else callers[who]
    if body is not None:
        headers = {**headers, "Content-Type": "application/json"}
    response = httpx.request(method, f"{server.base_url}{path}", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert error is None or response.json()["error"] == error, response.text
    assert response.json()["message"]
    if status == 422 and error is None:  # still readable afterwards
        assert httpx.get(f"{server.base_url}/api/v1/communes/{A}/quiet-hours", headers=headers).status_code == 200


@ONE_DATABASE
def test_a_route_added_later_gets_its_error_responses_without_an_edit(settings: Settings) -> None:
    app = create_app(settings)
    later = APIRouter()

    @later.post("/api/v1/later/{thing_id}")
    def _later(thing_id: RowId, data: QuietHoursPublic, user: CurrentUser) -> QuietHoursPublic:
        return data

    app.include_router(later)
    document = app.openapi()
    responses = document["paths"]["/api/v1/later/{thing_id}"]["post"]["responses"]
    assert sorted(responses) == ["200", "401", "403", "404", "409", "413", "422", "503"]
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    assert all(responses[status]["content"] == error for status in responses if status != "200")
    text = json.dumps(document)
    assert "HTTPValidationError" not in text and '"format": "time"' not in text
