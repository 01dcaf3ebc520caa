"""Nodes' playlists and audio served by nginx instead of the controller: signed links and playlist files.

The controller hands a node signed links (`<path>?md5=<hash>&expires=<unix time>`), and nginx checks
them itself (devices.nginx), so a node's unchanged-playlist poll and its audio downloads never reach
Python. A link names the commune in its path (`/c/<commune>/playlist.json`, `/c/<commune>/a/<sha>.opus`)
and is signed for exactly that path, so a node can fetch only what the controller gave it: its own
commune's playlist, and the audio that playlist lists.

On every publication the commune's playlist is written where nginx serves it, once per codec, each
item's `asset_url` a signed link to nginx. Expiry times are rounded up to whole periods of
`url_ttl_s`, so rewriting an unchanged playlist gives the same bytes (and nginx the same ETag): nodes
get 304 until the playlist changes, or once a period when its links are renewed.

With several controller instances, each runs its own nginx over its own files, and a node's link may
point at any of them. The instance that publishes writes its files before it notifies the nodes; every
other instance follows the notice (`follow`, fed by the MQTT link's subscription to every commune's
playlist notices) and rewrites that commune's files from the database when the notice names a version
newer than the one its files hold, tens of milliseconds after the notice (a node that pulls before that gets
the previous version and asks again soon: firmware_sim.agent).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator
from sqlmodel import Session, col, select

from audio_library import AudioAsset
from devices.nginx import PLAYLIST_FILES_DIR, SAFE_SECRET, NginxServer
from devices.protocol import Playlist, PlaylistItem, PlaylistNotice, ProtocolError, decode

log = logging.getLogger(__name__)

CODECS = ("opus", "mp3")


class ContentSettings(BaseModel):
    """The `content` settings section (`LOAXA_CONTENT__*`): nginx serving nodes' playlists and audio."""

    # Off: nodes fetch everything from the controller, as before (the pure-Python path).
    enabled: bool = False
    # The controller starts and stops its own nginx; off when nginx is run by other means (the tests'
    # fixture, a systemd unit) from the config devices.nginx renders, on `port`.
    start_nginx: bool = True
    nginx_binary: str = "nginx"
    host: str = "127.0.0.1"
    # 0: a free port chosen when nginx starts.
    port: int = Field(default=0, ge=0, le=65535)
    # The base URL nodes are given (e.g. https://tep.loaxa.example.gov.vn); empty: http://host:port.
    public_url: str = ""
    # nginx's prefix: its config, pid, logs and temporary files, and the playlist files it serves.
    directory: Path = Path("var/content")
    # Signs the links; empty: derived from LOAXA_SECRET_KEY (so production never runs on a default).
    secret: SecretStr = SecretStr("")
    # A link is valid for at least this long and at most twice this (expiries are rounded up to whole
    # periods so that an unchanged playlist keeps its bytes); one day: a node renews its playlist link
    # from the controller about once a day.
    url_ttl_s: int = Field(default=86400, ge=60)
    # nginx worker processes (0: one per core) and connections per worker (a province's nodes, kept alive).
    workers: int = Field(default=0, ge=0)
    max_connections: int = Field(default=16384, ge=64)
    access_log: bool = True

    @field_validator("secret")
    @classmethod
    def _fits_the_config(cls, value: SecretStr) -> SecretStr:
        # It is written into nginx's config, inside double quotes.
        secret = value.get_secret_value()
        if secret and not SAFE_SECRET.match(secret):
            raise ValueError("LOAXA_CONTENT__SECRET must be 16-256 characters of [A-Za-z0-9_.+/=:-]")
        return value

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("LOAXA_CONTENT__PUBLIC_URL must start with http:// or https://")
        return value.rstrip("/")


def playlist_path(commune: str, codec: str) -> str:
    return f"/c/{commune}/playlist{'-mp3' if codec == 'mp3' else ''}.json"


def audio_path(commune: str, sha256: str, codec: str) -> str:
    return f"/c/{commune}/a/{sha256}.{codec}"


