"""The `loaxa` command, run as a real process."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from controller.settings import Settings
from devices.mosquitto import MosquittoProcess, free_port
from devices.settings import MqttSettings
from tests.harness import Api, ControllerProcess, ControllerServer, Probe, setup_commune, wait_until

LOAXA = [sys.executable, "-m", "controller"]


def run(args: list[str], env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LOAXA, *args],
        env={**os.environ, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def base_env(database_url: str, mqtt: MqttSettings, tmp_path: Path) -> dict[str, str]:
    assert mqtt.password_file and mqtt.acl_file and mqtt.broker_pid_file
    return {
        "LOAXA_ENV": "test",
        "LOAXA_DATABASE__URL": database_url,
        "LOAXA_MQTT__PORT": str(mqtt.port),
        "LOAXA_MQTT__PASSWORD": mqtt.password.get_secret_value(),
        "LOAXA_MQTT__PASSWORD_FILE": str(mqtt.password_file),
        "LOAXA_MQTT__ACL_FILE": str(mqtt.acl_file),
        "LOAXA_MQTT__BROKER_PID_FILE": str(mqtt.broker_pid_file),
        "LOAXA_AUDIO__STORAGE_DIR": str(tmp_path / "audio"),
        "LOAXA_WEB__PASSWORD_TIME_COST": "1",
        "LOAXA_WEB__PASSWORD_MEMORY_KIB": "8192",
        "LOAXA_FLEET__COMMAND_KEY_FILE": str(tmp_path / "command-signing-key.pem"),
    }


@pytest.mark.one_database("sqlite", why="the command line in a subprocess; the database is the API tests' subject")
def test_device_add_prints_working_credentials(database_url: str, broker: MosquittoProcess, tmp_path: Path) -> None:
    env = base_env(database_url, broker.settings, tmp_path)
    assert run(["db", "upgrade"], env).returncode == 0
    assert run(["province", "add", "LA", "Long An"], env).returncode == 0
    assert run(["commune", "add", "--province", "LA", "XA-1", "Xã Một"], env).returncode == 0
    done = run(["device", "add", "--commune", "XA-1", "--code", "CL-9", "--json"], env)
    assert done.returncode == 0, done.stderr
    creds = json.loads(done.stdout)
    assert set(creds) == {"client_id", "username", "password", "command_public_key"} and creds["username"] == "CL-9"
    # The node's LOAXA_NODE__COMMAND_PUBLIC_KEY: what `loaxa device key` prints, a raw Ed25519 key.
    assert run(["device", "key"], env).stdout.strip() == creds["command_public_key"]
    assert len(base64.b64decode(creds["command_public_key"])) == 32
    probe = Probe(broker.settings, creds["username"], creds["password"], client_id=creds["client_id"])
    connected = False
    for _ in range(50):  # the broker reloads its password file on SIGHUP, asynchronously
        connected = probe.connect()
        if connected:
            break
        probe.close()
        probe = Probe(broker.settings, creds["username"], creds["password"])
        time.sleep(0.1)
    assert connected, "the printed credentials do not open the broker"
    probe.close()

    again = run(["device", "add", "--commune", "XA-1", "--code", "CL-9", "--json"], env)
    assert again.returncode == 2 and "duplicate_code" in again.stderr and again.stdout == ""
    unknown = run(["device", "add", "--commune", "XA-404", "--code", "CL-10", "--json"], env)
    assert unknown.returncode == 2 and "Không tìm thấy xã" in unknown.stderr


def test_tts_normalize_prints_only_the_spoken_text() -> None:
    done = subprocess.run(
        [*LOAXA, "tts", "normalize", "Nghị định 100/2019/NĐ-CP, phạt 4.000.000 đồng"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "LOAXA_LOG_LEVEL": "WARNING"},
    )
    assert done.stdout.count("\n") == 1 and not re.search(r"\d", done.stdout)
    assert "bốn triệu đồng" in done.stdout


def test_tts_normalize_names_what_it_cannot_read_on_stderr() -> None:
    done = subprocess.run(
        [*LOAXA, "tts", "normalize", "--dialect", "south", "Độ mặn 4‰, xem mục § 2"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "LOAXA_LOG_LEVEL": "WARNING"},
    )
    assert done.stdout == "Độ mặn bốn phần ngàn, xem mục hai\n"
    assert "«§»" in done.stderr and "bỏ qua" in done.stderr


@pytest.mark.parametrize(("suffix", "magic"), [(".opus", b"OggS"), (".mp3", b"\xff")])
def test_tts_say_writes_a_file_at_the_target_loudness(tmp_path: Path, suffix: str, magic: bytes) -> None:
    out = tmp_path / f"tin{suffix}"
    text = "Kính thưa bà con, theo Nghị định 100/2019/NĐ-CP, người điều khiển xe máy phải đội mũ bảo hiểm."
    done = subprocess.run(
        [*LOAXA, "tts", "say", "--engine", "espeak", "--dialect", "south", text, "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:1] == magic[:1] and "engine espeak (vi-vn-x-south)" in done.stderr
    # Measured independently of the chain, with ffmpeg's EBU R128 meter.
    log = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(out), "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    summary = log[log.rfind("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[0-9.]+) LUFS", summary).group(1))  # type: ignore[union-attr]
    peak = float(re.search(r"Peak:\s+(-?[0-9.]+) dBFS", summary).group(1))  # type: ignore[union-attr]
    assert abs(integrated - (-16.0)) <= 1.0 and peak <= -1.0, summary


def test_tts_say_without_any_usable_engine_is_a_clear_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [*LOAXA, "tts", "say", "--engine", "espeak", "--language", "km", "សួស្តី", "-o", str(tmp_path / "x.opus")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "no_speech_engine" in done.stderr and not (tmp_path / "x.opus").exists()


@pytest.mark.one_database("sqlite", why="the command line in a subprocess; the database is the API tests' subject")
def test_serve_runs_the_api(database_url: str, tmp_path: Path) -> None:
    mqtt = MosquittoProcess.settings_for(tmp_path / "broker", MqttSettings(password="cli-serve-pw"))
    env = base_env(database_url, mqtt, tmp_path)
    assert run(["db", "upgrade"], env).returncode == 0
    port = free_port()
    with MosquittoProcess(tmp_path / "broker", mqtt):
        process = subprocess.Popen(
            [*LOAXA, "serve", "--port", str(port)],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            body: dict[str, object] = {}
            for _ in range(100):
                try:
                    body = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).json()
                    if body.get("mqtt"):
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            assert body.get("status") == "ok", body
        finally:
            process.terminate()
            process.wait(10)
            assert process.stderr is not None
            process.stderr.close()


@pytest.mark.one_database("sqlite", why="the subject is SQLite's one-instance rule")
def test_a_second_serve_on_one_sqlite_database_is_refused(database_url: str, tmp_path: Path) -> None:
    mqtt = MosquittoProcess.settings_for(tmp_path / "broker", MqttSettings(password="cli-serve-pw"))
    env = base_env(database_url, mqtt, tmp_path)
    assert run(["db", "upgrade"], env).returncode == 0
    with MosquittoProcess(tmp_path / "broker", mqtt):
        first = ControllerProcess(env, tmp_path)
        first.start()
        try:
            second = subprocess.run(
                [*LOAXA, "serve", "--port", str(free_port())],
                env={**os.environ, **env},
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert second.returncode == 2, second.stderr
            assert "database_in_use" in second.stderr and "chỉ cho phép một máy chủ" in second.stderr
            assert first.process is not None and first.process.poll() is None, "the first one serves on"
            first.kill()  # the kernel drops the lock with the process: the next serve starts at once
            first.start()
        finally:
            first.stop()


def test_unmigrated_database_is_a_clear_error(tmp_path: Path) -> None:
    env = {"LOAXA_DATABASE__URL": f"sqlite:///{tmp_path / 'empty.db'}", "LOAXA_MQTT__PORT": str(free_port())}
    done = subprocess.run(
        [*LOAXA, "serve", "--port", str(free_port())],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0 and "loaxa db upgrade" in done.stderr


def test_production_with_default_secrets_refuses_to_start() -> None:
    done = subprocess.run(
        [*LOAXA, "serve"],
        env={**os.environ, "LOAXA_ENV": "production"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "LOAXA_SECRET_KEY" in done.stderr


@pytest.mark.one_database("sqlite", why="the command line in a subprocess; the database is the API tests' subject")
def test_node_and_fleet_commands_bring_clusters_online(
    settings: Settings, controller: ControllerServer, admin: Api, tmp_path: Path
) -> None:
    node = setup_commune(admin, "P", "XA-CLI", ["CLI-1"])[0]
    mqtt = settings.mqtt
    env = {
        **os.environ,
        **base_env(settings.database.url, mqtt, tmp_path),
        "LOAXA_NODE__CONTROLLER_URL": controller.base_url,
        "LOAXA_NODE__BROKER_PORT": str(mqtt.port),
    }
    single = {
        **env,
        "LOAXA_NODE__DEVICE_CODE": node.device_code,
        "LOAXA_NODE__COMMUNE": node.commune,
        "LOAXA_NODE__PASSWORD": node.password,
        "LOAXA_NODE__STATE_DIR": str(tmp_path / "node"),
    }
    processes = [
        subprocess.Popen([*LOAXA, "node"], env=single, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen(
            [*LOAXA, "fleet", "--nodes", "4", "--commune", "XA-CLI", "--state-dir", str(tmp_path / "fleet")],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        online = wait_until(lambda: admin.get("/api/v1/fleet/summary").json()["online"] == 5, 30, 0.2)
        assert online, admin.get("/api/v1/fleet/summary").json()
        codes = {d["code"] for d in admin.get("/api/v1/communes/XA-CLI/devices").json()}
        assert codes == {"CLI-1", "SIM-XA-CLI-0001", "SIM-XA-CLI-0002", "SIM-XA-CLI-0003", "SIM-XA-CLI-0004"}
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
    # A clean stop says "offline" itself (a clean disconnect suppresses the last will).
    assert wait_until(lambda: admin.get("/api/v1/fleet/summary").json()["online"] == 0, 10, 0.2)
