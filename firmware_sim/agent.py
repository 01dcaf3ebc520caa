"""The speaker-node agent: keeps the commune's playlist and audio cached, plays on time, reports plays.

Three loops share one asyncio event loop:
- MQTT: birth/last-will state, playlist notices from the controller, sending queued proof-of-play;
- sync: pulls the playlist over HTTP (ETag) on a notice, on reconnect, and every poll interval,
  downloading and verifying the audio it needs;
- one timer per playlist item, which plays the cached audio at the item's absolute start time,
  with or without a network.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiomqtt
import httpx
from pydantic import ValidationError

from devices.protocol import (
    TIME_HEADER,
    CommandAck,
    CommandBody,
    CommandResult,
    Heartbeat,
    NodeState,
    Playlist,
    PlaylistItem,
    PlaylistNotice,
    PlayReport,
    ProtocolError,
    RelayCheck,
    commune_topics_filter,
    decode,
    device_ack_topic,
    device_command_topic,
    device_heartbeat_topic,
    device_play_topic,
    device_relay_topic,
    device_result_topic,
    device_state_topic,
    encode,
)
from firmware_sim.audio_cache import AudioCache, ChecksumMismatch
from firmware_sim.commands import CommandVerifier, NonceStore, load_volume, save_volume
from firmware_sim.config import NodeSettings
from firmware_sim.content_server import ContentServer
from firmware_sim.faults import Faults, FaultsFile
from firmware_sim.live import LiveBroadcasts
from firmware_sim.outbox import Outbox
from firmware_sim.relay import RelayAccount, RelayTiming, StreamRelay, check_stream, decode_to_pcm
from firmware_sim.sink import AudioSink, FileSink, PlayedAudio, PyAudioSink
from firmware_sim.state import NodeState as LocalState
from firmware_sim.stock_library import StockLibrary, StockSync

log = logging.getLogger(__name__)

# A silent self-test fails below this much free storage: about a day of new bulletins.
_MIN_FREE_STORAGE_MB = 50

# Command answers kept while the link is down; a command older than its timeout (30 s by default) is
# settled at the controller anyway, so a short memory is enough.
_MAX_UNSENT_ANSWERS = 50

# Long waits are slept in slices so that a wall-clock correction (NTP) is noticed before airtime.
_MAX_SLEEP_SLICE_S = 30.0

ItemKey = tuple[str, datetime, str]


@dataclass(frozen=True)
class UrgentPull:
    """When an urgent (emergency) notice's playlist went through each stage on this node.

    Kept for the fleet benchmark, which reads where the seconds between an emergency order and its
    airing go: the notice, the sync loop's turn, the HTTP pull, the audio check (pinned or cached) and
    the timers set."""

    version: int
    noticed_at: datetime
    asked_at: datetime
    fetched_at: datetime
    ready_at: datetime
    applied_at: datetime


class _PushedPlaylists:
    """Playlists from urgent notices already verified and decoded, by (key id, text, signature).

    A field node sees each notice once; a simulated fleet process sees one per node of a commune, and
    verifying and decoding the same bytes 500 times on one event loop delayed the last nodes by seconds.
    The key includes the verifying key, so a node with another key never takes another's verdict.
    """

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._entries: dict[tuple[str, bytes, str], Playlist] = {}

    def get(self, key: tuple[str, bytes, str]) -> Playlist | None:
        return self._entries.get(key)

    def put(self, key: tuple[str, bytes, str], playlist: Playlist) -> None:
        if len(self._entries) >= self._size:
            self._entries.pop(next(iter(self._entries)))  # the oldest
        self._entries[key] = playlist


_pushed_playlists = _PushedPlaylists()

# Disk work an emergency waits on: a command's check (its nonce is written before the node acts) and the
# read of an item's audio just before airtime. It has its own threads so that it never queues behind the
# other writes (reports, playlists, downloads, recordings) in the default executor. Four: each job is
# small (a nonce file, a verified read), and in a simulated fleet they come a thousand at once.
_URGENT_IO_THREADS = 4
_urgent_pool: ThreadPoolExecutor | None = None


def _urgent_io() -> ThreadPoolExecutor:
    global _urgent_pool
    if _urgent_pool is None:
        _urgent_pool = ThreadPoolExecutor(max_workers=_URGENT_IO_THREADS, thread_name_prefix="urgent-io")
    return _urgent_pool


class MissingAudio(Exception):
    """Some audio of the playlist could not be fetched; the sync is retried soon."""


class StalePlaylist(Exception):
    """The pull answered an older version than a notice announced (a content server that has not caught
    up yet); the sync is retried soon."""


AMPLIFIER_FAULT_VI = "âm ly bị lỗi, không phát được"


def make_sink(settings: NodeSettings) -> AudioSink:
    if settings.sink == "pyaudio":
        return PyAudioSink()
    return FileSink(settings.recordings_dir or settings.state_dir / "recordings")


class NodeAgent:
    def __init__(
        self,
        settings: NodeSettings,
        *,
        sink: AudioSink | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        if not settings.device_code or not settings.commune:
            raise ValueError("a node needs its device code and commune (LOAXA_NODE__DEVICE_CODE, __COMMUNE)")
        self.settings = settings
        self.code = settings.device_code
        self.local = LocalState(settings.state_dir)
        self.cache = AudioCache(settings.state_dir / "cache")
        self.outbox = Outbox(settings.state_dir / "outbox")
        # Where the playlist and audio come from: the controller, or the content server it names.
        self.content = ContentServer(settings.state_dir, settings.device_code, settings.commune)
        self.sink = sink or make_sink(settings)
        self._http = http
        self._auth = httpx.BasicAuth(settings.device_code, settings.password.get_secret_value())
        self.playlist: Playlist | None = None
        self._etag = ""
        self._timers: dict[ItemKey, asyncio.Task[None]] = {}
        # Items playing now, with the event that stops them and the instant they are due to end.
        self._on_air: dict[ItemKey, tuple[asyncio.Event, datetime]] = {}
        # Items on air that started late (a late emergency): they play past their scheduled end, and
        # what is due meanwhile waits for the horn (`_wait_for_horn`) rather than sounding over them.
        self._overrunning: set[ItemKey] = set()
        self._horn_free = asyncio.Event()
        self._horn_free.set()
        self._sync_wanted = asyncio.Event()
        self._reports_waiting = asyncio.Event()
        self.connected = asyncio.Event()
        self.plays = 0
        self.faults = Faults()
        self._faults_file = FaultsFile(settings.state_dir)
        # The stock library, pinned before any emergency needs it (firmware_sim.stock_library).
        self.stock = StockLibrary(settings.state_dir / "stock")
        self.stock_sync = StockSync(
            self.stock,
            http=lambda: self._http,
            base_url=settings.controller_url,
            auth=self._auth,
            check_network=self._check_http,
            corrupt_next=self.faults.take_corruption,
            poll_interval_s=settings.stock_poll_interval_s,
            retry_min_s=settings.reconnect_min_s,
            retry_max_s=settings.reconnect_max_s,
        )
        # Downloads thrown away because they did not hash to the promised sha256.
        self.rejected_downloads = 0
        # One download per file at a time (the sync and an item's last-minute retry may want the same one).
        self._download_locks: dict[str, asyncio.Lock] = {}
        # Output volume 0-100 (set by the set_volume command; reported in heartbeats).
        self.volume = 100
        self.started_monotonic = time.monotonic()
        self._init_commands()
        # Node clock minus controller clock, measured on the last playlist pull (None: not yet).
        self.clock_offset_ms: int | None = None
        self.heartbeats = 0
        # Urgent notices not yet followed by their playlist (version -> when noticed), and those that were.
        self._urgent_noticed: dict[int, datetime] = {}
        self.urgent_pulls: list[UrgentPull] = []
        # The newest playlist version a notice announced: a pull answering older is retried soon.
        self._noticed_version = 0
        # Disk writes started from a callback (not awaited there), kept until done.
        self._background: set[asyncio.Task[None]] = set()

    def now(self) -> datetime:
        """The node's clock: the system clock plus any injected skew."""
        return datetime.now(UTC) + timedelta(seconds=self.faults.clock_skew_s)

    @property
    def on_air(self) -> list[str]:
        """Ids of the items playing now."""
        return [key[0] for key in self._on_air]

    # -- lifecycle ---------------------------------------------------------------------------------

    async def run(self) -> None:
        """Run until cancelled."""
        own_http = self._http is None
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.settings.http_timeout_s)
        self._restore_playlist()
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._mqtt_loop(), name=f"{self.code}-mqtt")
                group.create_task(self._sync_loop(), name=f"{self.code}-sync")
                group.create_task(self._faults_loop(), name=f"{self.code}-faults")
                group.create_task(self.stock_sync.run(), name=f"{self.code}-stock")
        finally:
            for task in self._timers.values():
                task.cancel()
            if own_http:
                await self._http.aclose()

    def _restore_playlist(self) -> None:
        saved = self.local.load_playlist()
        if saved is None:
            return
        raw, etag = saved
        try:
            playlist = Playlist.model_validate_json(raw)
        except ValidationError:
            log.warning("%s: saved playlist unreadable; waiting for a fresh one", self.code)
            return
        self._etag = etag
        self.content.restored(playlist)
        self._apply(playlist)

    # -- MQTT --------------------------------------------------------------------------------------

    def _state(self, state: str, seq: int) -> bytes:
        return encode(
            NodeState(
                state="online" if state == "online" else "offline",
                session_seq=seq,
                firmware=self.settings.firmware,
                at=self.now(),
            )
        )

    async def _mqtt_loop(self) -> None:
        s = self.settings
        delay = s.reconnect_min_s
        while True:
            try:
                seq = await asyncio.to_thread(self.local.next_session_seq)
            except OSError as exc:
                # A full or failing disk must not stop the node; the counter is only a tiebreaker.
                log.error("%s: cannot store the session counter: %s", self.code, exc)
                seq = int(self.now().timestamp())
            will = aiomqtt.Will(device_state_topic(self.code), self._state("offline", seq), qos=1, retain=True)
            try:
                self._check_network()
                async with aiomqtt.Client(
                    s.broker_host,
                    s.broker_port,
                    username=self.code,
                    password=s.password.get_secret_value(),
                    identifier=self.code,
                    will=will,
                    keepalive=s.keepalive_s,
                    timeout=s.publish_timeout_s,
                ) as client:
                    delay = s.reconnect_min_s
                    watchdog = asyncio.create_task(self._cut_link_on_fault(client), name=f"{self.code}-cut")
                    try:
                        await self._session(client, seq)
                    finally:
                        watchdog.cancel()
            except (aiomqtt.MqttError, httpx.ConnectError) as exc:
                log.info("%s: broker link down (%s); retrying in %.1f s", self.code, exc, delay)
            finally:
                self.connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, s.reconnect_max_s)

    async def _session(self, client: aiomqtt.Client, seq: int) -> None:
        await client.publish(device_state_topic(self.code), self._state("online", seq), qos=1, retain=True)
        await client.subscribe(commune_topics_filter(self.settings.commune), qos=1)
        await client.subscribe(device_command_topic(self.code), qos=1)
        self._mqtt, self._mqtt_seq = client, seq
        self.connected.set()
        self._sync_wanted.set()  # whatever changed while we were away
        self.stock_sync.wanted.set()
        self._resend_answers()
        sender = asyncio.create_task(self._send_reports(client), name=f"{self.code}-reports")
        beats = asyncio.create_task(self._send_heartbeats(client, seq), name=f"{self.code}-heartbeat")
        try:
            async for message in client.messages:
                self._on_message(str(message.topic), message.payload)
        except asyncio.CancelledError:
            # Shutting down on purpose: say so, since a clean disconnect suppresses the last will.
            with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
                await client.publish(
                    device_state_topic(self.code),
                    self._state("offline", seq),
                    qos=1,
                    retain=True,
                    timeout=1.0,
                )
            raise
        finally:
            sender.cancel()
            beats.cancel()

    # -- injected faults ---------------------------------------------------------------------------

    def _check_network(self) -> None:
        """Fail as an unreachable network would, while an injected cut lasts."""
        if self.faults.network_down():
            raise httpx.ConnectError("network cut (injected fault)")

    def _check_http(self) -> None:
        """Fail as an unreachable controller would: the network is cut, or only HTTP is (MQTT still up)."""
        self._check_network()
        if self.faults.http_down():
            raise httpx.ConnectError("HTTP cut (injected fault)")

    async def _cut_link_on_fault(self, client: aiomqtt.Client) -> None:
        """When an injected cut begins, drop the TCP connection without a DISCONNECT, as a dead link
        would: the broker publishes the last will, and the session ends with an MqttError."""
        while not self.faults.network_down():  # noqa: ASYNC110 (faults are set from outside, no event)
            await asyncio.sleep(self.settings.fault_poll_interval_s)
        log.info("%s: network cut (injected fault)", self.code)
        # aiomqtt has no public way to drop a link abruptly; paho's socket() is public on its client.
        sock = client._client.socket()
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    async def _faults_loop(self) -> None:
        """Apply `<state_dir>/faults.json` whenever it changes (see firmware_sim.faults)."""
        while True:
            # Only a changed file is read, in a thread; the check itself is one stat, cheaper than the
            # thread hop (which, once a second on every node of a simulated fleet, cost a fifth of its loop).
            spec = await asyncio.to_thread(self._faults_file.read) if self._faults_file.changed() else None
            if spec is not None:
                try:
                    self.faults.apply(spec)
                    log.warning("%s: faults applied: %s", self.code, spec)
                except (TypeError, ValueError) as exc:
                    log.warning("%s: faults.json ignored: %s", self.code, str(exc)[:200])
            await asyncio.sleep(self.settings.fault_poll_interval_s)

    def _on_message(self, topic: str, payload: object) -> None:
        if not isinstance(payload, bytes | bytearray):
            return
        if topic.endswith("/cmd"):  # this device's or its commune's command topic
            self._on_command(bytes(payload))
            return
        if topic.endswith("/stock"):  # the stock library's version
            self.stock_sync.on_notice(bytes(payload))
            return
        try:
            notice = decode(PlaylistNotice, bytes(payload))
        except ProtocolError as exc:
            log.warning("%s: ignoring invalid message on %s: %s", self.code, topic[:200], str(exc)[:200])
            return
        self._noticed_version = max(self._noticed_version, notice.version)
        if self.playlist is None or notice.version != self.playlist.version:
            if notice.urgent:  # an emergency: every second counts more than sparing the controller a burst
                self._urgent_noticed.setdefault(notice.version, self.now())
                if notice.playlist is not None and self._apply_pushed(notice):
                    return
                self._sync_wanted.set()
                return
            delay = random.uniform(0, self.settings.notice_jitter_s)
            asyncio.get_running_loop().call_later(delay, self._sync_wanted.set)

    async def _send_reports(self, client: aiomqtt.Client) -> None:
        while True:
            self._reports_waiting.clear()
            try:
                for report in self.outbox.pending():
                    await client.publish(
                        device_play_topic(self.code),
                        encode(report),
                        qos=1,
                        timeout=self.settings.publish_timeout_s,
                    )
                    self.outbox.done(report)
            except aiomqtt.MqttError as exc:
                log.info("%s: %d report(s) stay queued: %s", self.code, len(self.outbox), exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._reports_waiting.wait(), self.settings.playlist_poll_interval_s)

    # -- heartbeats -------------------------------------------------------------------------------

    async def _send_heartbeats(self, client: aiomqtt.Client, seq: int) -> None:
        """Every `heartbeat_interval_s` of the session, the first right after the birth. QoS 0: a lost
        heartbeat is replaced by the next one, and the controller tolerates missing ones by design."""
        while True:
            try:
                await client.publish(device_heartbeat_topic(self.code), encode(await self.heartbeat(seq)), qos=0)
                self.heartbeats += 1
            except aiomqtt.MqttError as exc:
                log.info("%s: heartbeat not sent: %s", self.code, exc)
            await asyncio.sleep(self.settings.heartbeat_interval_s)

    async def heartbeat(self, seq: int) -> Heartbeat:
        """How the node is now, from real sources where a simulated node has them."""
        try:
            free = (await asyncio.to_thread(shutil.disk_usage, self.settings.state_dir)).free
        except OSError:
            free = 0
        on_air = self.on_air
        return Heartbeat(
            session_seq=seq,
            sent_at=self.now(),
            uptime_s=int(time.monotonic() - self.started_monotonic),
            firmware=self.settings.firmware,
            volume=self.volume,
            amplifier="fault" if self.faults.amplifier_failed else "ok",
            # A simulated cluster has no line sensor and no thermometer; its line is taken as sound.
            speaker_line="ok",
            network=self.settings.network_type,
            signal_dbm=self.settings.signal_dbm,
            storage_free_mb=free // (1024 * 1024),
            clock_offset_ms=self.clock_offset_ms,
            current_item=on_air[0] if on_air else None,
            playlist_version=self.playlist.version if self.playlist is not None else None,
        )

    def _measure_clock(self, header: str | None, asked_at: datetime) -> None:
        """offset = node time at the answer - (controller time in the answer + half the round trip).

        The controller stamped its clock somewhere in the round trip; assuming the middle bounds the error
        by half the round trip (tens of ms on 4G), far below the 2 s that matters. A slow round trip (a
        congested link, a busy controller) bounds it too loosely to report: the previous value stays.
        """
        if not header:
            return
        try:
            server = datetime.fromisoformat(header)
        except ValueError:
            try:  # the content server's clock: Unix time with milliseconds (nginx's $msec)
                server = datetime.fromtimestamp(float(header), UTC)
            except (ValueError, OverflowError, OSError):
                return
        if server.tzinfo is None:
            return
        answered_at = self.now()
        rtt = answered_at - asked_at
        if rtt.total_seconds() > self.settings.clock_sample_max_rtt_s:
            return
        self.clock_offset_ms = round((answered_at - (server + rtt / 2)).total_seconds() * 1000)

    # -- playlist and audio over HTTP --------------------------------------------------------------

    async def _sync_loop(self) -> None:
        retry_s = self.settings.reconnect_min_s
        while True:
            self._sync_wanted.clear()
            wait_s = self.settings.playlist_poll_interval_s
            try:
                await self.sync_playlist()
                retry_s = self.settings.reconnect_min_s
            except (httpx.HTTPError, ValidationError, ProtocolError, MissingAudio, StalePlaylist, OSError) as exc:
                # Retry soon, backing off, rather than missing a new playlist for a whole poll interval.
                log.info("%s: playlist sync failed (%s); retrying in %.1f s", self.code, str(exc)[:300], retry_s)
                wait_s = min(retry_s, wait_s)
                retry_s = min(retry_s * 2, self.settings.reconnect_max_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._sync_wanted.wait(), wait_s)

    def _url(self, path: str) -> str:
        return self.settings.controller_url.rstrip("/") + path

    async def sync_playlist(self) -> None:
        assert self._http is not None
        self._check_http()
        headers = {"If-None-Match": self._etag} if self._etag else {}
        asked_at = self.now()
        http = self._http
        response, source = await self.content.pull_playlist(
            http,
            headers,
            lambda: http.get(
                self._url("/api/v1/node/playlist"),
                headers=headers,
                auth=self._auth,
                params={"codec": self.settings.codec} if self.settings.codec != "opus" else None,
            ),
        )
        self._measure_clock(response.headers.get(TIME_HEADER), asked_at)
        if response.status_code == 304:
            self._check_fresh()
            return
        response.raise_for_status()
        fetched_at = self.now()
        playlist = Playlist.model_validate_json(response.content)
        if playlist.commune != self.settings.commune:
            raise ProtocolError(f"playlist is for commune {playlist.commune}, not {self.settings.commune}")
        self.content.adopt(playlist, source)
        now = self.now()
        missing = 0
        for item in playlist.items:
            if item.stream is not None:
                continue  # a relay: nothing to download, the stream is played live
            if item.is_for(self.code) and self._still_due(item, now):
                missing += await self._ensure_audio(item) is None
        ready_at = self.now()
        # Keep the ETag only once all audio is here; otherwise the next pull fetches the playlist again
        # (not a 304) and retries the downloads.
        etag = response.headers.get("ETag", "") if not missing else ""
        await asyncio.to_thread(self.local.save_playlist, response.content, etag)
        self._etag = etag
        self._apply(playlist)
        for version in [v for v in self._urgent_noticed if v <= playlist.version]:
            noticed_at = self._urgent_noticed.pop(version)
            self.urgent_pulls.append(UrgentPull(version, noticed_at, asked_at, fetched_at, ready_at, self.now()))
        log.info("%s: playlist v%d with %d item(s)", self.code, playlist.version, len(playlist.items))
        if missing:
            raise MissingAudio(f"{missing} audio file(s) of playlist v{playlist.version} not fetched yet")
        self._check_fresh()

    def _check_fresh(self) -> None:
        held = self.playlist.version if self.playlist is not None else 0
        if held < self._noticed_version:
            raise StalePlaylist(f"pulled v{held}, but v{self._noticed_version} was announced")

    def _apply_pushed(self, notice: PlaylistNotice) -> bool:
        """Apply the playlist an urgent notice carries (1.5), without a pull; False if it cannot be used.

        Used only if the controller's command key signed it, it is this commune's, newer than the one
        in hand, and the node plays the Opus variant (an MP3 node pulls its own). The audio its items
        need is checked as the pull would: pinned stock messages and the cache need no HTTP. If some
        is missing, the pull still follows to fetch it; the timers are set meanwhile either way.
        """
        assert notice.playlist is not None
        raw = notice.playlist.encode()
        if self.settings.codec != "opus" or not self.commands.key_id:
            return False  # an MP3 node pulls its own variant; a node without the key cannot check it
        memo = (self.commands.key_id, raw, notice.signature or "")
        playlist = _pushed_playlists.get(memo)
        if playlist is None:
            if not self.commands.signed_by_controller(raw, notice.key_id, notice.signature):
                log.warning("%s: urgent notice v%d: playlist not signed by the controller", self.code, notice.version)
                return False
            try:
                playlist = Playlist.model_validate_json(raw)
            except ValidationError as exc:
                log.warning("%s: urgent notice v%d: invalid playlist: %s", self.code, notice.version, str(exc)[:200])
                return False
            _pushed_playlists.put(memo, playlist)
        if playlist.commune != self.settings.commune or playlist.version != notice.version:
            return False
        if self.playlist is not None and playlist.version <= self.playlist.version:
            return True  # already have it or newer: nothing to do, no pull either
        noticed_at = self._urgent_noticed.pop(playlist.version, self.now())
        now = self.now()
        due = [i for i in playlist.items if i.stream is None and i.is_for(self.code) and self._still_due(i, now)]
        local = all(self.stock.holds(i.asset_sha256) or self.cache.has(i.asset_sha256, i.codec) for i in due)
        self.content.adopt(playlist, self.content.playlist_url)
        self._apply(playlist)
        self._etag = ""  # the next pull fetches this version over HTTP once, and saves it with its ETag
        applied_at = self.now()
        pushed = UrgentPull(playlist.version, noticed_at, noticed_at, noticed_at, applied_at, applied_at)
        self.urgent_pulls.append(pushed)
        log.info("%s: playlist v%d applied from its urgent notice", self.code, playlist.version)
        save = asyncio.create_task(self._save_pushed(raw, playlist.version))
        self._background.add(save)
        save.add_done_callback(self._background.discard)
        if not local:
            self._sync_wanted.set()  # fetch the audio it lacks (the items' timers retry it before airtime too)
        return True

    async def _airtime_audio(self, item: PlaylistItem) -> bytes | None:
        """The item's audio, read and verified just before airtime (on the urgent I/O threads)."""
        loop = asyncio.get_running_loop()
        pinned = item.stock is not None or self.stock.holds(item.asset_sha256)
        read = self.stock.read_verified if pinned else self.cache.read_verified
        audio = await loop.run_in_executor(_urgent_io(), read, item.asset_sha256, item.codec)
        if audio is None:
            audio = await self._ensure_audio(item)  # one more try while there is time
        return audio

    async def _save_pushed(self, raw: bytes, version: int) -> None:
        """Keep a pushed playlist for a restart, unless a newer one came meanwhile (its pull saves that)."""
        if self.playlist is not None and self.playlist.version == version:
            await asyncio.to_thread(self.local.save_playlist, raw, "")

    async def _ensure_audio(self, item: PlaylistItem) -> bytes | None:
        if item.stock is not None or self.stock.holds(item.asset_sha256):
            # Pinned: no download. A stock message may sync the library once if it is not pinned yet.
            pinned = await self.stock_sync.audio_for(item.asset_sha256, item.codec, may_fetch=item.stock is not None)
            if pinned is not None or item.stock is not None:
                return pinned
        cached = await asyncio.to_thread(self.cache.read_verified, item.asset_sha256, item.codec)
        if cached is not None:
            return cached
        lock = self._download_locks.setdefault(f"{item.asset_sha256}.{item.codec}", asyncio.Lock())
        async with lock:
            return await self._fetch_audio(item)

    async def _fetch_audio(self, item: PlaylistItem) -> bytes | None:
        cached = await asyncio.to_thread(self.cache.read_verified, item.asset_sha256, item.codec)
        if cached is not None:  # fetched meanwhile, by whoever held the lock
            return cached
        # A second attempt at once, from zero, when the first one did not verify (a damaged download).
        for attempt in (1, 2):
            try:
                return await self.download_audio(item)
            except ChecksumMismatch as exc:
                self.rejected_downloads += 1
                log.warning("%s: audio %s rejected (attempt %d): %s", self.code, item.asset_sha256[:12], attempt, exc)
            except (httpx.HTTPError, OSError) as exc:
                log.warning("%s: audio %s not fetched: %s", self.code, item.asset_sha256[:12], str(exc)[:200])
                return None
        return None

    async def download_audio(self, item: PlaylistItem) -> bytes:
        """Fetch an item's audio into the cache, resuming a part left by an earlier, cut download.

        Sends `Range: bytes=N-` (with `If-Range: <ETag>`) when N bytes are already on disk; a 200 instead
        of a 206 (the file changed, or the server ignores ranges) starts over. The whole file is hashed
        before it enters the cache: raises ChecksumMismatch (the part is deleted) when it does not verify.
        From the content server when the item's playlist came from there or the item carries its own link
        (a play_now's `content_url`); from the controller when that server refuses (403: a tampered or
        expired link) or fails.
        """
        url = self.content.audio_url(item)
        if url is not None:
            try:
                data = await self._download_from(item, url, None)
                self.content.audio_fetches += 1
                return data
            except httpx.HTTPError as exc:
                self.content.audio_refused(item, str(exc))
            return await self._download_from(item, self._url(self.content.controller_audio_path(item)), self._auth)
        return await self._download_from(item, self._url(item.asset_url), self._auth)

    async def _download_from(self, item: PlaylistItem, url: str, auth: httpx.BasicAuth | None) -> bytes:
        assert self._http is not None
        self._check_http()
        sha, codec = item.asset_sha256, item.codec
        have = await asyncio.to_thread(self.cache.part_size, sha, codec)
        headers: dict[str, str] = {}
        if have:
            headers["Range"] = f"bytes={have}-"
            etag = await asyncio.to_thread(self.cache.part_etag, sha, codec)
            if etag:
                headers["If-Range"] = etag
        corrupt = self.faults.take_corruption()
        async with self._http.stream("GET", url, auth=auth, headers=headers) as response:
            if response.status_code == 416:  # the part is longer than the file: it is not this file's start
                await asyncio.to_thread(self.cache.discard_part, sha, codec)
            response.raise_for_status()
            if response.status_code != 206 or not response.headers.get("Content-Range", "").startswith(
                f"bytes {have}-"
            ):
                await asyncio.to_thread(self.cache.start_part, sha, codec, response.headers.get("ETag", ""))
            else:
                log.info("%s: resuming audio %s at byte %d", self.code, sha[:12], have)
            async for chunk in response.aiter_bytes(self.settings.download_chunk_bytes):
                self._check_http()  # a cut in the middle leaves the part for the next attempt
                if corrupt:
                    chunk, corrupt = bytes([chunk[0] ^ 0xFF]) + chunk[1:], False
                await asyncio.to_thread(self.cache.append_part, sha, codec, chunk)
        return await asyncio.to_thread(self.cache.commit_part, sha, codec)

    # -- playing -----------------------------------------------------------------------------------

    def _apply(self, playlist: Playlist) -> None:
        """Make the timers match the playlist: new items get one, removed items lose theirs.

        An item on air is never restarted by a new version. If the new version ends it sooner (an
        emergency pre-empts it) it is cut at its new end; if the new version drops it, it stops now.
        Items addressed to other clusters of the commune are skipped.
        """
        self.playlist = playlist
        now = self.now()
        wanted: dict[ItemKey, PlaylistItem] = {
            (item.item_id, item.starts_at, item.asset_sha256): item
            for item in playlist.items
            if item.is_for(self.code) and self._still_due(item, now)
        }
        self._keep_commanded(wanted)
        loop = asyncio.get_running_loop()
        for key, (stop, ends_at) in list(self._on_air.items()):
            if key not in wanted:
                # Dropped from the playlist: withdrawn, so it stops now; unless it started late and is past
                # its scheduled end, when the controller dropped it as over while it still plays.
                if not (key in self._overrunning and ends_at <= now):
                    stop.set()
                continue
            new = wanted[key]
            new_end = new.starts_at + timedelta(milliseconds=new.duration_ms)
            if new_end < ends_at:
                self._on_air[key] = (stop, new_end)
                loop.call_later(max(0.0, (new_end - now).total_seconds()), stop.set)
        for key in list(self._timers):
            if key not in wanted and key not in self._on_air:
                self._timers.pop(key).cancel()
        for key, item in wanted.items():
            if key not in self._timers:
                task = asyncio.create_task(self._play_at(item, playlist.version), name=f"{self.code}-{key[0]}")
                self._timers[key] = task
                task.add_done_callback(self._forget_timer(key))

    def _still_due(self, item: PlaylistItem, now: datetime) -> bool:
        """Is the item on air or still to air? An emergency also while it may still start late."""
        if item.starts_at + timedelta(milliseconds=item.duration_ms) > now:
            return True
        return item.priority == "emergency" and (now - item.starts_at).total_seconds() <= self._late_tolerance_s(item)

    def _late_tolerance_s(self, item: PlaylistItem) -> float:
        """How late the item may start and still air (from its beginning)."""
        if item.priority == "emergency":
            return max(self.settings.late_start_tolerance_s, self.settings.late_emergency_tolerance_s)
        return self.settings.late_start_tolerance_s

    async def _wait_for_horn(self) -> float:
        """Wait while a late-started item still plays past its scheduled end; the seconds waited."""
        began = time.monotonic()
        while self._overrunning:
            await self._horn_free.wait()
        return time.monotonic() - began

    def _horn_released(self, key: ItemKey) -> None:
        self._overrunning.discard(key)
        if not self._overrunning:
            self._horn_free.set()

    def _forget_timer(self, key: ItemKey) -> Callable[[asyncio.Task[None]], None]:
        def forget(task: asyncio.Task[None]) -> None:
            if self._timers.get(key) is task:
                del self._timers[key]

        return forget

    async def _sleep_until(self, moment: datetime) -> None:
        # Sleeping in slices (not one long sleep) is the point: see _MAX_SLEEP_SLICE_S.
        while (remaining := (moment - self.now()).total_seconds()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(min(remaining, _MAX_SLEEP_SLICE_S))

    async def _play_at(self, item: PlaylistItem, version: int) -> None:
        if item.stream is not None:
            await self._relay_at(item, version)
            return
        await self._sleep_until(item.starts_at - timedelta(seconds=self.settings.prepare_ahead_s))
        audio = await self._airtime_audio(item)
        if audio is not None:
            try:
                await self.sink.prepare(item, audio)
            except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
                log.error("%s: could not prepare %s: %s", self.code, item.item_id, exc)
        await self._sleep_until(item.starts_at)
        # Behind a late emergency still on air, the item starts when the horn is free; how long it waited
        # does not count against it (it was on time), so it airs late by as much.
        waited_s = await self._wait_for_horn() if self._overrunning else 0.0
        # A live broadcast on air (firmware_sim.live): the item airs after it, late by as much.
        waited_s += await self.live.hold(item)
        late_s = (self.now() - item.starts_at).total_seconds()
        if late_s - waited_s > self._late_tolerance_s(item):
            await self._report(item, version, None, f"bắt đầu trễ {late_s:.1f} giây, không phát")
            return
        if audio is None:
            await self._report(item, version, None, "thiếu tệp âm thanh hợp lệ")
            return
        if self.faults.amplifier_failed:
            log.warning("%s: %s not played: amplifier fault", self.code, item.item_id)
            await self._report(item, version, None, AMPLIFIER_FAULT_VI)
            return
        log.info("%s: playing %s %r (v%d)", self.code, item.item_id, item.title, version)
        if late_s > 1:
            log.info("%s: %s starts %.1f s late", self.code, item.item_id, late_s)
        key: ItemKey = (item.item_id, item.starts_at, item.asset_sha256)
        stop = asyncio.Event()
        # The scheduled end, which a new version may bring forward (pre-emption); a late start plays on past it.
        self._on_air[key] = (stop, item.starts_at + timedelta(milliseconds=item.duration_ms))
        if (waiter := self._on_air_waiters.get(key)) is not None:
            waiter.set()
        if late_s > 1:
            self._overrunning.add(key)
            self._horn_free.clear()
        try:
            played = await self.sink.play(item, audio, stop)
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            log.error("%s: audio output failed for %s: %s", self.code, item.item_id, exc)
            await self._report(item, version, None, f"lỗi phát âm thanh: {str(exc)[:200]}")
            return
        finally:
            self._on_air.pop(key, None)
            self._horn_released(key)
        self.plays += 1
        if played.interrupted:
            seconds = (played.ended_at - played.started_at).total_seconds()
            log.info("%s: %s interrupted after %.1f s", self.code, item.item_id, seconds)
            why = "theo lệnh dừng" if key in self._stopped else "để phát tin khác"
            await self._report(item, version, played, f"bị ngắt sau {seconds:.1f} giây {why}")
            return
        await self._report(item, version, played, "")

    # -- relays (protocol 1.3) -----------------------------------------------------------------------

    def _relay_timing(self) -> RelayTiming:
        s = self.settings
        return RelayTiming(
            reconnect_min_s=s.relay_reconnect_min_s,
            reconnect_max_s=max(s.relay_reconnect_min_s, s.relay_reconnect_max_s),
            stall_timeout_s=s.relay_stall_timeout_s,
            buffer_ms=s.relay_buffer_ms,
            check_timeout_s=s.relay_check_timeout_s,
        )

    async def _relay_at(self, item: PlaylistItem, version: int) -> None:
        """Check the source ahead of the slot, then relay it live from the start to the end (or a stop)."""
        assert item.stream is not None
        timing = self._relay_timing()
        await self._sleep_until(item.starts_at - timedelta(seconds=self.settings.relay_check_ahead_s))
        # Checked only when there is time left before the start (a timer set mid-slot goes straight on air).
        if (item.starts_at - self.now()).total_seconds() > 1:
            problem = await check_stream(
                item.stream.url, min(timing.check_timeout_s, (item.starts_at - self.now()).total_seconds())
            )
            if problem is not None:
                log.warning("%s: relay source of %s unreachable: %s", self.code, item.item_id, problem)
                await self._send_relay_check(item, problem)
        fill_pcm = await self._fill_pcm(item)
        relay = StreamRelay(item, timing, fill_pcm=fill_pcm, now=self.now)
        await self._sleep_until(item.starts_at - timedelta(seconds=self.settings.prepare_ahead_s))
        late_s = (self.now() - item.starts_at).total_seconds()
        if late_s > self.settings.late_start_tolerance_s:
            await self._report(item, version, None, f"bắt đầu trễ {late_s:.1f} giây, không tiếp sóng")
            return
        if self.faults.amplifier_failed:
            await self._report(item, version, None, AMPLIFIER_FAULT_VI)
            return
        if self._overrunning:  # a late emergency still on air: the relay joins when it ends (and ends on time)
            await self._wait_for_horn()
        relay.connect()  # the stream is buffered from here, so the start is on air at once
        await self._sleep_until(item.starts_at)
        await self.live.hold(item)
        log.info("%s: relaying %s %r from %s (v%d)", self.code, item.item_id, item.title, item.stream.url, version)
        key: ItemKey = (item.item_id, item.starts_at, item.asset_sha256)
        stop = asyncio.Event()
        self._on_air[key] = (stop, item.starts_at + timedelta(milliseconds=item.duration_ms))
        try:
            played = await self.sink.play_stream(item, relay.chunks(stop), stop)
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            log.error("%s: audio output failed for relay %s: %s", self.code, item.item_id, exc)
            await self._report(item, version, None, f"lỗi phát âm thanh: {str(exc)[:200]}", relay=relay.account)
            return
        finally:
            self._on_air.pop(key, None)
        self.plays += 1
        account = relay.account
        minutes = account.relayed_ms / 60_000
        gaps = len(account.interruptions)
        if account.relayed_ms == 0:
            fill = "bản tin mẫu" if fill_pcm else "im lặng"
            detail = f"không nhận được luồng tiếp sóng ({account.last_error[:150]}); đã phát {fill} thay thế"
            await self._report(item, version, played, detail, relay=account, failed=True)
            return
        detail = f"tiếp sóng {minutes:.1f} phút, {gaps} lần ngắt"
        if played.interrupted:
            why = "theo lệnh dừng" if key in self._stopped else "để phát tin khác"
            detail += f"; bị ngắt {why}"
        await self._report(item, version, played, detail, relay=account)

    async def _fill_pcm(self, item: PlaylistItem) -> bytes | None:
        """The commune's fill for a failed relay, decoded from the pinned stock message (None: silence)."""
        fill = item.stream.fill if item.stream is not None else None
        if fill is None:
            return None
        entry = self.stock.entry(fill.key, fill.language)
        audio = await asyncio.to_thread(self.stock.read_verified, entry.sha256, entry.codec) if entry else None
        if audio is None:
            log.warning("%s: relay fill %s/%s not pinned: silence instead", self.code, fill.key, fill.language)
            return None
        try:
            return await asyncio.to_thread(decode_to_pcm, audio)
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            log.warning("%s: relay fill not decoded (%s): silence instead", self.code, exc)
            return None

    async def _send_relay_check(self, item: PlaylistItem, problem: str) -> None:
        """Tell the controller the source did not answer (best effort: it matters only before the slot)."""
        assert item.stream is not None
        check = RelayCheck(
            commune=self.settings.commune,
            item_id=item.item_id,
            starts_at=item.starts_at,
            url=item.stream.url,
            reachable=False,
            checked_at=self.now(),
            detail=problem[:300],
        )
        client = self._mqtt
        if client is None:
            return
        with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
            await client.publish(
                device_relay_topic(self.code), encode(check), qos=1, timeout=self.settings.publish_timeout_s
            )

    async def _report(
        self,
        item: PlaylistItem,
        version: int,
        played: PlayedAudio | None,
        detail: str,
        *,
        relay: RelayAccount | None = None,
        failed: bool = False,
    ) -> None:
        now = self.now()
        report = PlayReport(
            report_id=uuid.uuid4().hex,
            commune=self.settings.commune,
            playlist_version=version,
            item_id=item.item_id,
            asset_sha256=item.asset_sha256,
            played_sha256=played.played_sha256 if played else None,
            scheduled_start=item.starts_at,
            started_at=played.started_at if played else now,
            ended_at=played.ended_at if played else now,
            outcome=("interrupted" if played.interrupted else "played") if played and not failed else "failed",
            detail=detail,
            relayed_ms=relay.relayed_ms if relay is not None else None,
            interruptions=relay.bounded() if relay is not None else None,
        )
        await asyncio.to_thread(self.outbox.put, report)
        self._reports_waiting.set()

    # -- signed commands ---------------------------------------------------------------------------

    # The live broker session and its number, for answering commands (set by _session).
    _mqtt: aiomqtt.Client | None
    _mqtt_seq: int

    def _init_commands(self) -> None:
        s = self.settings
        self.volume = load_volume(s.state_dir, self.volume)
        if isinstance(self.sink, FileSink | PyAudioSink):
            self.sink.volume_pct = self.volume
        self.commands = CommandVerifier(
            s.command_public_key,
            device_code=self.code,
            commune=s.commune,
            max_age_s=s.command_max_age_s,
            nonces=NonceStore(s.state_dir / "command_nonces.json"),
        )
        self._mqtt = None
        self._mqtt_seq = 0
        self._command_lock = asyncio.Lock()
        self._command_tasks: set[asyncio.Task[None]] = set()
        # Acks and results whose publish failed, sent again when the next session starts.
        self._unsent_answers: list[tuple[str, bytes]] = []
        # play_now items on air or about to be (kept by _apply), and items a stop command ended (not re-aired).
        self._commanded: dict[ItemKey, PlaylistItem] = {}
        # A play_now waiting for its item to go on air (or to fail), to send its result.
        self._on_air_waiters: dict[ItemKey, asyncio.Event] = {}
        self._stopped: set[ItemKey] = set()
        # Every ack this node sent, newest last (the simulator's record, like `plays`).
        self.command_acks: list[CommandAck] = []
        # Live broadcasts from the console (live_start / live_stop, protocol 1.6).
        self.live = LiveBroadcasts(
            s,
            sink=lambda: self.sink,
            on_air=self._on_air,
            stop_on_air=self._stop_on_air,
            report=self._report,
            version=lambda: self.playlist.version if self.playlist is not None else 0,
            now=self.now,
            timing=self._relay_timing,
        )

    def _keep_commanded(self, wanted: dict[ItemKey, PlaylistItem]) -> None:
        """Called by _apply: a play_now item survives a new playlist; an item stopped by command stays stopped."""
        self._stopped = {key for key in self._stopped if key in wanted}  # forget items that are over
        for key in self._stopped:
            wanted.pop(key, None)
        wanted.update(self._commanded)

    def _on_command(self, payload: bytes) -> None:
        task = asyncio.create_task(self._handle_command(payload), name=f"{self.code}-command")
        self._command_tasks.add(task)
        task.add_done_callback(self._command_tasks.discard)

    async def _handle_command(self, payload: bytes) -> None:
        client = self._mqtt
        if client is None:
            return
        async with self._command_lock:  # one verdict at a time, so a duplicate cannot slip past the nonce check
            loop = asyncio.get_running_loop()
            verdict = await loop.run_in_executor(_urgent_io(), self.commands.check, payload, self.now())
        if verdict.command_id is None:
            log.warning("%s: unreadable command dropped: %r", self.code, payload[:120])
            return
        if verdict.body is None:
            log.warning("%s: command %s refused: %s", self.code, verdict.command_id, verdict.reason)
        ack = CommandAck(
            command_id=verdict.command_id, accepted=verdict.body is not None, reason=verdict.reason, at=self.now()
        )
        self.command_acks.append(ack)
        await self._answer(device_ack_topic(self.code), encode(ack))
        if verdict.body is None:
            return
        # The command runs whether or not its ack got through: an emergency must not wait on a slow link.
        log.info("%s: running command %s %s", self.code, verdict.body.name, verdict.body.command_id)
        ok, detail = await self._execute(verdict.body)
        result = CommandResult(command_id=verdict.body.command_id, ok=ok, detail=detail[:500], at=self.now())
        await self._answer(device_result_topic(self.code), encode(result))
        if verdict.body.name == "reboot" and self._mqtt is client:
            await self._restart_session(client)

    async def _answer(self, topic: str, payload: bytes) -> None:
        """Publish an ack or result; if the link fails, keep it and send it again on the next session.

        While older answers wait, this one waits behind them: the controller takes a result only after
        the ack that accepted the command."""
        client = self._mqtt
        if client is not None and not self._unsent_answers:
            try:
                await client.publish(topic, payload, qos=1, timeout=self.settings.publish_timeout_s)
                return
            except aiomqtt.MqttError as exc:
                log.warning("%s: command answer on %s not sent yet: %s", self.code, topic[-40:], exc)
        if len(self._unsent_answers) >= _MAX_UNSENT_ANSWERS:
            self._unsent_answers.pop(0)  # the oldest: its command has long timed out at the controller
        self._unsent_answers.append((topic, payload))

    def _resend_answers(self) -> None:
        """On a new session: command answers that did not get through before (kept in memory only)."""
        pending, self._unsent_answers = self._unsent_answers, []

        async def resend() -> None:
            for topic, payload in pending:
                await self._answer(topic, payload)

        if pending:
            task = asyncio.create_task(resend(), name=f"{self.code}-answers")
            self._command_tasks.add(task)
            task.add_done_callback(self._command_tasks.discard)

    async def _execute(self, body: CommandBody) -> tuple[bool, str]:
        """Run an accepted command; (ok, Vietnamese detail for the operator)."""
        if body.name == "set_volume":
            assert body.volume is not None
            self.volume = body.volume
            if isinstance(self.sink, FileSink | PyAudioSink):
                self.sink.volume_pct = body.volume
            try:
                await asyncio.to_thread(save_volume, self.settings.state_dir, body.volume)
            except OSError as exc:
                return True, f"Đã đặt âm lượng {body.volume}%, nhưng chưa lưu được: {str(exc)[:200]}"
            return True, f"Đã đặt âm lượng {body.volume}%."
        if body.name == "stop":
            stopped = self._stop_on_air()
            return True, f"Đã dừng {stopped} mục đang phát." if stopped else "Không có gì đang phát."
        if body.name == "play_now":
            assert body.item is not None
            return await self._play_now(body.item)
        if body.name == "resync":
            self._etag = ""  # pull the whole playlist again, even if the controller's ETag has not changed
            try:
                await self.sync_playlist()
            except (httpx.HTTPError, ValidationError, ProtocolError, MissingAudio, OSError) as exc:
                self._sync_wanted.set()  # the sync loop keeps trying
                return False, f"Đồng bộ lịch phát chưa xong: {str(exc)[:200]}"
            version = self.playlist.version if self.playlist is not None else 0
            return True, f"Đã đồng bộ lịch phát phiên bản {version}."
        if body.name == "reboot":
            return True, "Cụm loa kết nối lại với phiên mới."
        if body.name in ("live_start", "live_stop"):
            assert body.live is not None
            return await (self.live.start if body.name == "live_start" else self.live.stop)(body.live)
        verdict = await asyncio.to_thread(self._self_test)
        if self.stock.manifest is not None and self.stock.missing(self.stock.manifest):
            self.stock_sync.wanted.set()  # fetch again what the test found damaged
        return verdict

    def _stop_on_air(self) -> int:
        """Cut everything on air; it is reported as interrupted, and not aired again by the next playlist sync."""
        for key, (stop, _) in self._on_air.items():
            self._stopped.add(key)
            self._commanded.pop(key, None)
            stop.set()
        return len(self._on_air)

    async def _play_now(self, command_item: PlaylistItem) -> tuple[bool, str]:
        """Pre-empt what is on air and play `command_item` now, through the same path as a playlist item."""
        item = command_item.model_copy(update={"starts_at": self.now(), "clusters": None})
        if await self._ensure_audio(item) is None:
            if item.stock is not None:
                return False, (
                    f"Bản tin mẫu {item.stock.key}/{item.stock.language} không có trong bộ nhớ hoặc sai mã sha256: "
                    "không phát, đang tải lại thư viện."
                )
            return False, "Không tải được tệp âm thanh để phát."
        self._stop_on_air()
        item = item.model_copy(update={"starts_at": self.now()})
        key: ItemKey = (item.item_id, item.starts_at, item.asset_sha256)
        self._commanded[key] = item
        version = self.playlist.version if self.playlist is not None else 0
        went_on_air = self._on_air_waiters[key] = asyncio.Event()
        task = asyncio.create_task(self._play_at(item, version), name=f"{self.code}-{item.item_id}")
        self._timers[key] = task
        task.add_done_callback(self._forget_timer(key))
        task.add_done_callback(lambda _: self._commanded.pop(key, None))
        task.add_done_callback(lambda _: went_on_air.set())
        # The result says whether it went on air; the proof of play follows when it ends. (Waited for by
        # an event, not by polling: a fleet process polling for 1,000 nodes at once starved its own loop.)
        await went_on_air.wait()
        self._on_air_waiters.pop(key, None)
        if key in self._on_air:
            return True, f"Đang phát: {item.title[:200]}"
        return False, "Không phát được (xem báo cáo phát)."

    def _self_test(self) -> tuple[bool, str]:
        """Silent: the current playlist's audio in the cache, the pinned stock library, the amplifier, free storage."""
        now = self.now()
        items = {
            (item.asset_sha256, item.codec)
            for item in (self.playlist.items if self.playlist is not None else ())
            if item.stream is None  # a relay has no file to hold
            and item.is_for(self.code)
            and item.starts_at + timedelta(milliseconds=item.duration_ms) > now
        }
        intact = sum(self.cache.read_verified(sha, codec) is not None for sha, codec in items)
        free_mb = shutil.disk_usage(self.settings.state_dir).free // (1024 * 1024)
        problems = []
        if intact < len(items):
            problems.append(f"thiếu hoặc hỏng {len(items) - intact}/{len(items)} tệp âm thanh")
        stock_intact, stock_listed = self.stock.check()  # a damaged file is deleted (and fetched again)
        if stock_intact < stock_listed:
            problems.append(f"thiếu hoặc hỏng {stock_listed - stock_intact}/{stock_listed} tệp bản tin mẫu")
        if self.faults.amplifier_failed:
            problems.append("bộ khuếch đại báo lỗi")
        if free_mb < _MIN_FREE_STORAGE_MB:
            problems.append(f"bộ nhớ chỉ còn {free_mb} MB")
        summary = (
            f"âm thanh {intact}/{len(items)} tệp nguyên vẹn, bản tin mẫu {stock_intact}/{stock_listed}, "
            f"bộ nhớ trống {free_mb} MB"
        )
        if problems:
            return False, f"Tự kiểm tra có lỗi: {'; '.join(problems)} ({summary})."
        return True, f"Tự kiểm tra đạt: {summary}, bộ khuếch đại bình thường."

    async def _restart_session(self, client: aiomqtt.Client) -> None:
        """The reboot command: say offline, then drop the session; the MQTT loop reconnects with a new one."""
        seq = self._mqtt_seq
        with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
            await client.publish(
                device_state_topic(self.code), self._state("offline", seq), qos=1, retain=True, timeout=1.0
            )
        log.info("%s: restarting its broker session on command", self.code)
        client._client.disconnect()
