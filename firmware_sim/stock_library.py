"""The node's pinned stock library: approved warnings kept on disk before any emergency needs them.

Layout under `<state_dir>/stock/`: `manifest.json` (the controller's `StockManifest`, as received),
`manifest.etag`, and one `<sha256>.<codec>` file per message. Nothing evicts these files: they leave only
when a new library version no longer lists them. Every file is hashed before it is kept and again
before it plays; a file that does not hash to its sha256 is deleted, never played, and fetched again.

`StockSync` keeps the library current: it pulls the manifest over HTTP (If-None-Match) on start, on
every reconnect, when a `StockNotice` with another version arrives on the commune's `stock` topic, and
every poll interval; then it fetches the files it lacks. An emergency naming a stock message then needs
no HTTP at all (`audio_for`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

import httpx
from pydantic import ValidationError

from devices.protocol import ProtocolError, StockEntry, StockManifest, StockNotice, decode
from firmware_sim.audio_cache import ChecksumMismatch
from firmware_sim.state import write_atomically

log = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"
ETAG_FILE = "manifest.etag"


class StockLibrary:
    """The pinned files and the manifest they belong to."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.manifest: StockManifest | None = None
        self.etag = ""
        # Files refused because they did not hash to their sha256 (downloaded or found on disk).
        self.refused = 0
        self._load()

    def _load(self) -> None:
        try:
            self.manifest = StockManifest.model_validate_json((self.root / MANIFEST_FILE).read_bytes())
            self.etag = (self.root / ETAG_FILE).read_text().strip()
        except FileNotFoundError:
            pass
        except (OSError, ValidationError) as exc:
            log.warning("stock library manifest unreadable, fetching it again: %s", str(exc)[:200])
            self.manifest, self.etag = None, ""

    @property
    def version(self) -> int | None:
        return self.manifest.version if self.manifest is not None else None

    def path(self, sha256: str, codec: str) -> Path:
        return self.root / f"{sha256}.{codec}"

    def entry(self, key: str, language: str) -> StockEntry | None:
        if self.manifest is None:
            return None
        return next((e for e in self.manifest.entries if (e.key, e.language) == (key, language)), None)

    def holds(self, sha256: str) -> bool:
        """Whether the current manifest lists this audio (whether or not its file is here yet)."""
        return self.manifest is not None and any(e.sha256 == sha256 for e in self.manifest.entries)

    def missing(self, manifest: StockManifest) -> list[StockEntry]:
        return [e for e in manifest.entries if not self.path(e.sha256, e.codec).is_file()]

    def put(self, sha256: str, codec: str, data: bytes) -> None:
        """Keep a downloaded file; raise ChecksumMismatch (nothing kept) if it is not what was promised."""
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            self.refused += 1
            raise ChecksumMismatch(f"stock file expected {sha256}, got {actual}")
        write_atomically(self.path(sha256, codec), data)

    def read_verified(self, sha256: str, codec: str) -> bytes | None:
        """The pinned bytes if present and intact; a file that does not match is deleted (None)."""
        path = self.path(sha256, codec)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != sha256:
            self.refused += 1
            log.warning("stock file %s does not match its sha256: deleted, never played", path.name[:20])
            path.unlink(missing_ok=True)
            return None
        return data

    def check(self) -> tuple[int, int]:
        """(intact, listed) files of the current library, each read and hashed (the silent self-test)."""
        entries = self.manifest.entries if self.manifest is not None else ()
        intact = sum(self.read_verified(e.sha256, e.codec) is not None for e in entries)
        return intact, len(entries)

    def adopt(self, manifest: StockManifest, raw: bytes, etag: str) -> None:
        """Make `manifest` current (its files are all here) and drop the files it no longer lists."""
        write_atomically(self.root / MANIFEST_FILE, raw)
        write_atomically(self.root / ETAG_FILE, etag.encode())
        self.manifest, self.etag = manifest, etag
        keep = {f"{e.sha256}.{e.codec}" for e in manifest.entries} | {MANIFEST_FILE, ETAG_FILE}
        for path in self.root.iterdir():
            if path.name not in keep and not path.name.endswith(".tmp"):
                path.unlink(missing_ok=True)


