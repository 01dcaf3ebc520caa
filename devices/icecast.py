"""A private Icecast 2 that fans a live stream out to nodes, started with a generated config and passwords.

Like mosquitto and nginx, it runs in the foreground from its own directory (a config written on every
start, mode 0600, since it holds the passwords) and needs nothing of the distribution's service. Its
logs go to its stderr, which this module keeps in `<directory>/icecast.log`, so Icecast itself never
needs to write into the directory: started as root it must drop to an unprivileged account
(`changeowner`), which could not.

Sources push to a mount with the `source` user and `source_password`; listeners read the mount with
plain HTTP GET. Passwords are generated when the settings leave them empty.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape

import httpx
from pydantic import BaseModel, Field

from devices.errors import StreamServerUnavailable
from devices.mosquitto import free_port

# Accounts Icecast may drop to when started as root, most specific first (Debian's package makes the first).
_UNPRIVILEGED = (("icecast2", "icecast"), ("nobody", "nogroup"))


class IcecastSettings(BaseModel):
    """Where and how a private Icecast runs; empty passwords are generated at start."""

    binary: str = "icecast2"
    host: str = "127.0.0.1"
    # 0: a free port chosen at start.
    port: int = Field(default=0, ge=0, le=65535)
    directory: Path = Path("var/icecast")
    source_password: str = ""
    admin_password: str = ""
    # Listeners at once: a province's nodes on one live mount, with room to spare.
    max_clients: int = Field(default=4000, ge=1)
    max_sources: int = Field(default=16, ge=1)
    # A source silent this long is dropped, so a crashed encoder frees its mount for the next one.
    source_timeout_s: int = Field(default=10, ge=1)
    # Sent to a new listener at once, so its decoder starts without waiting for the next bytes: 64 KiB is
    # about 8 s of 64 kbit/s, enough for ffmpeg to find frames, small against the 512 KiB queue.
    burst_size_bytes: int = Field(default=65536, ge=0)
    queue_size_bytes: int = Field(default=524288, ge=65536)
    start_timeout_s: float = Field(default=10.0, gt=0)
    # Live broadcasts (protocol 1.5): when set, every mount asks this URL whether a listener may have it
    # (Icecast's URL authentication, `listener_add`): the controller checks the node's own credentials and
    # that the node is a target of the mount's session. Empty: mounts are open (relays' test stations).
    listener_auth_url: str = ""
    # Sent to a new listener of a live mount at once: small, so a node starts near the live edge (a big
    # burst is old audio the node would only throw away); Ogg/Opus headers are always sent besides.
    live_burst_size_bytes: int = Field(default=4096, ge=0)


def find_icecast(binary: str = "icecast2") -> str | None:
    """The Icecast executable, or None when it is not installed."""
    found = shutil.which(binary)
    if found is None and "/" not in binary:
        found = shutil.which(binary, path="/usr/bin:/usr/sbin:/usr/local/bin")
    return found


def _unprivileged_account() -> tuple[str, str]:
    for user, group in _UNPRIVILEGED:
        with contextlib.suppress(KeyError):
            pwd.getpwnam(user)
            return user, group
    raise StreamServerUnavailable("no unprivileged account for Icecast to run as (icecast2 or nobody)")


def _web_root(binary: str) -> Path:
    """Icecast's status pages; Debian installs them under /usr/share/icecast2."""
    share = Path(binary).resolve().parent.parent / "share" / "icecast2"
    return share if share.is_dir() else Path("/usr/share/icecast2")


