"""The device protocol, version 1: MQTT topics and the JSON payloads nodes and controller exchange.

This module is the single source of truth shared by the controller and the speaker-node agent
(`firmware_sim`), so it imports nothing but pydantic and the standard library. `docs/protocol.md`
describes the same thing for people; change both together and bump `PROTOCOL_VERSION` on any
incompatible change.

Topic layout (every topic starts with `loaxa/v1/`):

- `communes/{commune}/playlist`  controller -> nodes, retained: the commune's newest playlist version.
- `devices/{device}/state`       node -> controller, retained: birth ("online") and last will ("offline").
- `devices/{device}/play`        node -> controller, QoS 1: proof of play.
- `devices/{device}/heartbeat`   node -> controller, QoS 0: health every `heartbeat_interval_s`.
- `devices/{device}/cmd`         controller -> one node, QoS 1: a signed command.
- `communes/{commune}/cmd`       controller -> every node of a commune, QoS 1: a signed command.
- `devices/{device}/ack`         node -> controller, QoS 1: command accepted or refused.
- `devices/{device}/result`      node -> controller, QoS 1: how an accepted command ended.
- `communes/{commune}/stock`     controller -> nodes, retained: the stock-message library's newest version.
- `devices/{device}/relay`       node -> controller, QoS 1: a relay's source checked ahead of its slot (1.4).

Commands are signed with the controller's Ed25519 key. The signature covers the exact bytes of the
command body (sent as a string inside the envelope), so neither side ever re-serialises what is signed.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from typing import Annotated, Final, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

PROTOCOL_VERSION: Final = 1
TOPIC_ROOT = f"loaxa/v{PROTOCOL_VERSION}"

# A node's payloads are a few hundred bytes; anything near this limit is garbage or an attack.
MAX_PAYLOAD_BYTES = 16 * 1024

# Codes become MQTT topic levels and usernames: no wildcards, separators or spaces.
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_CODE_RE = re.compile(CODE_PATTERN)
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Code = Annotated[str, Field(pattern=CODE_PATTERN)]

Priority = Literal["normal", "priority", "emergency"]

# The controller keeps every integer of these payloads in an INTEGER column (32 bits on PostgreSQL), so
# none may exceed it: a counter, a version, milliseconds (24.8 days), seconds (68 years), megabytes
# (2 PB). A well-behaved node never comes near; a payload that does is refused like any other invalid
# one instead of failing in the database (docs/protocol.md, "Bounds").
INTEGER_MAX: Final = 2**31 - 1
Count = Annotated[int, Field(ge=0, le=INTEGER_MAX)]
# An urgent notice carries its playlist up to this size (1.5); a bigger one (a commune with hundreds of
# items in its horizon) is left to the HTTP pull. 64 KiB is 100-odd items, far more than a day of a
# commune's bulletins, and small enough for the whole commune's nodes to receive at once on 4G.
MAX_PUSHED_PLAYLIST_CHARS = 65_536


class ProtocolError(ValueError):
    """A topic or payload that does not follow this protocol."""


def is_valid_code(code: str) -> bool:
    """True when `code` can be a commune or device code (a single, wildcard-free topic level)."""
    return bool(_CODE_RE.match(code))


def commune_playlist_topic(commune_code: str) -> str:
    return f"{TOPIC_ROOT}/communes/{commune_code}/playlist"


# Every commune's playlist notices: what a controller instance serving content through its own nginx follows,
# so its files keep up with the publications of the others (devices.content).
COMMUNE_PLAYLISTS_FILTER = f"{TOPIC_ROOT}/communes/+/playlist"


def commune_topics_filter(commune_code: str) -> str:
    """Everything a node of this commune may read about its commune."""
    return f"{TOPIC_ROOT}/communes/{commune_code}/#"


def device_state_topic(device_code: str) -> str:
    return f"{TOPIC_ROOT}/devices/{device_code}/state"


def device_play_topic(device_code: str) -> str:
    return f"{TOPIC_ROOT}/devices/{device_code}/play"


# HTTP response header of the node playlist endpoint: the controller's clock, UTC ISO 8601 with milliseconds.
# The node measures its clock offset from it (docs/protocol.md, "Clock offset").
TIME_HEADER = "X-Loaxa-Time"

# HTTP response header of the node playlist endpoint when the controller serves content through nginx:
# the signed, expiring URL of the commune's playlist there (docs/protocol.md, "Content server"). Optional;
# a node that ignores it keeps fetching everything from the controller.
PLAYLIST_URL_HEADER = "X-Loaxa-Playlist-Url"


def device_heartbeat_topic(device_code: str) -> str:
    return f"{TOPIC_ROOT}/devices/{device_code}/heartbeat"


def device_ack_topic(device_code: str) -> str:
    return f"{TOPIC_ROOT}/devices/{device_code}/ack"


def device_result_topic(device_code: str) -> str:
    return f"{TOPIC_ROOT}/devices/{device_code}/result"


def device_command_topic(device_code: str) -> str:
    return f"{TOPIC_ROOT}/devices/{device_code}/cmd"


def commune_command_topic(commune_code: str) -> str:
    return f"{TOPIC_ROOT}/communes/{commune_code}/cmd"


def commune_stock_topic(commune_code: str) -> str:
    """Where the stock library's version is announced: under the commune, so the ACL nodes have covers it."""
    return f"{TOPIC_ROOT}/communes/{commune_code}/stock"