class StockSync:
    """Pulls the library's manifest and files over HTTP whenever it may have changed.

    The agent hands it what it must not own itself: its HTTP client, the controller URL, its credentials,
    a check that raises while its network is cut, and the injected download-corruption fault.
    """

    def __init__(
        self,
        library: StockLibrary,
        *,
        http: Callable[[], httpx.AsyncClient | None],
        base_url: str,
        auth: httpx.Auth,
        check_network: Callable[[], None],
        corrupt_next: Callable[[], bool],
        poll_interval_s: float,
        retry_min_s: float,
        retry_max_s: float,
    ) -> None:
        self.library = library
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._auth = auth
        self._check_network = check_network
        self._corrupt_next = corrupt_next
        self._poll_interval_s = poll_interval_s
        self._retry_min_s, self._retry_max_s = retry_min_s, retry_max_s
        self.wanted = asyncio.Event()
        self._lock = asyncio.Lock()
        self.syncs = 0

    def on_notice(self, payload: bytes) -> None:
        """A `StockNotice` from the commune's stock topic: pull when it names another version."""
        try:
            notice = decode(StockNotice, payload)
        except ProtocolError as exc:
            log.warning("ignoring invalid stock notice: %s", str(exc)[:200])
            return
        if notice.version != self.library.version or notice.etag != self.library.etag:
            self.wanted.set()

    async def run(self) -> None:
        """Sync now, then whenever wanted or every poll interval; a failure retries soon, backing off."""
        retry_s = self._retry_min_s
        while True:
            self.wanted.clear()
            wait_s = self._poll_interval_s
            try:
                await self.sync()
                retry_s = self._retry_min_s
            except (httpx.HTTPError, ValidationError, ProtocolError, ChecksumMismatch, OSError) as exc:
                log.info("stock library sync failed (%s); retrying in %.1f s", str(exc)[:200], retry_s)
                wait_s = min(retry_s, wait_s)
                retry_s = min(retry_s * 2, self._retry_max_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wanted.wait(), wait_s)

    async def sync(self) -> None:
        """Pull the manifest (304: unchanged) and every file it lists that is not pinned yet.

        The new manifest becomes current only once all its files are here and verified, so the ETag is
        not kept for a half-fetched library (the next pull fetches the manifest again and retries).
        """
        async with self._lock:
            http = self._http()
            if http is None:
                return
            self._check_network()
            headers = {"If-None-Match": self.library.etag} if self.library.etag else {}
            response = await http.get(f"{self._base_url}/api/v1/node/stock", headers=headers, auth=self._auth)
            self.syncs += 1
            if response.status_code == 304 and self.library.manifest is not None:
                manifest, raw, etag = self.library.manifest, b"", self.library.etag
                if not self.library.missing(manifest):
                    return
            else:
                response.raise_for_status()
                raw, etag = response.content, response.headers.get("ETag", "")
                manifest = StockManifest.model_validate_json(raw)
            for entry in self.library.missing(manifest):
                await self._fetch(http, entry)
            if raw:
                await asyncio.to_thread(self.library.adopt, manifest, raw, etag)
                log.info("stock library v%d: %d message(s) pinned", manifest.version, len(manifest.entries))

    async def _fetch(self, http: httpx.AsyncClient, entry: StockEntry) -> None:
        """One file, verified; a file that does not verify is refused and fetched once more at once."""
        for attempt in (1, 2):
            self._check_network()
            data = await self._download(http, entry, content_server=attempt == 1)
            if self._corrupt_next() and data:
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            try:
                await asyncio.to_thread(self.library.put, entry.sha256, entry.codec, data)
                return
            except ChecksumMismatch as exc:
                log.warning("stock %s/%s refused (attempt %d): %s", entry.key, entry.language, attempt, exc)
                if attempt == 2:
                    raise

    async def _download(self, http: httpx.AsyncClient, entry: StockEntry, *, content_server: bool) -> bytes:
        """The file from the content server when the manifest links it there (and `content_server`),
        else, or when that server refuses or fails, from the controller."""
        if content_server and entry.content_url is not None:
            try:
                response = await http.get(entry.content_url)
                response.raise_for_status()
                return response.content
            except httpx.HTTPError as exc:
                log.warning("stock %s/%s not served by the content server: %s", entry.key, entry.language, exc)
        response = await http.get(f"{self._base_url}{entry.url}", auth=self._auth)
        response.raise_for_status()
        return response.content

    async def audio_for(self, sha256: str, codec: str, *, may_fetch: bool) -> bytes | None:
        """The pinned, verified audio; with `may_fetch`, one library sync first when it is not pinned.

        A pinned file that does not verify is deleted (never returned) and a re-fetch is asked for.
        """
        data = await asyncio.to_thread(self.library.read_verified, sha256, codec)
        if data is not None:
            return data
        self.wanted.set()  # whatever happened to it, the library loop fetches it again
        if not may_fetch:
            return None
        with contextlib.suppress(httpx.HTTPError, ValidationError, ProtocolError, ChecksumMismatch, OSError):
            await self.sync()
        return await asyncio.to_thread(self.library.read_verified, sha256, codec)
