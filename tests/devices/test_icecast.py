"""The private Icecast: a real icecast2 on a free port, fed by ffmpeg, read by a client."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from devices.errors import StreamServerUnavailable
from devices.icecast import IcecastServer, IcecastSettings
from tests.tone_source import ToneSource


def test_a_source_pushed_by_ffmpeg_reaches_a_listener(icecast: IcecastServer, tmp_path: Path) -> None:
    with ToneSource(icecast, "/tone.mp3"), httpx.stream("GET", icecast.mount_url("/tone.mp3"), timeout=5) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "audio/mpeg"
        received = b""
        for chunk in answer.iter_bytes():
            received += chunk
            if len(received) > 16_000:
                break
    heard = tmp_path / "heard.mp3"
    heard.write_bytes(received)
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,sample_rate", "-of", "csv=p=0", str(heard)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "mp3,48000"


def test_passwords_are_generated_and_required(icecast: IcecastServer) -> None:
    assert len(icecast.source_password) >= 20
    config = (icecast.directory / "icecast.xml").read_text()
    assert icecast.source_password in config
    assert (icecast.directory / "icecast.xml").stat().st_mode & 0o077 == 0
    # The admin pages need the generated admin password.
    assert httpx.get(f"{icecast.url}/admin/stats").status_code == 401
    assert httpx.get(f"{icecast.url}/admin/stats", auth=("admin", icecast.admin_password)).status_code == 200
    # A source with a wrong password is refused: nothing goes live.
    wrong = IcecastServer(icecast.settings)
    wrong.port, wrong.source_password = icecast.port, "wrong-password"
    pushed = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=d=1", "-f", "mp3", "-content_type", "audio/mpeg",
         wrong.source_url("/bad.mp3")],
        capture_output=True, timeout=20,
    )  # fmt: skip
    assert pushed.returncode != 0


def test_a_missing_mount_is_not_found(icecast: IcecastServer) -> None:
    assert httpx.get(icecast.mount_url("/nothing.mp3")).status_code == 404


def test_stop_frees_the_port_and_a_missing_binary_is_named(tmp_path: Path) -> None:
    server = IcecastServer(IcecastSettings(directory=tmp_path / "ice"))
    server.start()
    server.stop()
    with pytest.raises(httpx.HTTPError):
        httpx.get(server.url, timeout=1)
    missing = IcecastServer(IcecastSettings(directory=tmp_path / "ice2", binary="no-such-icecast"))
    with pytest.raises(StreamServerUnavailable, match="not installed"):
        missing.start()
