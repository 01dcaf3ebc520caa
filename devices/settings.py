"""The `mqtt` settings section: how the controller reaches the broker and keeps its auth files."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

DEFAULT_CONTROLLER_PASSWORD = "loaxa-dev-mqtt-password"
# Usernames of loaxa's own services on the broker start with this; device codes may not.
SERVICE_USERNAME_PREFIX = "loaxa-"


class MqttSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    username: str = "loaxa-controller"
    password: SecretStr = SecretStr(DEFAULT_CONTROLLER_PASSWORD)
    # Every controller instance's broker username, comma-separated, all with `password` (e.g.
    # "loaxa-controller-1,loaxa-controller-2"); each instance sets `username` to its own. Each needs its own:
    # the broker makes the username the client id, and keeps each instance's session, with its share of
    # node messages, while that instance restarts. Empty: `username` alone (one instance).
    service_usernames: str = ""
    # How long the broker keeps an instance's session (subscriptions and queued QoS 1 messages) while it is
    # away. A day: a crashed instance restarted by systemd, or repaired the next morning, still gets the
    # reports queued for it; an instance retired for good loses what was queued for it after that.
    session_expiry_s: int = Field(default=86_400, ge=0, le=4_294_967_295)
    # paho pings after this many idle seconds; the broker declares us gone after 1.5x of it.
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    # How long a QoS 1 publish may wait for the broker's PUBACK before the caller is told it failed.
    publish_timeout_s: float = Field(default=5.0, gt=0)
    # While the database is down, a node message is retried with backoff up to this interval (never dropped).
    ingest_retry_max_s: float = Field(default=5.0, gt=0)
    # Node messages received but not yet handled; beyond this the broker holds them. 10,000 is a whole
    # province's heartbeats for one interval, a few MB.
    ingest_queue_max: int = Field(default=10_000, ge=1)
    # The broker's password file and ACL, rewritten from the device registry on every change.
    # Unset: the registry is not mirrored (the broker is managed by other means).
    password_file: Path | None = None
    acl_file: Path | None = None
    # mosquitto reloads both files on SIGHUP; this file holds its PID.
    broker_pid_file: Path | None = None
    # PBKDF2-SHA512 rounds for stored device passwords (mosquitto's own default is 101).
    password_hash_iterations: int = Field(default=1000, ge=101)

    @field_validator("username")
    @classmethod
    def _service_prefix(cls, value: str) -> str:
        # Device codes may never start with this prefix, so a device can never own this account.
        if not value.startswith(SERVICE_USERNAME_PREFIX):
            raise ValueError(f"the controller's broker username must start with {SERVICE_USERNAME_PREFIX!r}")
        return value

    @model_validator(mode="after")
    def _own_username_listed(self) -> MqttSettings:
        names = self.service_username_list()
        if any(not name.startswith(SERVICE_USERNAME_PREFIX) for name in names):
            raise ValueError(f"LOAXA_MQTT__SERVICE_USERNAMES: each must start with {SERVICE_USERNAME_PREFIX!r}")
        if self.username not in names:
            raise ValueError("LOAXA_MQTT__SERVICE_USERNAMES must list LOAXA_MQTT__USERNAME, this instance's own")
        return self

    def service_username_list(self) -> list[str]:
        """The broker usernames of every controller instance (this one's included)."""
        names = [name.strip() for name in self.service_usernames.split(",") if name.strip()]
        return names or [self.username]


class FleetSettings(BaseModel):
    """The `fleet` settings section: health monitoring, alerts and commands."""

    # Nodes send a heartbeat this often (the node setting of the same name must match); 30 s keeps a
    # 10,000-node province at ~330 messages/s while still noticing a dead cluster within a minute.
    heartbeat_interval_s: float = Field(default=30.0, gt=0)
    # A cluster with no heartbeat for this many intervals is offline (the "two missed intervals").
    offline_after_missed: int = Field(default=2, ge=1)
    # How long a command may wait for the node's result before the controller reports it failed.
    command_timeout_s: float = Field(default=30.0, gt=0)
    # The controller's Ed25519 command-signing key (PEM, created on first use, mode 0600).
    command_key_file: Path = Path("var/command-signing-key.pem")
    # How often commands past their timeout are marked timed out: a failure shows at most this late,
    # and one indexed query every 5 s costs the database nothing.
    command_sweep_interval_s: float = Field(default=5.0, gt=0)

    # -- health (devices/health.py, devices/alerts.py, devices/uptime.py) --
    # How often the controller's health sweep runs offline detection, alert rules and uptime accounting.
    # 5 s adds at most 5 s to the two-interval offline detection and costs one pass over the device
    # table: ~2,000 passes per 10,000-node hour, against 1.2 million heartbeats.
    health_sweep_interval_s: float = Field(default=5.0, gt=0)
    # A cluster's latest health row is rewritten when something in it changed, otherwise at most this
    # often (to refresh its `last_heartbeat_at`): 5 min turns 330 heartbeats/s into ~33 row writes/s at
    # 10,000 nodes. Offline detection uses the in-memory time of the last heartbeat, not this row.
    health_persist_s: float = Field(default=300.0, gt=0)
    # One heartbeat-history sample per cluster per this period (the chart of a cluster's page):
    # 288 rows per cluster per day instead of 2,880 heartbeats.
    history_sample_s: float = Field(default=300.0, gt=0)
    # An offline cluster raises an alert only after this long: a 4G blip or a reboot (1-2 min) is not
    # worth waking anyone for; 10 min is the figure.
    offline_alert_after_s: float = Field(default=600.0, ge=0)
    # Below this much free storage a node cannot cache a day of audio (a day of Opus at 24 kbit/s is
    # ~260 MB at the most, usually far less): degraded, with an alert.
    storage_low_mb: int = Field(default=200, ge=0)
    # Node clock minus controller clock beyond this: airtimes drift audibly between neighbouring
    # clusters (echo over the village); the 2 s.
    clock_drift_max_ms: int = Field(default=2000, gt=0)
    # Amplifiers in a metal box in the sun; above this they throttle or fail soon.
    temperature_max_c: float = Field(default=75.0)
    # An item with no proof of play from a targeted cluster this long after its end is "failed to
    # play": time for a node that played it to get its report through a slow or briefly cut link.
    play_grace_s: float = Field(default=300.0, ge=0)
    # How often the failed-to-play audit runs (it reads every commune's playlist): well inside the grace.
    play_audit_interval_s: float = Field(default=30.0, gt=0)
    # Items that ended longer ago than this are no longer audited (a controller that was down a week
    # does not raise a week of alerts at start-up).
    play_audit_window_s: float = Field(default=6 * 3600.0, gt=0)
    # More than this share of a commune's clusters offline: one commune-level alert (a power cut or
    # a dead mobile cell), instead of only a flood of per-cluster ones.
    commune_down_pct: float = Field(default=50.0, ge=0, le=100)
    # A node's clock may be this far from the controller's and its play_now proof of play still match
    # the command it was sent (the node stamps the start itself); beyond clock_drift_max_ms it is
    # already alerted on, so this only keeps a drifting node's reports from looking forged.
    play_check_clock_slack_s: float = Field(default=300.0, ge=0)
    # "Identity from two places": this many distinct births (reconnections) of one cluster within
    # identity_window_s raise `identity_contested`. A restart is one birth, a poor 4G link a few in
    # five minutes (each drop needs a keep-alive timeout to be noticed); a stolen password used from
    # elsewhere makes the two clients take the session from each other every second or two.
    identity_births_max: int = Field(default=10, ge=2)
    identity_window_s: float = Field(default=300.0, gt=0)
    # Alerts are POSTed as JSON to this URL (unset: in the app only).
    webhook_url: str | None = None
    # A slow receiver must not hold the queue for long; retried with backoff this many times.
    webhook_timeout_s: float = Field(default=5.0, gt=0)
    webhook_retries: int = Field(default=3, ge=0)
    webhook_retry_backoff_s: float = Field(default=2.0, ge=0)
    # Alerts waiting for the webhook beyond this are dropped (logged): they are stored anyway.
    webhook_queue_max: int = Field(default=1000, ge=1)
