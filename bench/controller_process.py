"""The controller as its own `loaxa serve` process, as deployed, for benchmarks that measure it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from audio_library import AudioSettings
from controller.demo import quiet_hours_elsewhere
from controller.settings import DatabaseSettings, Settings
from devices.mosquitto import MosquittoProcess, free_port
from devices.settings import FleetSettings, MqttSettings
from province_link import SourceLinkSettings


def controller_env(settings: Settings) -> dict[str, str]:
    mqtt = settings.mqtt
    quiet = quiet_hours_elsewhere(settings.scheduler.timezone)
    return {
        "LOAXA_ENV": "test",
        "LOAXA_LOG_LEVEL": "WARNING",
        "LOAXA_DATABASE__URL": settings.database.url,
        "LOAXA_AUDIO__STORAGE_DIR": str(settings.audio.storage_dir),
        "LOAXA_MQTT__PORT": str(mqtt.port),
        "LOAXA_MQTT__PASSWORD": mqtt.password.get_secret_value(),
        "LOAXA_MQTT__PASSWORD_FILE": str(mqtt.password_file),
        "LOAXA_MQTT__ACL_FILE": str(mqtt.acl_file),
        "LOAXA_MQTT__BROKER_PID_FILE": str(mqtt.broker_pid_file),
        "LOAXA_FLEET__COMMAND_KEY_FILE": str(settings.fleet.command_key_file),
        "LOAXA_SOURCE_LINK__SIGNING_KEY_FILE": str(settings.source_link.signing_key_file),
        "LOAXA_FLEET__HEARTBEAT_INTERVAL_S": str(settings.fleet.heartbeat_interval_s),
        "LOAXA_FLEET__COMMAND_TIMEOUT_S": str(settings.fleet.command_timeout_s),
        # Offline: espeak-ng speaks (this machine cannot reach the edge-tts service).
        "LOAXA_TTS__ENGINE": "espeak",
        # A benchmark airs bulletins seconds after it starts, at any hour: keep quiet hours away from now.
        **{f"LOAXA_SCHEDULER__{name.upper()}": value.strftime("%H:%M") for name, value in quiet.items()},
        # Nodes' content through the controller's own nginx, when the benchmark's settings ask for it.
        **(
            {
                "LOAXA_CONTENT__ENABLED": "true",
                "LOAXA_CONTENT__DIRECTORY": str(settings.content.directory),
                "LOAXA_CONTENT__ACCESS_LOG": str(settings.content.access_log).lower(),
            }
            if settings.content.enabled
            else {}
        ),
    }


def bench_settings(root: Path) -> Settings:
    """Settings for a benchmark's own database, broker (on a free port) and audio under `root`."""
    mqtt = MosquittoProcess.settings_for(root / "broker", MqttSettings(password="bench-mqtt"))
    return Settings(
        env="test",
        database=DatabaseSettings(url=f"sqlite:///{root / 'loaxa.db'}"),
        mqtt=mqtt,
        audio=AudioSettings(storage_dir=root / "audio"),
        fleet=FleetSettings(command_key_file=root / "command.key"),
        source_link=SourceLinkSettings(signing_key_file=root / "source-link.key"),
    )


def wait_healthy(base_url: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/api/v1/health", timeout=1).json().get("mqtt"):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("controller did not become healthy")


def start_controller(settings: Settings) -> tuple[subprocess.Popen[bytes], str]:
    """Start `loaxa serve` on a free port with `settings`; return the process and its base URL once healthy."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "controller", "serve", "--port", str(port)],
        env={**os.environ, **controller_env(settings)},
    )
    base_url = f"http://127.0.0.1:{port}"
    wait_healthy(base_url)
    return server, base_url
