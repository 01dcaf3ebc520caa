"""A private haproxy in front of several controller instances, with a config generated for the test.

What `systemd/haproxy-loaxa.cfg` does for an installation, on a free port: HTTP mode, round robin with
no stickiness (consecutive requests go to consecutive instances), a health check on `GET /api/v1/health`,
and `X-Forwarded-For` for the controller's `LOAXA_WEB__TRUSTED_PROXIES`. Each response names the
instance that answered in `X-Loaxa-Backend` (`c1`, `c2`, …, in the order the backends were given), and the
stats socket says which instances are up and how many requests each has served.

haproxy runs in the foreground (`-db`) of its own directory (config, stats socket, log), needs no root
and touches nothing of the distribution's haproxy. Tests and benchmarks use it; loaxa itself does not
run a load balancer (an installation runs the distribution's, with the shipped config).
"""

from __future__ import annotations

import resource
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from devices.mosquitto import free_port

HEALTH_PATH = "/api/v1/health"
BACKEND_HEADER = "X-Loaxa-Backend"
# The health check: every half second, a backend is out after two failures in a row (about 1 s after it
# died) and back in after one success. Requests that cannot connect to a dead backend before then are
# sent to another (`retry-on conn-failure`, `option redispatch`): nothing was sent, so a retry is safe.
CHECK_INTERVAL_MS = 500


# The public site's 429, as the controller words it (public_site.errors.TooManyRequests).
PUBLIC_RATE_MESSAGE = "Có quá nhiều yêu cầu từ địa chỉ của bạn. Vui lòng thử lại sau {seconds} giây."


def public_rate_lines(limit: int, window_s: int) -> list[str]:
    """The frontend lines of `systemd/haproxy-loaxa.cfg` that count the public site's requests per client
    address for the whole installation (LOAXA_PUBLIC__RATE_LIMIT_REQUESTS per RATE_LIMIT_WINDOW_S)."""
    message = PUBLIC_RATE_MESSAGE.format(seconds=window_s)
    return [
        "  acl public_site path /nghe-lai",
        "  acl public_site path_beg /nghe-lai/",
        f"  stick-table type ipv6 size 100k expire {2 * window_s}s store http_req_rate({window_s}s)",
        "  http-request track-sc0 src if public_site",
        f'  http-request return status 429 content-type "text/plain; charset=utf-8" string "{message}"'
        f" hdr Retry-After {window_s} if public_site {{ sc_http_req_rate(0) gt {limit} }}",
    ]


def find_haproxy(binary: str = "haproxy") -> str | None:
    """The haproxy executable, or None when it is not installed (Debian puts it in /usr/sbin)."""
    found = shutil.which(binary)
    if found is None and "/" not in binary:
        found = shutil.which(binary, path="/usr/sbin:/usr/local/sbin")
    return found


class HaproxyUnavailable(RuntimeError):
    """haproxy is not installed, refused its config, or did not listen."""


def server_name(index: int) -> str:
    """The name of the `index`-th backend (from 0) in the config, the stats and `X-Loaxa-Backend`."""
    return f"c{index + 1}"