def device_topics_filter(device_code: str) -> str:
    return f"{TOPIC_ROOT}/devices/{device_code}/#"


def device_relay_topic(device_code: str) -> str:
    return f"{TOPIC_ROOT}/devices/{device_code}/relay"


DeviceChannel = Literal["state", "play", "heartbeat", "ack", "result", "relay"]
DEVICE_CHANNELS: tuple[DeviceChannel, ...] = ("state", "play", "heartbeat", "ack", "result", "relay")

# The MQTT 5 shared subscription group of the controller's instances: the broker hands each message on a
# shared filter to one instance of the group, so several `loaxa serve` share the ingest instead of doubling it.
CONTROLLER_SHARE_GROUP = "loaxa"
# Heartbeats go to every instance (a plain subscription): each keeps the fleet's latest heartbeats in
# memory, so whichever instance leads sweeps with the whole picture (devices.health_monitor).
BROADCAST_CHANNELS: tuple[DeviceChannel, ...] = ("heartbeat",)


def device_channel_filter(channel: DeviceChannel) -> str:
    """Every device's messages on one channel (plain, as every instance subscribed before)."""
    return f"{TOPIC_ROOT}/devices/+/{channel}"


def controller_subscriptions(shared: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What the controller subscribes to (every device's uplink), and the filters of the other mode, which it
    drops from its persistent session on connect (or the session would go on receiving them too).

    `shared` (several instances): what is stored comes through the group's shared filters, each message to
    one instance. One instance subscribes plainly: mosquitto (2.0) does not restore a shared subscription
    from its persistence after a restart, so node reports published before the controller subscribed
    again would be acknowledged by the broker and lost.
    """
    plain = tuple(device_channel_filter(channel) for channel in DEVICE_CHANNELS)
    if not shared:
        return plain, tuple(
            f"$share/{CONTROLLER_SHARE_GROUP}/{device_channel_filter(c)}"
            for c in DEVICE_CHANNELS
            if c not in BROADCAST_CHANNELS
        )
    subscriptions = tuple(
        device_channel_filter(channel)
        if channel in BROADCAST_CHANNELS
        else f"$share/{CONTROLLER_SHARE_GROUP}/{device_channel_filter(channel)}"
        for channel in DEVICE_CHANNELS
    )
    return subscriptions, tuple(f for f in plain if f not in subscriptions)


def parse_device_topic(topic: str) -> tuple[str, DeviceChannel]:
    """Split `loaxa/v1/devices/{code}/{channel}` into (code, channel); raise ProtocolError otherwise."""
    parts = topic.split("/")
    if len(parts) != 5 or "/".join(parts[:3]) != f"{TOPIC_ROOT}/devices":
        raise ProtocolError(f"not a device uplink topic: {topic[:200]!r}")
    code, channel = parts[3], parts[4]
    if not is_valid_code(code):
        raise ProtocolError(f"invalid device code in topic: {code[:80]!r}")
    for known in DEVICE_CHANNELS:
        if channel == known:
            return code, known
    raise ProtocolError(f"unknown device channel: {channel[:80]!r}")


class Message(BaseModel):
    """Base of every payload: immutable, strict about unknown fields, and versioned."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    v: Literal[1] = PROTOCOL_VERSION


class PlaylistNotice(Message):
    """Retained on the commune's playlist topic: "version N is ready, pull it over HTTP"."""

    type: Literal["playlist"] = "playlist"
    commune: Code
    version: Count
    etag: str = Field(max_length=128)
    issued_at: AwareDatetime
    urgent: bool = Field(
        default=False, description="An emergency is in this version: pull at once, without the notice jitter."
    )
    # 1.5: an urgent notice carries its playlist (the Opus variant, exactly as served over HTTP), signed
    # with the command key, so a node applies an emergency without a pull, and with HTTP down. Left out
    # when absent, so a notice without it is byte for byte what 1.4 sent.
    playlist: str | None = Field(
        default=None,
        max_length=MAX_PUSHED_PLAYLIST_CHARS,
        exclude_if=lambda text: text is None,
        description="The playlist JSON of this version; apply it only if `signature` verifies.",
    )
    key_id: str | None = Field(default=None, max_length=64, exclude_if=lambda key: key is None)
    signature: str | None = Field(
        default=None,
        max_length=128,
        exclude_if=lambda sig: sig is None,
        description="Ed25519 over the UTF-8 bytes of `playlist`, base64, by the command key `key_id`.",
    )


class NodeState(Message):
    """Birth ("online", published on connect) and last will ("offline", published by the broker)."""

    type: Literal["state"] = "state"
    state: Literal["online", "offline"]
    session_seq: Count = Field(description="Increments on every connection the node makes.")
    firmware: str = Field(max_length=64)
    at: AwareDatetime | None = None


class RelayInterruption(BaseModel):
    """A stretch of a relay when the stream was not on air: the source dropped, or never answered (1.4)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: AwareDatetime
    duration_ms: Count
    reason: str = Field(max_length=200)
    # What the horns aired meanwhile: nothing, or the commune's stock message.
    filled: Literal["silence", "stock"] = "silence"


# A report stays well under MAX_PAYLOAD_BYTES (about 150 bytes per interruption); more are summed in the last.
MAX_RELAY_INTERRUPTIONS = 50


class PlayReport(Message):
    """Proof of play: this node played this item, from this audio, at this time."""

    type: Literal["play"] = "play"
    report_id: str = Field(min_length=8, max_length=64, description="Unique per report; makes retries idempotent.")
    commune: Code
    playlist_version: Count
    item_id: str = Field(max_length=64)
    asset_sha256: Sha256Hex
    played_sha256: Sha256Hex | None = Field(
        default=None, description="sha256 of the bytes the audio output received; None when nothing played."
    )
    scheduled_start: AwareDatetime
    started_at: AwareDatetime
    ended_at: AwareDatetime
    # interrupted: an emergency cut the item short (it started on time; what follows is in the playlist).
    outcome: Literal["played", "failed", "interrupted"] = "played"
    detail: str = Field(default="", max_length=500)
    # 1.4, a relay only (left out otherwise): how long the stream was on air, and each interruption.
    relayed_ms: Count | None = Field(default=None, exclude_if=lambda value: value is None)
    interruptions: tuple[RelayInterruption, ...] | None = Field(
        default=None, max_length=MAX_RELAY_INTERRUPTIONS, exclude_if=lambda value: value is None
    )

    @model_validator(mode="after")
    def _start_error_fits(self) -> PlayReport:
        # The controller keeps started_at - scheduled_start in milliseconds, as an INTEGER: 24.8 days.
        if abs(self.started_at - self.scheduled_start) > timedelta(milliseconds=INTEGER_MAX):
            raise ValueError("started_at is more than 24 days away from scheduled_start")
        return self


# A stock message's key (`storm`, `all_clear`...) and language (ISO 639-1/-3: `vi`, `km`).
StockKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
StockLanguage = Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]


class StockRef(BaseModel):
    """Names a message of the stock library: the node plays it from its pinned copy, never downloading it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: StockKey
    language: StockLanguage


class StreamSpec(BaseModel):
    """A relay (1.4): play this stream live from the item's start for its duration, never longer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(max_length=500, pattern=r"^https?://[^\s]+$", description="An Icecast/Shoutcast mount.")
    source: str = Field(max_length=100, description="The source's name, for logs and reports.")
    fill: StockRef | None = Field(
        default=None, description="What airs while the stream is down: this stock message, or silence (None)."
    )


def stream_asset_sha256(url: str) -> str:
    """A relay's `asset_sha256`: it has no fixed bytes, so the sha256 of its URL names what it plays."""
    return hashlib.sha256(url.encode()).hexdigest()


class RelayCheck(Message):
    """A node checked a relay's source ahead of its slot and it did not answer (1.4); `reachable` is there
    so a later node may also say it answers again (the controller then only logs it)."""

    type: Literal["relay"] = "relay"
    commune: Code
    item_id: str = Field(max_length=64)
    starts_at: AwareDatetime
    url: str = Field(max_length=500)
    reachable: bool
    checked_at: AwareDatetime
    detail: str = Field(default="", max_length=300)


class PlaylistItem(BaseModel):
    """One item of a playlist, with its absolute start time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: str = Field(max_length=64)
    title: str = Field(max_length=300)
    priority: Priority = "normal"
    asset_sha256: Sha256Hex
    asset_url: str = Field(
        max_length=500, description="Path on the controller, relative to its base URL (a relay: the stream's URL)."
    )
    codec: Literal["opus", "mp3"] = "opus"
    duration_ms: int = Field(gt=0, le=INTEGER_MAX, description="How long it plays from `offset_ms` on.")
    starts_at: AwareDatetime
    offset_ms: Count = Field(default=0, description="Where in the audio to start: a resumed item skips this.")
    clusters: tuple[Code, ...] | None = Field(
        default=None, max_length=500, description="Device codes it is for; None means every cluster of the commune."
    )
    stock: StockRef | None = Field(
        default=None, description="A stock message (its audio is `asset_sha256`): play the pinned copy, no HTTP."
    )
    # 1.2: a play_now's audio on the content server (nginx), so a new recording for a whole province is
    # not served by the controller's Python. Absolute, because an MQTT command has no base URL.
    content_url: str | None = Field(
        default=None,
        max_length=500,
        pattern=r"^https?://[^\s]+$",
        # Left out when absent: a playlist or command without it is byte for byte what 1.1 sent.
        exclude_if=lambda url: url is None,
        description="A signed link to the audio on the content server; if it fails, `asset_url` on the controller.",
    )

    # 1.4: a relay of an external stream; `asset_sha256` is then `stream_asset_sha256(stream.url)` and
    # `asset_url` the stream's URL. Left out when absent.
    stream: StreamSpec | None = Field(
        default=None, exclude_if=lambda spec: spec is None, description="A live relay instead of a file."
    )

    def is_for(self, device_code: str) -> bool:
        return self.clusters is None or device_code in self.clusters


class Playlist(BaseModel):
    """What `GET /api/v1/node/playlist` returns: the commune's compiled playlist, newest version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    v: Literal[1] = PROTOCOL_VERSION
    commune: Code
    version: Count
    generated_at: AwareDatetime
    items: tuple[PlaylistItem, ...] = ()


class StockNotice(Message):
    """Retained on each commune's stock topic: "version N of the stock library is ready, pull it over HTTP"."""

    type: Literal["stock"] = "stock"
    version: Count
    etag: str = Field(max_length=128)
    issued_at: AwareDatetime


class StockEntry(BaseModel):
    """One approved stock message as nodes keep it pinned: where to fetch it once, and its sha256."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: StockKey
    language: StockLanguage
    title: str = Field(max_length=300)
    sha256: Sha256Hex
    codec: Literal["opus", "mp3"] = "opus"
    url: str = Field(max_length=300, description="Path on the controller, relative to its base URL.")
    duration_ms: int = Field(gt=0, le=INTEGER_MAX)
    # 1.3: the file on the content server (nginx), so a province's nodes pinning a new library do not all
    # queue at the controller's Python. Left out when absent (a manifest without it is what 1.2 sent).
    content_url: str | None = Field(
        default=None,
        max_length=500,
        pattern=r"^https?://[^\s]+$",
        exclude_if=lambda url: url is None,
        description="A signed link to the file on the content server; if it fails, `url` on the controller.",
    )


class StockManifest(BaseModel):
    """What `GET /api/v1/node/stock` returns: every approved stock message, and the library's version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    v: Literal[1] = PROTOCOL_VERSION
    version: Count
    generated_at: AwareDatetime
    entries: tuple[StockEntry, ...] = ()


AmplifierState = Literal["ok", "fault", "off"]
SpeakerLineState = Literal["ok", "open", "short", "unknown"]
NetworkType = Literal["4g", "3g", "wifi", "ethernet", "unknown"]


class Heartbeat(Message):
    """Every `heartbeat_interval_s` while connected: how the node and its horns are."""

    type: Literal["heartbeat"] = "heartbeat"
    session_seq: Count
    sent_at: AwareDatetime
    uptime_s: Count = Field(description="Seconds since the agent started.")
    firmware: str = Field(max_length=64)
    volume: int = Field(ge=0, le=100)
    amplifier: AmplifierState = "ok"
    speaker_line: SpeakerLineState = "unknown"
    temperature_c: float | None = Field(default=None, ge=-50, le=150)
    network: NetworkType = "unknown"
    signal_dbm: int | None = Field(default=None, ge=-150, le=0)
    storage_free_mb: Count
    clock_offset_ms: int | None = Field(
        default=None,
        ge=-INTEGER_MAX,
        le=INTEGER_MAX,
        description="Node clock minus controller clock, measured on the last HTTP pull.",
    )
    current_item: str | None = Field(default=None, max_length=64, description="Item on air now, if any.")
    playlist_version: Count | None = None


CommandName = Literal["play_now", "stop", "set_volume", "resync", "reboot", "self_test", "live_start", "live_stop"]

LivePriority = Literal["normal", "emergency"]


class LiveSpec(BaseModel):
    """A live broadcast from the console (1.6): play this Icecast mount now, through the same output as a relay.

    `live_start` carries all of it; `live_stop` carries only `session_id` (the rest is ignored).
    The node reads `url` with its own credentials (HTTP Basic, as for the playlist): the streaming server
    asks the controller whether this node is a target of the session before it sends a byte.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    session_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    url: str = Field(default="", max_length=500, description="The session's mount (empty in live_stop).")
    title: str = Field(default="", max_length=300)
    # emergency: cut whatever is on air (TT39). normal: cut it only if `pre_empt`, else wait for it to end.
    priority: LivePriority = "normal"
    pre_empt: bool = False
    clusters: tuple[Code, ...] | None = Field(
        default=None, max_length=500, description="Device codes it is for; None: every cluster of the commune."
    )
    # Never longer than this, whatever happens to the stop command.
    max_duration_ms: int = Field(default=3_600_000, gt=0, le=INTEGER_MAX)

    def is_for(self, device_code: str) -> bool:
        return self.clusters is None or device_code in self.clusters


class CommandBody(Message):
    """What the controller orders; signed as the exact JSON text carried in `SignedCommand.body`.

    `target` names who may execute it: a device code (sent on that device's `cmd` topic) or a commune
    code (on the commune's `cmd` topic, for every cluster of it). A node executes a command only if the
    signature verifies, `issued_at` is within its freshness window, and it has not seen the nonce.
    """

    type: Literal["command"] = "command"
    command_id: str = Field(min_length=8, max_length=64)
    name: CommandName
    scope: Literal["device", "commune"]
    target: Code
    issued_at: AwareDatetime
    nonce: str = Field(pattern=r"^[0-9a-f]{32}$")
    volume: int | None = Field(default=None, ge=0, le=100, description="For set_volume.")
    item: PlaylistItem | None = Field(default=None, description="For play_now: what to play (starts_at ignored).")
    # 1.6: live_start and live_stop; left out when absent (other commands are byte for byte what 1.5 sent).
    live: LiveSpec | None = Field(
        default=None, exclude_if=lambda spec: spec is None, description="For live_start and live_stop."
    )

    @model_validator(mode="after")
    def _parameters_match_the_name(self) -> CommandBody:
        if (self.name == "set_volume") != (self.volume is not None):
            raise ValueError("set_volume needs `volume`, and only set_volume has it")
        if (self.name == "play_now") != (self.item is not None):
            raise ValueError("play_now needs `item`, and only play_now has it")
        if (self.name in ("live_start", "live_stop")) != (self.live is not None):
            raise ValueError("live_start and live_stop need `live`, and only they have it")
        if (
            self.name == "live_start"
            and self.live is not None
            and not self.live.url.startswith(("http://", "https://"))
        ):
            raise ValueError("live_start needs the mount's http(s) `url`")
        return self


class SignedCommand(Message):
    """The envelope on a `cmd` topic: the body as a JSON string and its Ed25519 signature."""

    type: Literal["signed_command"] = "signed_command"
    body: str = Field(max_length=8 * 1024)
    key_id: str = Field(max_length=64, description="Which controller key signed: first 16 hex of its sha256.")
    signature: str = Field(pattern=r"^[A-Za-z0-9+/]{86}==$", description="Ed25519 signature of body, base64.")

    def body_bytes(self) -> bytes:
        return self.body.encode()


RefusalReason = Literal["bad_signature", "unknown_key", "stale", "replayed", "malformed", "not_for_me"]


class CommandAck(Message):
    """The node received a command: accepted (it will run it) or refused, with why."""

    type: Literal["ack"] = "ack"
    command_id: str = Field(min_length=1, max_length=64)
    accepted: bool
    reason: RefusalReason | None = None
    at: AwareDatetime


class CommandResult(Message):
    """How an accepted command ended; `detail` is Vietnamese text for the operator."""

    type: Literal["result"] = "result"
    command_id: str = Field(min_length=8, max_length=64)
    ok: bool
    detail: str = Field(default="", max_length=500)
    at: AwareDatetime


M = TypeVar("M", bound=BaseModel)


def encode(message: BaseModel) -> bytes:
    return message.model_dump_json().encode()


def decode(model: type[M], payload: bytes) -> M:
    """Parse a payload into `model`; raise ProtocolError (never anything else) when it does not fit."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ProtocolError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ProtocolError(f"payload is not JSON: {payload[:80]!r}") from exc
    if isinstance(data, dict) and data.get("v") not in (None, PROTOCOL_VERSION):
        raise ProtocolError(f"unsupported protocol version {data.get('v')!r}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError(f"invalid {model.__name__}: {exc.error_count()} error(s): {exc}") from exc


def utc_iso(moment: datetime) -> str:
    """ISO 8601 with offset, the one time format on the wire."""
    return moment.isoformat()