class LinkSigner:
    """Signs paths the way nginx's `secure_link_md5 "$secure_link_expires$uri <secret>"` checks them."""

    def __init__(self, secret: str, ttl_s: int) -> None:
        self._secret = secret
        self.ttl_s = ttl_s

    def expires(self, now: float) -> int:
        """The end of the period after the current one: at least `ttl_s` away, at most twice that."""
        return (int(now) // self.ttl_s + 2) * self.ttl_s

    def sign(self, path: str, now: float, *, expires: int | None = None) -> str:
        expiry = self.expires(now) if expires is None else expires
        digest = hashlib.md5(f"{expiry}{path} {self._secret}".encode(), usedforsecurity=False).digest()
        token = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        return f"{path}?md5={token}&expires={expiry}"


def mp3_variant(session: Session, playlist: Playlist) -> Playlist:
    """The playlist for a legacy node: each item's MP3 rendition where one exists."""
    shas = {item.asset_sha256 for item in playlist.items}
    renditions = {
        asset.sha256: asset.mp3_sha256
        for asset in session.exec(select(AudioAsset).where(col(AudioAsset.sha256).in_(shas)))
        if asset.mp3_sha256
    }
    items: list[PlaylistItem] = []
    for item in playlist.items:
        mp3_sha = renditions.get(item.asset_sha256)
        if mp3_sha is not None:
            item = item.model_copy(
                update={"asset_sha256": mp3_sha, "codec": "mp3", "asset_url": f"/api/v1/node/audio/{mp3_sha}.mp3"}
            )
        items.append(item)
    return playlist.model_copy(update={"items": tuple(items)})


class PlaylistFiles:
    """Each commune's playlist where nginx serves it, replaced atomically (write, then rename).

    nginx's ETag is the file's mtime in whole seconds and its size, so two versions written within one
    second could share it: each new content gets a modification time at least one second after the last.
    """

    def __init__(self, directory: Path, signer: LinkSigner) -> None:
        self.root = directory / PLAYLIST_FILES_DIR
        self.signer = signer

    def path(self, commune: str, codec: str) -> Path:
        return self.root / playlist_path(commune, codec).lstrip("/")

    def render(self, playlist: Playlist, now: float) -> bytes:
        """The playlist with each item's audio as a signed link to nginx (relative to its base URL)."""
        items = tuple(
            item.model_copy(
                update={"asset_url": self.signer.sign(audio_path(playlist.commune, item.asset_sha256, item.codec), now)}
            )
            for item in playlist.items
        )
        return playlist.model_copy(update={"items": items}).model_dump_json().encode()

    def write(self, playlist: Playlist, codec: str, now: float) -> bool:
        """Write one variant; False when the file already holds exactly these bytes (its ETag stays)."""
        data = self.render(playlist, now)
        path = self.path(playlist.commune, codec)
        try:
            old_mtime = int(path.stat().st_mtime)
            if path.read_bytes() == data:
                return False
        except OSError:
            old_mtime = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        temporary.write_bytes(data)
        stamp = max(int(time.time()), old_mtime + 1)
        os.utime(temporary, (stamp, stamp))
        os.replace(temporary, path)
        return True


# commune code -> its current playlist per codec; None when it has none yet.
PlaylistSource = Callable[[str], dict[str, Playlist] | None]


class ContentDelivery:
    """The running part: nginx (when the controller starts it), the playlist files, the links handed out.

    `load` reads a commune's current playlist variants (the controller's database); `communes` lists
    every commune code. Files are rewritten on each publication (`publish`, called before nodes are
    notified) and every quarter of `url_ttl_s`, so the links in them never come within 3/4 of a period
    of expiring.
    """

    def __init__(
        self,
        settings: ContentSettings,
        secret: str,
        audio_root: Path,
        load: PlaylistSource,
        communes: Callable[[], list[str]],
    ) -> None:
        self.settings = settings
        self.signer = LinkSigner(secret, settings.url_ttl_s)
        self.files = PlaylistFiles(settings.directory, self.signer)
        self.audio_root = audio_root
        self.nginx = NginxServer(settings, secret, audio_root) if settings.start_nginx else None
        self._load = load
        self._communes = communes
        self._lock = threading.Lock()
        # Commune -> the version its files hold (written by this instance).
        self._written: dict[str, int] = {}
        # Communes another instance published a newer version of, to be rewritten by the refresh thread.
        self._wanted: set[str] = set()
        self._wake = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._refresh_loop, name="content-refresh", daemon=True)

    @property
    def public_url(self) -> str:
        if self.settings.public_url:
            return self.settings.public_url
        port = self.nginx.port if self.nginx is not None else self.settings.port
        return f"http://{self.settings.host}:{port}"

    def start(self) -> None:
        if self.nginx is not None:
            self.nginx.start()
        self.refresh_all()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._wake:
            self._wake.notify()
        if self._thread.is_alive():
            self._thread.join(10)
        if self.nginx is not None:
            self.nginx.stop()

    def publish(self, commune: str) -> None:
        """Write the commune's current playlist files; read and written under one lock, so an older
        version read by a slower thread can never replace a newer one."""
        with self._lock:
            variants = self._load(commune)
            if variants is None:
                return
            now = time.time()
            for codec, playlist in variants.items():
                self.files.write(playlist, codec, now)
            self._written[commune] = max(playlist.version for playlist in variants.values())

    def written_version(self, commune: str) -> int | None:
        """The playlist version this instance's files of the commune hold (None: none written yet)."""
        with self._lock:
            return self._written.get(commune)

    def follow(self, payload: bytes) -> None:
        """A playlist notice (from any instance): when it names a newer version than this instance's
        files hold, have them rewritten from the database. Called on the MQTT ingest thread, so it only
        queues the commune; the refresh thread writes."""
        try:
            notice = decode(PlaylistNotice, payload)
        except ProtocolError as exc:
            log.warning("ignoring an invalid playlist notice: %s", str(exc)[:200])
            return
        with self._lock:
            if notice.version <= self._written.get(notice.commune, -1):
                return
        with self._wake:
            self._wanted.add(notice.commune)
            self._wake.notify()

    def refresh_all(self) -> None:
        for commune in self._communes():
            try:
                self.publish(commune)
            except Exception:
                log.exception("the playlist files of %s could not be written; its nodes use the controller", commune)

    def playlist_url(self, commune: str, codec: str) -> str:
        """The signed, absolute link to the commune's playlist on nginx (given to its nodes).

        A commune added since the last refresh has no file yet: it is written first, so the link works.
        """
        if not self.files.path(commune, codec).exists():
            self.publish(commune)
        return self.public_url + self.signer.sign(playlist_path(commune, codec), time.time())

    def audio_url(self, commune: str, sha256: str, codec: str) -> str | None:
        """The signed, absolute link to one audio file on nginx for the commune's nodes (a play_now's).

        nginx serves the controller's content-addressed store as it is (`<sha[:2]>/<sha>.<codec>`), so
        the file is in place once it is stored; None when it is not there (the node then asks the
        controller, as before this link existed).
        """
        if not (self.audio_root / sha256[:2] / f"{sha256}.{codec}").is_file():
            return None
        return self.public_url + self.signer.sign(audio_path(commune, sha256, codec), time.time())

    def _refresh_loop(self) -> None:
        """Rewrite what other instances published as it is noticed, and everything every quarter of
        `url_ttl_s` (links renewed; and a notice missed while the broker was away caught up)."""
        interval_s = self.settings.url_ttl_s / 4
        next_refresh = time.monotonic() + interval_s
        while not self._stop.is_set():
            with self._wake:
                if not self._wanted and not self._stop.is_set():
                    self._wake.wait(max(0.0, next_refresh - time.monotonic()))
                wanted, self._wanted = self._wanted, set()
            if self._stop.is_set():
                return
            for commune in sorted(wanted):
                try:
                    self.publish(commune)
                except Exception:
                    log.exception("the playlist files of %s could not be rewritten after a notice", commune)
            if time.monotonic() >= next_refresh:
                self.refresh_all()
                next_refresh = time.monotonic() + interval_s