def server_stats(stats_socket: Path, backend: str) -> dict[str, dict[str, str]]:
    """Each server of `backend`, by name: its row of haproxy's `show stat` (`status`: UP/DOWN; `stot`:
    sessions served; `hrsp_2xx` … `hrsp_5xx`: responses by class), read from the stats socket."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as unix:
        unix.settimeout(5)
        unix.connect(str(stats_socket))
        unix.sendall(b"show stat\n")
        chunks = []
        while chunk := unix.recv(65536):
            chunks.append(chunk)
    lines = b"".join(chunks).decode().splitlines()
    header = lines[0].lstrip("# ").split(",")
    rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
    return {row["svname"]: row for row in rows if row.get("pxname") == backend and row["svname"] != "BACKEND"}


class HaproxyServer:
    """`haproxy -db -f <directory>/haproxy.cfg`, listening on `host`:`port` (a free port when 0), balancing
    over `backends` (`host:port` each)."""

    def __init__(
        self,
        directory: Path,
        backends: Sequence[str],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        check_interval_ms: int = CHECK_INTERVAL_MS,
        start_timeout_s: float = 10.0,
        config: str | None = None,
        backend: str = "controllers",
        public_rate: tuple[int, int] | None = None,
    ) -> None:
        if not backends:
            raise ValueError("haproxy needs at least one backend")
        self.directory = directory.resolve()
        self.backends = list(backends)
        self.host = host
        self.port = port or free_port()
        self.check_interval_ms = check_interval_ms
        self.start_timeout_s = start_timeout_s
        self.stats_socket = self.directory / "stats.sock"
        self.log_path = self.directory / "haproxy.log"
        self.process: subprocess.Popen[bytes] | None = None
        # Another config to run instead of the generated one (systemd/haproxy-loaxa.cfg, adapted by a
        # test), and the name of its backend.
        self.config = config
        self.backend = backend
        # (requests, window in s): the public site's rate limit counted here, as the shipped config does.
        self.public_rate = public_rate

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @staticmethod
    def maxconn() -> int:
        """Connections at once: 4096 (far above what a test or a benchmark opens), fewer when the open files
        limit is lower; haproxy needs two descriptors per connection and refuses to start otherwise."""
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        return 4096 if hard == resource.RLIM_INFINITY else max(64, min(4096, (hard - 200) // 2))

    def render_config(self) -> str:
        lines = [
            "# Generated by loaxa's tests (tests/haproxy.py); rewritten on every start.",
            "global",
            f"  maxconn {self.maxconn()}",
            f"  stats socket {self.stats_socket} mode 600 level admin",
            "defaults",
            "  mode http",
            "  timeout connect 2s",
            "  timeout client 90s",
            # A console page that renders speech, or an approval that synthesises it, takes seconds.
            "  timeout server 90s",
            "  timeout tunnel 1h",  # a live broadcast's WebSocket, as in systemd/haproxy-loaxa.cfg
            "  timeout http-keep-alive 75s",
            "  option forwardfor",
            "  retries 3",
            "  retry-on conn-failure",
            "  option redispatch 1",
            "frontend loaxa",
            f"  bind {self.host}:{self.port}",
            # As the shipped config: a client's own X-Forwarded-For is dropped, `option forwardfor` adds
            # the address haproxy saw.
            "  http-request del-header X-Forwarded-For",
            *(public_rate_lines(*self.public_rate) if self.public_rate is not None else []),
            "  default_backend controllers",
            "backend controllers",
            "  balance roundrobin",
            "  option httpchk",
            f"  http-check send meth GET uri {HEALTH_PATH}",
            "  http-check expect status 200",
            f"  default-server inter {self.check_interval_ms}ms fall 2 rise 1",
            f"  http-response set-header {BACKEND_HEADER} %[srv_name]",
            *(f"  server {server_name(i)} {address} check" for i, address in enumerate(self.backends)),
            "",
        ]
        return "\n".join(lines)

    def start(self) -> None:
        exe = find_haproxy()
        if exe is None:
            raise HaproxyUnavailable("haproxy is not installed (run scripts/bootstrap.sh)")
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "haproxy.cfg"
        config.write_text(self.config if self.config is not None else self.render_config())
        checked = subprocess.run([exe, "-c", "-q", "-f", str(config)], capture_output=True, text=True, check=False)
        if checked.returncode != 0:
            raise HaproxyUnavailable(f"haproxy refused its config: {(checked.stdout + checked.stderr)[-800:]}")
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen([exe, "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                raise HaproxyUnavailable(f"haproxy exited at start: {self.log_path.read_text()[-800:]}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise HaproxyUnavailable(f"haproxy did not listen on port {self.port}")

    def stop(self) -> None:
        """SIGTERM: haproxy closes its listeners and connections at once."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def stats(self) -> dict[str, dict[str, str]]:
        """Each backend server's row of `show stat`, by name (see `server_stats`)."""
        return server_stats(self.stats_socket, self.backend)

    def up(self) -> set[str]:
        """The backends whose health check passes."""
        return {name for name, row in self.stats().items() if row["status"].startswith("UP")}

    def __enter__(self) -> HaproxyServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
