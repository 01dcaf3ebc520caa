"""The `mqtt` settings section: how the controller reaches the broker and keeps its auth files."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator

DEFAULT_CONTROLLER_PASSWORD = "loaxa-dev-mqtt-password"
# Usernames of loaxa's own services on the broker start with this; device codes may not.
SERVICE_USERNAME_PREFIX = "loaxa-"


class MqttSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    username: str = "loaxa-controller"
    password: SecretStr = SecretStr(DEFAULT_CONTROLLER_PASSWORD)
    # paho pings after this many idle seconds; the broker declares us gone after 1.5x of it.
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    # How long a QoS 1 publish may wait for the broker's PUBACK before the caller is told it failed.
    publish_timeout_s: float = Field(default=5.0, gt=0)
    # While the database is down, a node message is retried with backoff up to this interval (never dropped).
    ingest_retry_max_s: float = Field(default=5.0, gt=0)
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
