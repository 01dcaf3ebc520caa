"""Signed commands, judged by the node: unsigned, forged, tampered, stale, replayed and misdirected ones are refused."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devices.command_signing import CommandSigner, SigningKeyUnusable
from devices.protocol import CommandBody, SignedCommand, encode
from firmware_sim.commands import CommandVerifier, NonceStore

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
MAX_AGE_S = 60.0


@pytest.fixture
def signer(tmp_path: Path) -> CommandSigner:
    return CommandSigner.load_or_create(tmp_path / "controller" / "key.pem")


def verifier(signer: CommandSigner, state: Path, public_key: str | None = None) -> CommandVerifier:
    return CommandVerifier(
        signer.public_key_b64 if public_key is None else public_key,
        device_code="LOA-1",
        commune="XA-A",
        max_age_s=MAX_AGE_S,
        nonces=NonceStore(state / "command_nonces.json"),
    )


def body(**changes: object) -> CommandBody:
    fields: dict[str, object] = {
        "command_id": uuid.uuid4().hex,
        "name": "set_volume",
        "volume": 40,
        "scope": "device",
        "target": "LOA-1",
        "issued_at": NOW,
        "nonce": uuid.uuid4().hex,
    }
    return CommandBody.model_validate({**fields, **changes})


def test_key_file_is_created_once_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "command.pem"
    first = CommandSigner.load_or_create(path)
    assert os.stat(path).st_mode & 0o777 == 0o600
    again = CommandSigner.load_or_create(path)
    assert again.key_id == first.key_id and len(first.key_id) == 16
    assert [p.name for p in path.parent.iterdir()] == ["command.pem"]  # no temporary file left


def test_a_signed_fresh_command_for_me_is_accepted_once(signer: CommandSigner, tmp_path: Path) -> None:
    node = verifier(signer, tmp_path)
    command = body()
    verdict = node.check(encode(signer.sign(command)), NOW + timedelta(seconds=5))
    assert verdict.reason is None and verdict.body == command
    assert node.check(encode(signer.sign(command)), NOW + timedelta(seconds=6)).reason == "replayed"


def test_a_replayed_command_is_refused_after_the_node_restarts(signer: CommandSigner, tmp_path: Path) -> None:
    payload = encode(signer.sign(body()))
    assert verifier(signer, tmp_path).check(payload, NOW).reason is None
    rebooted = verifier(signer, tmp_path)  # a new store, read back from the state directory
    verdict = rebooted.check(payload, NOW + timedelta(seconds=30))
    assert verdict.reason == "replayed" and verdict.body is None


def test_nonces_are_forgotten_only_after_their_command_went_stale(signer: CommandSigner, tmp_path: Path) -> None:
    node = verifier(signer, tmp_path)
    old = body()
    assert node.check(encode(signer.sign(old)), NOW).reason is None
    later = NOW + timedelta(seconds=3 * MAX_AGE_S)
    assert node.check(encode(signer.sign(body(issued_at=later))), later).reason is None
    assert old.nonce not in node.nonces and len(node.nonces) == 1
    assert node.check(encode(signer.sign(old)), later).reason == "stale"


@pytest.mark.parametrize(("skew_s", "reason"), [(-MAX_AGE_S - 1, "stale"), (MAX_AGE_S + 1, "stale"), (-30, None)])
def test_freshness_is_judged_by_the_node_clock_both_ways(
    signer: CommandSigner, tmp_path: Path, skew_s: float, reason: str | None
) -> None:
    command = body(issued_at=NOW + timedelta(seconds=skew_s))
    assert verifier(signer, tmp_path).check(encode(signer.sign(command)), NOW).reason == reason


def test_unsigned_and_forged_commands_are_refused(signer: CommandSigner, tmp_path: Path) -> None:
    node = verifier(signer, tmp_path)
    command = body()
    bare = node.check(encode(command), NOW)
    assert (bare.command_id, bare.reason) == (command.command_id, "bad_signature")
    # Signed by someone else's key, but claiming to be the controller's.
    other = CommandSigner.load_or_create(tmp_path / "attacker.pem")
    forged = other.sign(command).model_copy(update={"key_id": signer.key_id})
    assert node.check(encode(forged), NOW).reason == "bad_signature"
    assert node.check(encode(other.sign(command)), NOW).reason == "unknown_key"
    # The real signature over a body with a louder volume.
    genuine = signer.sign(command)
    tampered = genuine.model_copy(update={"body": genuine.body.replace('"volume":40', '"volume":100')})
    assert tampered.body != genuine.body
    assert node.check(encode(tampered), NOW).reason == "bad_signature"
    assert len(node.nonces) == 0
    # A node provisioned without the public key trusts nobody.
    assert verifier(signer, tmp_path / "blank", public_key="").check(encode(genuine), NOW).reason == "unknown_key"


def test_commands_for_another_cluster_or_commune_are_not_for_me(signer: CommandSigner, tmp_path: Path) -> None:
    node = verifier(signer, tmp_path)
    for other in (body(target="LOA-2"), body(scope="commune", target="XA-B")):
        assert node.check(encode(signer.sign(other)), NOW).reason == "not_for_me"
    assert node.check(encode(signer.sign(body(scope="commune", target="XA-A"))), NOW).reason is None


def test_garbage_is_malformed_and_names_a_command_only_when_one_is_recoverable(
    signer: CommandSigner, tmp_path: Path
) -> None:
    node = verifier(signer, tmp_path)
    assert node.check(b"\xff\x00 not json", NOW).command_id is None
    assert node.check(b"x" * 20_000, NOW).reason == "malformed"
    envelope = json.loads(encode(signer.sign(body(command_id="cmd-12345678"))))
    envelope["extra"] = 1
    verdict = node.check(json.dumps(envelope).encode(), NOW)
    assert (verdict.command_id, verdict.reason) == ("cmd-12345678", "malformed")
    assert node.check(encode(signer.sign(body())), NOW).reason is None  # and the next one is fine


def test_an_unreadable_nonce_file_starts_empty(signer: CommandSigner, tmp_path: Path) -> None:
    (tmp_path / "command_nonces.json").write_text("{not json")
    assert verifier(signer, tmp_path).check(encode(signer.sign(body())), NOW).reason is None


def test_signed_envelope_carries_the_exact_body_text(signer: CommandSigner) -> None:
    envelope = signer.sign(body())
    assert SignedCommand.model_validate_json(encode(envelope)).body == envelope.body


def test_an_unusable_key_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "key.pem").write_text("not a key")
    with pytest.raises(SigningKeyUnusable, match=r"key\.pem"):
        CommandSigner.load_or_create(tmp_path / "key.pem")
