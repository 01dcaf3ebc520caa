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
import subprocess
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import aiomqtt
import httpx
from pydantic import ValidationError

from devices.protocol import (
    TIME_HEADER,
    Heartbeat,
    NodeState,
    Playlist,
    PlaylistItem,
    PlaylistNotice,
    PlayReport,
    ProtocolError,
    commune_topics_filter,
    decode,
    device_heartbeat_topic,
    device_play_topic,
    device_state_topic,
    encode,
)
from firmware_sim.audio_cache import AudioCache, ChecksumMismatch
from firmware_sim.config import NodeSettings
from firmware_sim.faults import Faults
from firmware_sim.outbox import Outbox
from firmware_sim.sink import AudioSink, FileSink, PlayedAudio, PyAudioSink
from firmware_sim.state import NodeState as LocalState

log = logging.getLogger(__name__)

# Long waits are slept in slices so that a wall-clock correction (NTP) is noticed before airtime.
_MAX_SLEEP_SLICE_S = 30.0

ItemKey = tuple[str, datetime, str]


class MissingAudio(Exception):
    """Some audio of the playlist could not be fetched; the sync is retried soon."""


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
        self.sink = sink or make_sink(settings)
        self._http = http
        self._auth = httpx.BasicAuth(settings.device_code, settings.password.get_secret_value())
        self.playlist: Playlist | None = None
        self._etag = ""
        self._timers: dict[ItemKey, asyncio.Task[None]] = {}
        # Items playing now, with the event that stops them and the instant they are due to end.
        self._on_air: dict[ItemKey, tuple[asyncio.Event, datetime]] = {}
        self._sync_wanted = asyncio.Event()
        self._reports_waiting = asyncio.Event()
        self.connected = asyncio.Event()
        self.plays = 0
        self.faults = Faults()
        # Output volume 0-100 (set by the set_volume command; reported in heartbeats).
        self.volume = 100
        self.started_monotonic = time.monotonic()
        # Node clock minus controller clock, measured on the last playlist pull (None: not yet).
        self.clock_offset_ms: int | None = None
        self.heartbeats = 0

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
                    await self._session(client, seq)
            except aiomqtt.MqttError as exc:
                log.info("%s: broker link down (%s); retrying in %.1f s", self.code, exc, delay)
            finally:
                self.connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, s.reconnect_max_s)

    async def _session(self, client: aiomqtt.Client, seq: int) -> None:
        await client.publish(device_state_topic(self.code), self._state("online", seq), qos=1, retain=True)
        await client.subscribe(commune_topics_filter(self.settings.commune), qos=1)
        self.connected.set()
        self._sync_wanted.set()  # whatever changed while we were away
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

    def _on_message(self, topic: str, payload: object) -> None:
        if not isinstance(payload, bytes | bytearray):
            return
        try:
            notice = decode(PlaylistNotice, bytes(payload))
        except ProtocolError as exc:
            log.warning("%s: ignoring invalid message on %s: %s", self.code, topic[:200], str(exc)[:200])
            return
        if self.playlist is None or notice.version != self.playlist.version:
            if notice.urgent:  # an emergency: every second counts more than sparing the controller a burst
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
        by half the round trip (tens of ms on 4G), far below the 2 s that matters.
        """
        if not header:
            return
        try:
            server = datetime.fromisoformat(header)
        except ValueError:
            return
        if server.tzinfo is None:
            return
        answered_at = self.now()
        rtt = answered_at - asked_at
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
            except (httpx.HTTPError, ValidationError, ProtocolError, MissingAudio, OSError) as exc:
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
        headers = {"If-None-Match": self._etag} if self._etag else {}
        asked_at = self.now()
        response = await self._http.get(
            self._url("/api/v1/node/playlist"),
            headers=headers,
            auth=self._auth,
            params={"codec": self.settings.codec} if self.settings.codec != "opus" else None,
        )
        self._measure_clock(response.headers.get(TIME_HEADER), asked_at)
        if response.status_code == 304:
            return
        response.raise_for_status()
        playlist = Playlist.model_validate_json(response.content)
        if playlist.commune != self.settings.commune:
            raise ProtocolError(f"playlist is for commune {playlist.commune}, not {self.settings.commune}")
        now = self.now()
        missing = 0
        for item in playlist.items:
            if item.is_for(self.code) and item.starts_at + timedelta(milliseconds=item.duration_ms) > now:
                missing += await self._ensure_audio(item) is None
        # Keep the ETag only once all audio is here; otherwise the next pull fetches the playlist again
        # (not a 304) and retries the downloads.
        etag = response.headers.get("ETag", "") if not missing else ""
        await asyncio.to_thread(self.local.save_playlist, response.content, etag)
        self._etag = etag
        self._apply(playlist)
        log.info("%s: playlist v%d with %d item(s)", self.code, playlist.version, len(playlist.items))
        if missing:
            raise MissingAudio(f"{missing} audio file(s) of playlist v{playlist.version} not fetched yet")

    async def _ensure_audio(self, item: PlaylistItem) -> bytes | None:
        cached = await asyncio.to_thread(self.cache.read_verified, item.asset_sha256, item.codec)
        if cached is not None:
            return cached
        assert self._http is not None
        try:
            response = await self._http.get(self._url(item.asset_url), auth=self._auth)
            response.raise_for_status()
            await asyncio.to_thread(self.cache.put, item.asset_sha256, item.codec, response.content)
            return response.content
        except (httpx.HTTPError, ChecksumMismatch) as exc:
            log.warning("%s: audio %s not fetched: %s", self.code, item.asset_sha256[:12], str(exc)[:200])
            return None

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
            if item.is_for(self.code) and item.starts_at + timedelta(milliseconds=item.duration_ms) > now
        }
        loop = asyncio.get_running_loop()
        for key, (stop, ends_at) in list(self._on_air.items()):
            if key not in wanted:
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
        await self._sleep_until(item.starts_at - timedelta(seconds=self.settings.prepare_ahead_s))
        audio = await asyncio.to_thread(self.cache.read_verified, item.asset_sha256, item.codec)
        if audio is None:
            audio = await self._ensure_audio(item)  # one more try while there is time
        if audio is not None:
            try:
                await self.sink.prepare(item, audio)
            except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
                log.error("%s: could not prepare %s: %s", self.code, item.item_id, exc)
        await self._sleep_until(item.starts_at)
        late_s = (self.now() - item.starts_at).total_seconds()
        if late_s > self.settings.late_start_tolerance_s:
            await self._report(item, version, None, f"bắt đầu trễ {late_s:.1f} giây, không phát")
            return
        if audio is None:
            await self._report(item, version, None, "thiếu tệp âm thanh hợp lệ")
            return
        log.info("%s: playing %s %r (v%d)", self.code, item.item_id, item.title, version)
        key: ItemKey = (item.item_id, item.starts_at, item.asset_sha256)
        stop = asyncio.Event()
        self._on_air[key] = (stop, item.starts_at + timedelta(milliseconds=item.duration_ms))
        try:
            played = await self.sink.play(item, audio, stop)
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            log.error("%s: audio output failed for %s: %s", self.code, item.item_id, exc)
            await self._report(item, version, None, f"lỗi phát âm thanh: {str(exc)[:200]}")
            return
        finally:
            self._on_air.pop(key, None)
        self.plays += 1
        if played.interrupted:
            seconds = (played.ended_at - played.started_at).total_seconds()
            log.info("%s: %s interrupted after %.1f s", self.code, item.item_id, seconds)
            await self._report(item, version, played, f"bị ngắt sau {seconds:.1f} giây để phát tin khác")
            return
        await self._report(item, version, played, "")

    async def _report(self, item: PlaylistItem, version: int, played: PlayedAudio | None, detail: str) -> None:
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
            outcome=("interrupted" if played.interrupted else "played") if played else "failed",
            detail=detail,
        )
        await asyncio.to_thread(self.outbox.put, report)
        self._reports_waiting.set()
