"""The source link over real HTTP: a province's source system sends signed items; they wait for approval,
air once approved, come off air when withdrawn; refusals are answered and shown to the province's staff."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from controller import cli
from controller.accounts import Role
from controller.settings import Settings
from source_sim.server import SourceSystemSim
from tests.console import ConsoleClient
from tests.controller.test_web_bulletins import tone_wav
from tests.harness import Api, ControllerServer, add_user_directly, login, setup_commune
from tests.source_system import Approver, SourceSigner, item


@pytest.fixture
def link(settings: Settings, controller: ControllerServer, admin: Api) -> Iterator[dict[str, Any]]:
    setup_commune(admin, "P", "XA-A", ["A1"])
    setup_commune(admin, "P", "XA-B", ["B1"])
    setup_commune(admin, "Q", "XA-Q", ["Q1"])
    users: dict[str, tuple[Role, dict[str, Any]]] = {
        "approver.a": (Role.APPROVER, {"commune_codes": ["XA-A"]}),
        "officer.a": (Role.OFFICER, {"commune_codes": ["XA-A"]}),
        "so.canbo": (Role.OFFICER, {"province_code": "P"}),
        "so.q": (Role.OFFICER, {"province_code": "Q"}),
    }
    apis = {}
    for username, (role, scope) in users.items():
        add_user_directly(settings, username, role, f"{username}-pass", **scope)
        apis[username] = login(controller.base_url, username, f"{username}-pass")
    signer = SourceSigner("STP-P")
    response = admin.post(
        "/api/v1/source-systems",
        {"code": "STP-P", "name": "Sở Tư pháp tỉnh P", "province_code": "P", "public_key": signer.public_key},
    )
    assert response.status_code == 201, response.text
    source = httpx.Client(base_url=controller.base_url, timeout=60)
    yield {"signer": signer, "source": source, "admin": admin, "controller": controller, **apis}
    source.close()
    for api in apis.values():
        api.client.close()


def deliveries(api: Api, outcome: str | None = None) -> list[dict[str, Any]]:
    response = api.client.get("/api/v1/provinces/P/source-deliveries", params={"outcome": outcome} if outcome else {})
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def test_an_item_from_the_source_waits_for_approval_airs_and_comes_off_air_when_withdrawn(
    link: dict[str, Any],
) -> None:
    signer: SourceSigner = link["signer"]
    officer, approver = link["officer.a"], link["approver.a"]
    sent = signer.send(link["source"], signer.message(item()))
    assert sent.status_code == 201, sent.text
    receipt = sent.json()
    assert receipt["status"] == "pending" and receipt["duplicate"] is False and len(receipt["bulletin_ids"]) == 2

    queue = approver.get("/api/v1/bulletins?status=pending").json()
    [mine] = [b for b in queue if b["id"] in receipt["bulletin_ids"]]
    assert mine["title"] == item()["title"] and mine["topic"] == "phòng chống ma túy"
    approved = approver.post(f"/api/v1/bulletins/{mine['id']}/approve")
    assert approved.status_code == 200, approved.text
    starts = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    scheduled = officer.post(
        "/api/v1/broadcasts", {"bulletin_id": mine["id"], "commune_code": "XA-A", "starts_at": starts}
    )
    assert scheduled.status_code == 201, scheduled.text
    playlist = officer.get("/api/v1/communes/XA-A/playlist").json()
    assert [i["asset_sha256"] for i in playlist["items"]] == [approved.json()["audio_sha256"]]

    again = signer.send(link["source"], signer.message(item()))
    assert again.status_code == 200 and again.json()["duplicate"] is True

    withdrawn = signer.send(link["source"], signer.message({"id": item()["id"], "version": 2, "action": "withdraw"}))
    assert withdrawn.status_code == 201 and withdrawn.json()["status"] == "withdrawn"
    assert officer.get("/api/v1/communes/XA-A/playlist").json()["items"] == [], "withdrawn but still on air"
    assert officer.get(f"/api/v1/bulletins/{mine['id']}").json()["status"] == "rejected"
    assert [d["outcome"] for d in deliveries(link["so.canbo"])] == ["accepted", "duplicate", "accepted"]


def test_unauthenticated_messages_are_refused_and_store_nothing(link: dict[str, Any]) -> None:
    signer: SourceSigner = link["signer"]
    client: httpx.Client = link["source"]
    body = signer.message(item())
    impostor = SourceSigner("STP-P")
    attempts = [
        client.post("/api/v1/source-link/items", content=body, headers={"Content-Type": "application/json"}),
        client.post("/api/v1/source-link/items", content=body, headers=impostor.headers(body)),
        client.post("/api/v1/source-link/items", content=body + b"\n", headers=signer.headers(body)),
        client.post("/api/v1/source-link/items", content=b"{", headers={**signer.headers(b"{"), "X-Loaxa-Source": "X"}),
    ]
    for response in attempts:
        assert response.status_code == 401 and response.json()["error"] == "source_not_authenticated", response.text
    assert deliveries(link["admin"]) == []
    assert link["admin"].get("/api/v1/bulletins").json() == []


def test_refusals_say_why_to_the_sender_and_to_the_province_staff_only(link: dict[str, Any]) -> None:
    signer: SourceSigner = link["signer"]
    client: httpx.Client = link["source"]
    cases = [
        (signer.message(item(target={"communes": ["XA-A", "XA-Q"]})), 422, "XA-Q"),
        (signer.message(item(target={"province": "Q"})), 422, "Tỉnh P"),
        (b'{"link_version": 1, "source": "STP-P"}', 422, "định dạng"),
        (signer.message(item(), sent_at=datetime.now(UTC) - timedelta(hours=1)), 409, "quá cũ"),
    ]
    for body, status, words in cases:
        response = signer.send(client, body)
        assert response.status_code == status and words in response.json()["message"], response.text
    replayed = signer.message(item("STP-R"))
    assert signer.send(client, replayed).status_code == 201
    assert signer.send(client, replayed).status_code == 409

    refused = deliveries(link["so.canbo"], "refused")
    assert len(refused) == 5 and all(row["reason"] and row["detail"] for row in refused)
    assert link["so.q"].client.get("/api/v1/provinces/P/source-deliveries").status_code == 403
    assert link["officer.a"].client.get("/api/v1/provinces/P/source-deliveries").status_code == 403
    assert len(link["admin"].get("/api/v1/bulletins").json()) == 2  # only STP-R's two communes

    # The province's staff see the same in the console, refused ones with their reason.
    controller: ControllerServer = link["controller"]
    for username, status in (("so.canbo", 200), ("so.q", 403), ("officer.a", 403)):
        console = ConsoleClient(controller.base_url)
        console.login(username, f"{username}-pass")
        page = console.get("/nguon-tinh?tinh=P&tu-choi=1")
        console.close()
        assert page.status_code == status, (username, page.status_code)
        if status == 200:
            assert "Sở Tư pháp tỉnh P" in page.text and "Không có xã XA-Q" in page.text
            assert page.text.count("Bị từ chối") == 5 and "Đã nhận" not in page.text


def test_only_admins_register_sources_and_the_cli_does_it_too(link: dict[str, Any], settings: Settings) -> None:
    other = SourceSigner("STP-Q")
    body = {"code": "STP-Q", "name": "Sở Tư pháp tỉnh Q", "province_code": "Q", "public_key": other.public_key}
    assert link["so.q"].post("/api/v1/source-systems", body).status_code == 403
    assert link["admin"].post("/api/v1/source-systems", {**body, "public_key": "A" * 44}).status_code == 422
    assert link["admin"].post("/api/v1/source-systems", {**body, "code": "STP-P"}).status_code == 409
    env = {f"LOAXA_{k}": v for k, v in {"DATABASE__URL": settings.database.url}.items()}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        out = io.StringIO()
        with redirect_stdout(out):
            assert (
                cli.main(
                    ["source", "add", "STP-Q", "--name", "Sở Q", "--province", "Q", "--public-key", other.public_key]
                )
                == 0
            )
            assert cli.main(["source", "list"]) == 0
    assert "nguon.stp-q" in out.getvalue() and "STP-P\tP\tactive" in out.getvalue()
    codes = [s["code"] for s in link["admin"].get("/api/v1/source-systems").json()]
    assert codes == ["STP-P", "STP-Q"]
    response = other.send(link["source"], other.message(item(target={"communes": ["XA-Q"]})))
    assert response.status_code == 201, response.text


def test_a_named_approvers_signature_approves_only_where_the_province_chose_so(
    link: dict[str, Any], settings: Settings
) -> None:
    signer: SourceSigner = link["signer"]
    client: httpx.Client = link["source"]
    admin: Api = link["admin"]
    director = Approver("Nguyễn Văn An - Phó Giám đốc Sở")
    signed = director.approve("STP-P", item("STP-A1", target={"communes": ["XA-A"]}))

    # Not chosen yet: the approval is ignored and the item waits for loaxa's approvers.
    waiting = signer.send(client, signer.message(signed))
    assert waiting.status_code == 201, waiting.text
    [waiting_id] = waiting.json()["bulletin_ids"]
    assert admin.get(f"/api/v1/bulletins/{waiting_id}").json()["status"] == "pending"

    choice = {"enabled": True, "approvers": [{"name": director.name, "public_key": director.public_key}]}
    assert link["so.canbo"].client.put("/api/v1/source-systems/STP-P/approval", json=choice).status_code == 403
    chosen = admin.client.put("/api/v1/source-systems/STP-P/approval", json=choice)
    assert chosen.status_code == 200 and chosen.json()["approvers"] == [director.name], chosen.text

    approved = signer.send(
        client, signer.message(director.approve("STP-P", item("STP-A2", target={"communes": ["XA-A"]})))
    )
    assert approved.status_code == 201, approved.text
    [bulletin_id] = approved.json()["bulletin_ids"]
    bulletin = admin.get(f"/api/v1/bulletins/{bulletin_id}").json()
    assert bulletin["status"] == "approved" and bulletin["approved_at_source_by"] == director.name
    assert bulletin["audio_sha256"] and bulletin["reviewer_id"] is None
    starts = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    scheduled = link["officer.a"].post(
        "/api/v1/broadcasts", {"bulletin_id": bulletin_id, "commune_code": "XA-A", "starts_at": starts}
    )
    assert scheduled.status_code == 201, scheduled.text

    # A forged or unknown signature refuses the item outright; a changed text voids the signature.
    impostor = Approver(director.name)
    forged = signer.send(client, signer.message(impostor.approve("STP-P", item("STP-A3"))))
    assert forged.status_code == 422 and "Chữ ký duyệt" in forged.json()["message"], forged.text
    tampered = director.approve("STP-P", item("STP-A4"))
    tampered["text"] = "Nội dung khác với nội dung đã ký."
    assert signer.send(client, signer.message(tampered)).status_code == 422
    widened = director.approve("STP-P", item("STP-A7", target={"communes": ["XA-A"]}))
    widened["target"] = {"province": "P"}  # the source's key reaching further than the approver signed
    assert signer.send(client, signer.message(widened)).status_code == 422
    stranger = Approver("Người lạ")
    assert signer.send(client, signer.message(stranger.approve("STP-P", item("STP-A5")))).status_code == 422
    titles = {b["title"] for b in admin.get("/api/v1/bulletins").json()}
    assert len(admin.get("/api/v1/bulletins").json()) == 2 and titles == {item()["title"]}

    # A new version, signed again, is approved again and stays on the playlist.
    v2 = item("STP-A2", version=2, text="Nội dung mới, đã ký duyệt lại.", target={"communes": ["XA-A"]})
    assert signer.send(client, signer.message(director.approve("STP-P", v2))).status_code == 201
    again = admin.get(f"/api/v1/bulletins/{bulletin_id}").json()
    assert again["status"] == "approved" and again["body"] == "Nội dung mới, đã ký duyệt lại."
    playlist = admin.get("/api/v1/communes/XA-A/playlist").json()["items"]
    assert [i["asset_sha256"] for i in playlist] == [again["audio_sha256"]]

    # The province turns it off: the next item waits again.
    off = admin.client.put("/api/v1/source-systems/STP-P/approval", json={"enabled": False, "approvers": []})
    assert off.status_code == 200 and off.json()["approval_at_source"] is False
    later = signer.send(
        client, signer.message(director.approve("STP-P", item("STP-A6", target={"communes": ["XA-A"]})))
    )
    assert admin.get(f"/api/v1/bulletins/{later.json()['bulletin_ids'][0]}").json()["status"] == "pending"


def test_an_item_may_bring_its_own_recording_which_must_be_exactly_the_signed_file(
    link: dict[str, Any], tmp_path: Path
) -> None:
    signer: SourceSigner = link["signer"]
    client: httpx.Client = link["source"]
    admin, approver, officer = link["admin"], link["approver.a"], link["officer.a"]
    with SourceSystemSim(tmp_path / "source", "STP-P") as media:
        audio = media.add_recording(tone_wav(2.0))
        sent = signer.send(client, signer.message(item("STP-REC", audio=audio, target={"communes": ["XA-A"]})))
        assert sent.status_code == 201, sent.text
        [bulletin_id] = sent.json()["bulletin_ids"]
        bulletin = admin.get(f"/api/v1/bulletins/{bulletin_id}").json()
        assert bulletin["status"] == "pending" and bulletin["audio_source"] == "recording"
        recording = bulletin["audio_sha256"]
        assert recording and admin.client.get(f"/api/v1/audio/{recording}.opus").status_code == 200

        # Approved as it is, it airs: the processed recording, not speech of the text.
        approved = approver.post(f"/api/v1/bulletins/{bulletin_id}/approve")
        assert approved.status_code == 200 and approved.json()["audio_sha256"] == recording, approved.text
        starts = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
        placed = officer.post(
            "/api/v1/broadcasts", {"bulletin_id": bulletin_id, "commune_code": "XA-A", "starts_at": starts}
        )
        assert placed.status_code == 201, placed.text
        assert [i["asset_sha256"] for i in officer.get("/api/v1/communes/XA-A/playlist").json()["items"]] == [recording]

        # Anything but the signed file is refused, with the reason, and nothing of the item is stored.
        other = media.add_recording(tone_wav(1.0, rate=8000))
        cases = [
            ({**audio, "url": other["url"]}, "không khớp"),  # a swapped file
            ({**audio, "bytes": audio["bytes"] + 1}, "không khớp"),  # a truncated one, as far as the signer knows
            ({**audio, "url": f"{media.url}/media/{'0' * 64}"}, "mã 404"),  # gone
            (media.add_recording(b"not audio at all " * 100), "không dùng được"),
            ({**audio, "bytes": 2**31}, "quá lớn"),  # refused before anything is fetched
        ]
        for index, (bad, words) in enumerate(cases):
            refused = signer.send(client, signer.message(item(f"STP-BAD{index}", audio=bad)))
            assert refused.status_code == 422 and words in refused.json()["message"], (index, refused.text)

        # A newer version without a recording goes back to speech, and back for approval.
        v2 = item("STP-REC", version=2, text="Nay đọc bằng giọng máy.", target={"communes": ["XA-A"]})
        assert signer.send(client, signer.message(v2)).status_code == 201
        spoken = admin.get(f"/api/v1/bulletins/{bulletin_id}").json()
        assert spoken["status"] == "pending" and spoken["audio_source"] == "speech" and spoken["audio_sha256"] is None
        assert officer.get("/api/v1/communes/XA-A/playlist").json()["items"] == []

        # An approver at the source approves the exact recording: it airs without speech being made.
        director = Approver("Giám đốc Sở")
        choice = {"enabled": True, "approvers": [{"name": director.name, "public_key": director.public_key}]}
        assert admin.client.put("/api/v1/source-systems/STP-P/approval", json=choice).status_code == 200
        signed = director.approve("STP-P", item("STP-REC2", audio=audio, target={"communes": ["XA-A"]}))
        done = signer.send(client, signer.message(signed))
        assert done.status_code == 201, done.text
        approved_here = admin.get(f"/api/v1/bulletins/{done.json()['bulletin_ids'][0]}").json()
        assert approved_here["status"] == "approved" and approved_here["audio_sha256"] == recording
        assert approved_here["approved_at_source_by"] == director.name
        swapped = director.approve("STP-P", item("STP-REC3", audio=audio, target={"communes": ["XA-A"]}))
        swapped["audio"] = other  # the source's key sending another sound than the approver signed
        assert signer.send(client, signer.message(swapped)).status_code == 422

    assert len(deliveries(link["so.canbo"], "refused")) == len(cases) + 1
    titles = [b["title"] for b in admin.get("/api/v1/bulletins").json()]
    assert len(titles) == 2
