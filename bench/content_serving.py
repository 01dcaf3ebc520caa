"""Benchmark: nodes' playlists and audio served by the private nginx (devices/nginx.py), without Python.

Measures, against one nginx started as the controller starts it (generated config, signed links):
- unchanged-playlist polls per second: a signed playlist link with `If-None-Match` (304, no body);
- audio requests per second: a signed link to a 60 s Opus recording (24 kbit/s, about 180 KB), whole;
- refusals per second: a tampered link (403), the cost of a node that tries what it was not given;
- nginx's CPU over each run (share of one core, master and workers together), to show its headroom.

The load comes from `wrk` (Debian package `wrk`) when installed, from a Python client otherwise (which
then measures itself as much as nginx: the figures are a floor). The client runs on the same machine,
so it competes with nginx for the same cores.

Usage: .venv/bin/python -m bench.content_serving [--seconds 10] [--connections 64] [--python-client]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import platform
import re
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from bench.process_stats import sample
from devices.content import ContentSettings, LinkSigner, PlaylistFiles, playlist_path
from devices.nginx import NginxServer
from devices.protocol import Playlist, PlaylistItem

SECRET = "bench-content-link-secret"
COMMUNE = "XA-BENCH"
# 60 s of speech at the Opus rendition's 24 kbit/s.
AUDIO_BYTES = 60 * 24_000 // 8


def _nginx_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [master, *(int(pid) for pid in children.read_text().split())]


def _cpu_s(pids: list[int]) -> float:
    return sum(sample(pid).cpu_s for pid in pids)


def _wrk(url: str, headers: dict[str, str], seconds: int, connections: int) -> tuple[float, int]:
    """Requests per second, and responses that were neither 2xx nor 3xx."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", done.stdout)
    return rate, int(errors.group(1)) if errors else 0


async def _python_load(url: str, headers: dict[str, str], seconds: int, connections: int) -> tuple[float, int]:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=10) as http:
        deadline = time.monotonic() + seconds
        counts = [0, 0]

        async def one() -> None:
            while time.monotonic() < deadline:
                response = await http.get(url, headers=headers)
                counts[0] += 1
                counts[1] += response.status_code >= 400

        began = time.monotonic()
        await asyncio.gather(*(one() for _ in range(connections)))
        return counts[0] / (time.monotonic() - began), counts[1]


def run(seconds: int, connections: int, python_client: bool) -> list[tuple[str, float, int, float]]:
    use_wrk = shutil.which("wrk") is not None and not python_client
    results: list[tuple[str, float, int, float]] = []
    with tempfile.TemporaryDirectory(prefix="loaxa-bench-content-") as scratch:
        root = Path(scratch)
        audio = os.urandom(AUDIO_BYTES)
        sha = hashlib.sha256(audio).hexdigest()
        (root / "audio" / sha[:2]).mkdir(parents=True)
        (root / "audio" / sha[:2] / f"{sha}.opus").write_bytes(audio)
        settings = ContentSettings(enabled=True, directory=root / "content", access_log=False, max_connections=4096)
        with NginxServer(settings, SECRET, root / "audio") as nginx:
            assert nginx.process is not None
            signer = LinkSigner(SECRET, settings.url_ttl_s)
            now = time.time()
            starts = datetime.now(UTC) + timedelta(hours=1)
            items = tuple(
                PlaylistItem(
                    item_id=f"b{i}",
                    title="Bản tin",
                    asset_sha256=sha,
                    asset_url="/",
                    duration_ms=60_000,
                    starts_at=starts + timedelta(minutes=2 * i),
                )
                for i in range(10)
            )
            PlaylistFiles(settings.directory, signer).write(
                Playlist(commune=COMMUNE, version=1, generated_at=starts, items=items), "opus", now
            )
            playlist_url = nginx.url + signer.sign(playlist_path(COMMUNE, "opus"), now)
            first = httpx.get(playlist_url)
            first.raise_for_status()
            audio_url = nginx.url + Playlist.model_validate_json(first.content).items[0].asset_url
            assert hashlib.sha256(httpx.get(audio_url).content).hexdigest() == sha
            tampered = playlist_url.replace(f"/c/{COMMUNE}/", "/c/XA-OTHER/")
            assert httpx.get(tampered).status_code == 403
            runs = {
                "unchanged-playlist polls (304)": (playlist_url, {"If-None-Match": first.headers["etag"]}),
                f"audio requests ({AUDIO_BYTES // 1000} KB each, 200)": (audio_url, {}),
                "tampered links (403)": (tampered, {}),
            }
            pids = _nginx_pids(nginx.process.pid)
            for name, (url, headers) in runs.items():
                cpu_before, began = _cpu_s(pids), time.monotonic()
                if use_wrk:
                    rate, errors = _wrk(url, headers, seconds, connections)
                else:
                    rate, errors = asyncio.run(_python_load(url, headers, seconds, connections))
                wall = time.monotonic() - began
                busy = 100.0 * (_cpu_s(pids) - cpu_before) / wall
                results.append((name, rate, errors, busy))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--python-client", action="store_true", help="load from Python even if wrk is installed")
    args = parser.parse_args()
    client = "wrk" if shutil.which("wrk") and not args.python_client else "Python (httpx)"
    print(
        f"{date.today()} {platform.node()}, {os.cpu_count()} cores; client: {client}, "
        f"{args.connections} connections, {args.seconds} s each"
    )
    print("| request | requests/s | non-2xx/3xx answers | nginx CPU (% of one core) |")
    print("|---|---|---|---|")
    for name, rate, errors, busy in run(args.seconds, args.connections, args.python_client):
        # wrk counts a 403 as an error: for the tampered links every answer is one, as it should be.
        shown = "all (expected)" if "403" in name else str(errors)
        print(f"| {name} | {rate:,.0f} | {shown} | {busy:.0f} |")


if __name__ == "__main__":
    main()
