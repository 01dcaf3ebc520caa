"""The one settings object: environment variables `LOAXA_*`, nested sections with `__`.

Example: `LOAXA_DATABASE__URL=postgresql+psycopg://loaxa@db/loaxa`, `LOAXA_MQTT__PORT=8883`.
Built once by the entry point; each package receives only its own section.
"""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from audio_library import AudioSettings
from controller.live.settings import LiveSettings
from devices.content import ContentSettings
from devices.settings import DEFAULT_CONTROLLER_PASSWORD, FleetSettings, MqttSettings
from firmware_sim.config import NodeSettings
from province_link import SourceLinkSettings
from public_site import PublicSiteSettings
from reports import ReportSettings
from schedules import SchedulerSettings
from tts.settings import TtsSettings

DEFAULT_SECRET_KEY = "loaxa-development-secret-key-change-me-please"


class DatabaseSettings(BaseModel):
    url: str = "sqlite:///var/loaxa.db"
    # At boot the database may still be starting (PostgreSQL under systemd): wait this long for it.
    wait_timeout_s: float = Field(default=30.0, ge=0)
    echo: bool = False
    # Requests that may hold a database session at once; the pool keeps a few more connections for the
    # MQTT ingest thread and health checks. On PostgreSQL, this times the instances must fit max_connections.
    max_sessions: int = Field(default=16, ge=1)
    # How long a request waits for a free session before it fails with 503.
    session_wait_s: float = Field(default=10.0, gt=0)


class WebSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    # Bulletins are at most 20,000 characters; nothing the JSON API takes comes near 1 MiB.
    # (Audio uploads have their own limit, `audio.upload_max_bytes`.)
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    # How long an API login token lasts: one working day of an officer.
    token_ttl_s: int = Field(default=8 * 3600, gt=0)
    # argon2id cost of user passwords: argon2-cffi's defaults (3 passes over 64 MiB, ~0.1-0.6 s per login
    # on a small server), which OWASP considers strong. Tests lower them; they hash hundreds of passwords.
    password_time_cost: int = Field(default=3, ge=1, le=20)
    password_memory_kib: int = Field(default=64 * 1024, ge=8 * 1024, le=1024 * 1024)
    # The web console: how long a login lasts, and how often live pages refresh.
    session_ttl_s: int = Field(default=8 * 3600, gt=0)
    live_refresh_s: float = Field(default=5.0, gt=0)
    # Login throttle (API token and console alike, counted in the database so every instance sees them):
    # wrong passwords allowed within the window per (username, address), and per address over all
    # usernames, before login answers 429. 5 per user stops guessing one password (a few tries a minute at
    # most); 20 per address still lets a commune office behind one NAT address mistype, but stops one
    # address guessing across many usernames.
    login_max_failures: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=20, ge=1)
    login_window_s: float = Field(default=300.0, gt=0)
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: comma-separated addresses or
    # networks (e.g. "10.0.0.5,10.1.0.0/24"). Empty: no forwarded header is believed, from anyone; the
    # client's own TCP address is used (for the login throttle and everything else).
    trusted_proxies: str = ""

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: str) -> str:
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"LOAXA_WEB__TRUSTED_PROXIES: {entry!r} is not an IP address or network (no '*', no names)"
                ) from exc
        return ",".join(entries)

    def trusted_proxy_list(self) -> list[str]:
        return [entry for entry in self.trusted_proxies.split(",") if entry]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOAXA_", env_nested_delimiter="__", env_file=None, extra="ignore")

    env: Literal["dev", "demo", "test", "production"] = "dev"
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    log_level: str = "INFO"
    database: DatabaseSettings = DatabaseSettings()
    web: WebSettings = WebSettings()
    mqtt: MqttSettings = MqttSettings()
    fleet: FleetSettings = FleetSettings()
    audio: AudioSettings = AudioSettings()
    tts: TtsSettings = TtsSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    node: NodeSettings = NodeSettings()
    source_link: SourceLinkSettings = SourceLinkSettings()
    reports: ReportSettings = ReportSettings()
    content: ContentSettings = ContentSettings()
    public: PublicSiteSettings = PublicSiteSettings()
    live: LiveSettings = LiveSettings()

    @model_validator(mode="after")
    def _no_default_secrets_in_production(self) -> Settings:
        if self.env in ("dev", "demo", "test"):
            return self
        if self.secret_key.get_secret_value() == DEFAULT_SECRET_KEY or len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("LOAXA_SECRET_KEY must be set to a random value of 32+ characters outside dev/demo")
        if self.mqtt.password.get_secret_value() == DEFAULT_CONTROLLER_PASSWORD:
            raise ValueError("LOAXA_MQTT__PASSWORD must be changed from its default outside dev/demo")
        return self