class IcecastServer:
    """`icecast2 -c <directory>/icecast.xml` on `settings.host`:`settings.port` (a free port when 0)."""

    def __init__(self, settings: IcecastSettings) -> None:
        self.settings = settings
        self.directory = settings.directory.resolve()
        self.port = settings.port or free_port()
        self.source_password = settings.source_password or secrets.token_urlsafe(18)
        self.admin_password = settings.admin_password or secrets.token_urlsafe(18)
        self.process: subprocess.Popen[bytes] | None = None
        self.log_file = self.directory / "icecast.log"
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.port}"

    def mount_url(self, mount: str) -> str:
        """Where listeners read `mount` (e.g. "/vov1.mp3")."""
        return f"{self.url}{mount}"

    def source_url(self, mount: str) -> str:
        """Where an encoder pushes `mount` (ffmpeg: `-f mp3 icecast://source:PASSWORD@host:port/mount`)."""
        return f"icecast://source:{self.source_password}@{self.settings.host}:{self.port}{mount}"

    def render_config(self, binary: str) -> str:
        s = self.settings
        web = _web_root(binary)
        security = ["<chroot>0</chroot>"]
        if os.geteuid() == 0:
            # Icecast refuses to run as root; it reads this config and binds first, then drops.
            user, group = _unprivileged_account()
            security.append(f"<changeowner><user>{user}</user><group>{group}</group></changeowner>")
        lines = [
            "<!-- Generated by loaxa (devices/icecast.py); rewritten on every start. -->",
            "<icecast>",
            f"  <location>loaxa</location><admin>loaxa@{escape(s.host)}</admin>",
            f"  <hostname>{escape(s.host)}</hostname>",
            "  <limits>",
            f"    <clients>{s.max_clients}</clients><sources>{s.max_sources}</sources>",
            f"    <queue-size>{s.queue_size_bytes}</queue-size><burst-size>{s.burst_size_bytes}</burst-size>",
            "    <client-timeout>30</client-timeout><header-timeout>15</header-timeout>",
            f"    <source-timeout>{s.source_timeout_s}</source-timeout>",
            "  </limits>",
            "  <authentication>",
            f"    <source-password>{escape(self.source_password)}</source-password>",
            f"    <relay-password>{escape(secrets.token_urlsafe(18))}</relay-password>",
            "    <admin-user>admin</admin-user>",
            f"    <admin-password>{escape(self.admin_password)}</admin-password>",
            "  </authentication>",
            f"  <listen-socket><port>{self.port}</port><bind-address>{escape(s.host)}</bind-address></listen-socket>",
            *self._listener_auth(),
            "  <fileserve>1</fileserve>",
            "  <paths>",
            f"    <basedir>{escape(str(self.directory))}</basedir><logdir>{escape(str(self.directory))}</logdir>",
            f"    <webroot>{web / 'web'}</webroot><adminroot>{web / 'admin'}</adminroot>",
            "  </paths>",
            # "-": to stderr, which start() keeps in icecast.log.
            "  <logging><accesslog>-</accesslog><errorlog>-</errorlog><loglevel>2</loglevel></logging>",
            f"  <security>{''.join(security)}</security>",
            "</icecast>",
            "",
        ]
        return "\n".join(lines)

    def _listener_auth(self) -> list[str]:
        """The default mount (every mount without its own section): listeners authenticated by URL."""
        s = self.settings
        if not s.listener_auth_url:
            return []
        return [
            '  <mount type="default">',
            f"    <burst-size>{s.live_burst_size_bytes}</burst-size>",
            '    <authentication type="url">',
            f'      <option name="listener_add" value="{escape(s.listener_auth_url, {chr(34): "&quot;"})}"/>',
            '      <option name="auth_header" value="icecast-auth-user: 1"/>',
            "    </authentication>",
            "  </mount>",
        ]

    def start(self) -> None:
        exe = find_icecast(self.settings.binary)
        if exe is None:
            raise StreamServerUnavailable(
                f"Icecast is not installed ({self.settings.binary!r} not found; run scripts/bootstrap.sh)"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "icecast.xml"
        config.write_text(self.render_config(exe))
        config.chmod(0o600)  # it holds the passwords; Icecast reads it before it drops root
        self._log = self.log_file.open("ab")
        self.process = subprocess.Popen(
            [exe, "-c", str(config)], stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + self.settings.start_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                self._close()
                raise StreamServerUnavailable(f"Icecast exited at start ({code}): {self._log_tail()}")
            if self._answers():
                return
            time.sleep(0.05)
        self.stop()
        raise StreamServerUnavailable(f"Icecast did not answer on port {self.port}: {self._log_tail()}")

    def _answers(self) -> bool:
        try:
            # The admin page: with `listener_auth_url` the public status page is a "mount" too, and asking
            # for it would call the controller, which may not listen yet (it starts Icecast first).
            answer = httpx.get(f"{self.url}/admin/stats", auth=("admin", self.admin_password), timeout=0.5)
            return answer.status_code == 200
        except httpx.HTTPError:
            return False

    def _log_tail(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-500:]
        except OSError:
            return ""

    def _close(self) -> None:
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._close()

    def __enter__(self) -> IcecastServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
