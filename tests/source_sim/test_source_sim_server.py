"""The simulated source system over real HTTP: it pushes signed items that the real controller takes,
serves them as a feed, and keeps loaxa's reports once each across restarts."""

from __future__ import annotations

import base64
import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from controller.settings import Settings
from source_sim import SourceSystemSim
from source_sim.__main__ import main
from tests.harness import Api, ControllerServer, setup_commune
from tests.source_system import item


def test_items_pushed_by_the_simulator_become_pending_bulletins(
    settings: Settings, controller: ControllerServer, admin: Api, tmp_path: Path
) -> None:
    setup_commune(admin, "P", "XA-A", ["A1"])
    setup_commune(admin, "P", "XA-B", ["B1"])
    with SourceSystemSim(tmp_path / "source", "STP-P", loaxa_url=controller.base_url) as sim:
        body = {"code": "STP-P", "name": "Sở Tư pháp", "province_code": "P", "public_key": sim.key.public_key_b64}
        assert admin.post("/api/v1/source-systems", body).status_code == 201
        with httpx.Client(base_url=sim.url) as client:
            created = client.post("/items", json=item())
            assert created.status_code == 201, created.text
            pushed = created.json()["pushed"]
            assert pushed["status"] == 201 and json.loads(pushed["body"])["status"] == "pending"
            feed = client.get("/feed", params={"after": 0}).json()
    [message] = feed["messages"]
    assert feed["cursor"] == message["seq"] == 1
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(sim.key.public_key_b64))
    public.verify(base64.b64decode(message["signature"]), message["body"].encode())  # raises if not signed
    pending = [b for b in admin.get("/api/v1/bulletins?status=pending").json() if b["title"] == item()["title"]]
    assert len(pending) == 2


def test_reports_are_stored_once_each_and_acked_by_id_across_restarts(tmp_path: Path) -> None:
    with SourceSystemSim(tmp_path, "STP-P") as sim, httpx.Client(base_url=sim.url) as client:
        batch = {"messages": [{"id": "r1", "kind": "play"}, {"id": "r2", "kind": "play"}]}
        assert client.post("/reports", json=batch).json() == {"acked": ["r1", "r2"]}
        assert client.post("/reports", json=batch).json() == {"acked": ["r1", "r2"]}
        assert client.post("/reports", content=b"{nope").status_code == 400
        assert client.post("/elsewhere", json={}).status_code == 404
        assert client.get("/feed", params={"after": "x"}).json() == {"messages": [], "cursor": 0}
    again = SourceSystemSim(tmp_path, "STP-P")
    assert [r["id"] for r in again.reports()] == ["r1", "r2"]
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["key", "--state-dir", str(tmp_path)]) == 0
    assert out.getvalue().strip() == again.key.public_key_b64


def test_reports_are_listed_by_kind_with_the_newest_of_each_subject(tmp_path: Path) -> None:
    older = {
        "id": "cluster:A1:20261203T080000000000Z",
        "kind": "cluster",
        "subject": "cluster:A1",
        "created_at": "2026-12-03T08:00:00+00:00",
        "cluster": {"state": "online"},
    }
    newer = {
        **older,
        "id": "cluster:A1:20261203T090000000000Z",
        "created_at": "2026-12-03T09:00:00+00:00",
        "cluster": {"state": "offline"},
    }
    with SourceSystemSim(tmp_path, "STP-P") as sim, httpx.Client(base_url=sim.url) as client:
        batch = {"messages": [newer, {"id": "play:r1", "kind": "play"}, older]}  # a retried older one arrives last
        assert client.post("/reports", json=batch).status_code == 200
        listed = client.get("/reports", params={"kind": "cluster"}).json()
        everything = client.get("/reports").json()
    assert [r["id"] for r in listed["reports"]] == [newer["id"], older["id"]]
    assert listed["latest"]["cluster:A1"]["cluster"] == {"state": "offline"}
    assert len(everything["reports"]) == 3 and set(everything["latest"]) == {"cluster:A1"}
