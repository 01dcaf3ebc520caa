"""The `node` settings section: one speaker-node agent."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr


class NodeSettings(BaseModel):
    controller_url: str = "http://127.0.0.1:8000"
    broker_host: str = "127.0.0.1"
    broker_port: int = Field(default=1883, ge=1, le=65535)
    device_code: str = ""
    commune: str = ""
    password: SecretStr = SecretStr("")
    state_dir: Path = Path("var/node")
    sink: Literal["file", "pyaudio"] = "file"
    # Legacy nodes that cannot decode Opus ask for the MP3 renditions.
    codec: Literal["opus", "mp3"] = "opus"
    # The file sink writes what it played here; default: <state_dir>/recordings.
    recordings_dir: Path | None = None
    firmware: str = "loaxa-node/0.1.0"
    # A missed MQTT notice is caught by this poll; once a minute costs nothing on the 304 path.
    playlist_poll_interval_s: float = Field(default=60.0, gt=0)
    http_timeout_s: float = Field(default=10.0, gt=0)
    # The stock library is announced over MQTT when it changes and pulled on every reconnect; this poll
    # only catches a lost notice. It changes a few times a year, so polling it as often as the playlist
    # would double every node's unchanged-content requests for nothing.
    stock_poll_interval_s: float = Field(default=600.0, gt=0)
    # After a playlist notice, wait a random 0..this before pulling, so a commune's nodes do not all
    # hit the controller in the same instant. Must stay well under the publication lead time.
    notice_jitter_s: float = Field(default=3.0, ge=0)
    # Broker keepalive; the last will fires about 1.5x this after the link silently dies.
    keepalive_s: int = Field(default=30, ge=2)
    # First retry soon after a drop, then back off, so a restarted broker is not stormed by the fleet.
    reconnect_min_s: float = Field(default=1.0, gt=0)
    reconnect_max_s: float = Field(default=30.0, gt=0)
    # An item whose start the node missed by more than this is not aired late but reported as missed:
    # a bulletin at the wrong time confuses listeners more than a gap does.
    late_start_tolerance_s: float = Field(default=5.0, ge=0)
    # An emergency is different: a storm warning heard late is still worth hearing, whole, so one learned
    # of late (a slow link, a node that just reconnected) starts at once, from its beginning, up to this
    # long after its start. The items after it wait for it and start late by as much. Two minutes bounds
    # that push-back while covering a node that missed the urgent notice and pulled on reconnecting; it
    # must stay under the controller's clock slack for play reports (`play_check_clock_slack_s`, 300 s).
    late_emergency_tolerance_s: float = Field(default=120.0, ge=0, le=300)
    # Read and verify the audio this long before airtime, so disk I/O never delays the start itself.
    prepare_ahead_s: float = Field(default=2.0, ge=0)
    # How long a QoS 1 publish may wait for its PUBACK before the report stays queued for later.
    publish_timeout_s: float = Field(default=10.0, gt=0)
    # How often the agent re-reads <state_dir>/faults.json and checks whether an injected network cut began.
    fault_poll_interval_s: float = Field(default=1.0, gt=0)
    # Audio downloads are streamed to disk in pieces this big (and resume after a cut from the last one).
    download_chunk_bytes: int = Field(default=64 * 1024, ge=1024)
    # Health report period; must match the controller's `fleet.heartbeat_interval_s`.
    heartbeat_interval_s: float = Field(default=30.0, gt=0)
    # How the node reaches the network, reported in heartbeats. A real node reads its modem; a simulated
    # node has none, so it reports these configured values.
    network_type: Literal["4g", "3g", "wifi", "ethernet", "unknown"] = "unknown"
    signal_dbm: int | None = Field(default=None, ge=-150, le=0)
    # The controller's Ed25519 public key (raw 32 bytes, base64), given at provisioning. Empty: the node
    # refuses every command, since it cannot tell a real one from a forged one.
    command_public_key: str = ""
    # A command older (or further in the future) than this by the node's clock is refused as stale.
    # Long enough for a slow 4G link and a few seconds of clock error, short enough to make a captured
    # command useless soon after; nonces seen within the window are remembered to refuse replays.
    command_max_age_s: float = Field(default=120.0, gt=0)
    # A clock-offset sample is kept only if its round trip took at most this long: its error is at most
    # half the round trip, and 0.5 s is well inside the 2 s of drift that raises an alert.
    clock_sample_max_rtt_s: float = Field(default=1.0, gt=0)
    # Relays (protocol 1.4). The source is checked this long before the slot: early enough for the
    # commune's officer to see the alert and call the station, late enough that a source answering then
    # most likely answers at airtime too.
    relay_check_ahead_s: float = Field(default=60.0, ge=0)
    relay_check_timeout_s: float = Field(default=10.0, gt=0)
    # After a drop the stream is tried again this soon, then at doubling intervals up to the maximum: a
    # radio server's restart or a 4G handover lasts seconds, so the first retry comes quickly; the cap
    # keeps a relay coming back within seconds of its source, and a commune's few dozen nodes retrying
    # that often are nothing to a radio server.
    relay_reconnect_min_s: float = Field(default=1.0, gt=0)
    relay_reconnect_max_s: float = Field(default=8.0, gt=0)
    # A connection that delivers nothing this long counts as lost (the fill airs, a reconnect follows):
    # longer than a 4G link's usual stalls, short enough that listeners do not sit through a long silence.
    relay_stall_timeout_s: float = Field(default=5.0, gt=0)
    # What the node buffers of the stream: absorbs the network's jitter while staying within 2 s of live;
    # older audio beyond it (a server's initial burst) is dropped.
    relay_buffer_ms: int = Field(default=2000, ge=100)
    # Live broadcasts from the console (protocol 1.6). The node buffers less of a live stream than of a
    # relay: the officer's voice must reach the horns within 2 s, and a 4G link's jitter is far smaller
    # than that. Then, a live stream lost this long ends the broadcast on this node (it goes back to its
    # schedule and says so): longer than a reconnect or two, short enough not to air minutes of silence.
    live_buffer_ms: int = Field(default=400, ge=100)
    live_lost_timeout_s: float = Field(default=6.0, gt=0)
