from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from devices.protocol import (
    DEVICE_CHANNELS,
    MAX_PAYLOAD_BYTES,
    NodeState,
    PlaylistItem,
    PlaylistNotice,
    PlayReport,
    ProtocolError,
    commune_playlist_topic,
    decode,
    device_play_topic,
    device_state_topic,
    encode,
    is_valid_code,
    parse_device_topic,
)

SHA = "a" * 64


def test_topics_are_versioned_and_parse_back() -> None:
    assert commune_playlist_topic("XA-1") == "loaxa/v1/communes/XA-1/playlist"
    assert parse_device_topic(device_state_topic("CL-01")) == ("CL-01", "state")
    assert parse_device_topic(device_play_topic("CL-01")) == ("CL-01", "play")
    for channel in DEVICE_CHANNELS:
        assert parse_device_topic(f"loaxa/v1/devices/CL-01/{channel}") == ("CL-01", channel)


@pytest.mark.parametrize(
    "topic",
    [
        "loaxa/v1/devices/CL-01/cmd",
        "loaxa/v1/devices/CL-01/status",
        "loaxa/v2/devices/CL-01/state",
        "loaxa/v1/devices/CL-01/state/extra",
        "loaxa/v1/communes/X/playlist",
        "loaxa/v1/devices/+/state",
        "",
    ],
)
def test_foreign_topics_are_refused(topic: str) -> None:
    with pytest.raises(ProtocolError):
        parse_device_topic(topic)


@pytest.mark.parametrize("code", ["CL-01", "a", "X.1_b-2"])
def test_valid_codes(code: str) -> None:
    assert is_valid_code(code)


@pytest.mark.parametrize("code", ["", "a/b", "+", "#", "has space", "-lead", "x" * 65, "xã"])
def test_invalid_codes(code: str) -> None:
    assert not is_valid_code(code)


def test_round_trip() -> None:
    notice = PlaylistNotice(commune="XA", version=3, etag='"3-abc"', issued_at=datetime.now(UTC))
    assert decode(PlaylistNotice, encode(notice)) == notice


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        json.dumps({"type": "state", "state": "online", "session_seq": 1, "firmware": "x", "v": 2}).encode(),
        json.dumps({"type": "state", "state": "dancing", "session_seq": 1, "firmware": "x"}).encode(),
        json.dumps({"type": "state", "state": "online", "session_seq": -1, "firmware": "x"}).encode(),
        json.dumps({"type": "state", "state": "online", "session_seq": 1, "firmware": "x", "evil": 1}).encode(),
        b"{" + b" " * MAX_PAYLOAD_BYTES + b"}",
        b"[" * 10_000,  # nesting deep enough to exhaust the JSON parser's recursion
    ],
)
def test_bad_payloads_raise_protocol_error_only(payload: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode(NodeState, payload)


def test_play_report_needs_aware_times_and_hex_digests() -> None:
    base = {
        "report_id": "r" * 16,
        "commune": "XA",
        "playlist_version": 1,
        "item_id": "b1",
        "asset_sha256": SHA,
        "played_sha256": SHA,
        "scheduled_start": "2026-11-22T10:00:00+07:00",
        "started_at": "2026-11-22T10:00:00.1+07:00",
        "ended_at": "2026-11-22T10:00:10+07:00",
    }
    assert decode(PlayReport, json.dumps(base).encode()).asset_sha256 == SHA
    with pytest.raises(ProtocolError):
        decode(PlayReport, json.dumps({**base, "started_at": "2026-11-22T10:00:00"}).encode())
    with pytest.raises(ProtocolError):
        decode(PlayReport, json.dumps({**base, "asset_sha256": "Z" * 64}).encode())


def test_playlist_item_fields_added_before_deployment_default_to_the_old_meaning() -> None:
    item = PlaylistItem(
        item_id="b1", title="Tin", asset_sha256="a" * 64, asset_url="/x", duration_ms=1000, starts_at=datetime.now(UTC)
    )
    assert item.offset_ms == 0 and item.clusters is None and item.is_for("ANY-NODE")
    narrow = item.model_copy(update={"clusters": ("CL-1",)})
    assert narrow.is_for("CL-1") and not narrow.is_for("CL-2")
    notice = PlaylistNotice(commune="XA", version=1, etag='"1-x"', issued_at=datetime.now(UTC))
    assert notice.urgent is False


def test_an_items_content_link_is_left_out_when_absent_and_must_be_an_absolute_http_url() -> None:
    """1.2's `content_url` is additive: without it, an item is byte for byte what 1.1 sent."""
    item = PlaylistItem(
        item_id="cmd-1",
        title="Tin khẩn",
        asset_sha256="a" * 64,
        asset_url=f"/api/v1/node/audio/{'a' * 64}.opus",
        duration_ms=1000,
        starts_at=datetime(2026, 12, 7, tzinfo=UTC),
    )
    assert "content_url" not in json.loads(item.model_dump_json())
    link = f"http://127.0.0.1:8081/c/XA/a/{'a' * 64}.opus?md5=x&expires=1"
    linked = item.model_copy(update={"content_url": link})
    assert PlaylistItem.model_validate_json(linked.model_dump_json()).content_url == link
    for bad in ("/c/XA/a/x.opus", "ftp://host/x", "http://host/a b"):
        with pytest.raises(ValidationError):
            PlaylistItem.model_validate({**item.model_dump(mode="json"), "content_url": bad})
