"""Live sessions at run time on this controller instance: the browser's connections, their ffmpeg, the
watchdog that ends a session gone silent or disconnected, the recording, and the nodes' commands.

The hub runs on the app's event loop; database work and ffmpeg's blocking calls go to threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from audio_library import AssetStore
from audio_library.asset import save_asset
from audio_library.codec import EncodedAudio
from controller.live.pipeline import LivePipeline, PipelineBroken, duration_ms, join_recordings
from controller.live.session import LiveSession
from controller.live.settings import LiveSettings
from controller.live.workflow import end, get_session, open_sessions, targeted_devices
from devices.commands import CommandCenter, new_command_body
from devices.errors import BrokerUnavailable
from devices.protocol import LiveSpec

log = logging.getLogger(__name__)

# How often the watchdog looks at each session's clock and silence detector.
_WATCH_INTERVAL_S = 0.5
# How often it asks the database whether a session it runs was ended through another instance (its stop
# request went to another `loaxa serve` behind the proxy): every 4th look, 2 s.
_ENDED_ELSEWHERE_EVERY = 4


@dataclass
class LiveRun:
    """One session's run on this instance."""

    key: str
    started: float = field(default_factory=time.monotonic)
    last_audio: float = field(default_factory=time.monotonic)
    pipeline: LivePipeline | None = None
    parts: list[Path] = field(default_factory=list)
    connected: bool = False
    commanded: bool = False
    # The browser was told its audio is on air.
    announced: bool = False
    # While a chunk is being handed to ffmpeg: since when (a write that does not return: ffmpeg is stuck).
    feeding_since: float | None = None
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    end_reason: str = ""
    end_detail: str = ""


class LiveHub:
    def __init__(
        self,
        settings: LiveSettings,
        sessions: Callable[[], Session],
        store: AssetStore,
        *,
        work_dir: Path,
        commands: Callable[[], CommandCenter | None],
    ) -> None:
        self.settings = settings
        self._sessions = sessions
        self._store = store
        self._work_dir = work_dir
        self._commands = commands
        self._runs: dict[str, LiveRun] = {}
        self._watchdog: asyncio.Task[None] | None = None
        self._ending: set[asyncio.Task[None]] = set()

    # -- where the streaming server is ---------------------------------------------------------------

    @property
    def icecast_url(self) -> str:
        ice = self.settings.icecast
        return f"http://{ice.host}:{ice.port}"

    @property
    def public_icecast_url(self) -> str:
        return self.settings.public_icecast_url.rstrip("/") or self.icecast_url

    def source_url(self, mount: str) -> str:
        ice = self.settings.icecast
        return f"icecast://source:{ice.source_password}@{ice.host}:{ice.port}{mount}"

    # -- lifecycle -----------------------------------------------------------------------------------

    async def start(self) -> None:
        """End sessions a previous run of this controller left open (their browsers and ffmpeg are gone)."""
        await asyncio.to_thread(self._end_orphans)
        self._watchdog = asyncio.create_task(self._watch(), name="live-watchdog")

    def _end_orphans(self) -> None:
        with self._sessions() as session:
            for live in open_sessions(session):
                if live.key not in self._runs and live.on_air_at is not None:
                    end(session, live, "restart", "máy chủ khởi động lại trong khi phát", datetime.now(UTC))

    async def stop(self) -> None:
        for key in list(self._runs):
            await self.end(key, "restart", "máy chủ dừng")
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog

    def opened(self, key: str) -> None:
        """A new session: watched from now on, so one whose browser never connects ends by itself too."""
        self.run_of(key)

    def run_of(self, key: str) -> LiveRun:
        run = self._runs.get(key)
        if run is None:
            run = self._runs[key] = LiveRun(key)
        return run

    # -- audio from the browser ----------------------------------------------------------------------

    async def connect(self, key: str) -> LiveRun:
        """A browser connection: a new ffmpeg (each connection starts a new stream: its own header)."""
        run = self.run_of(key)
        if run.pipeline is not None:
            await self._finish_pipeline(run)
        part = self._work_dir / f"{key}-{len(run.parts)}.ogg"
        run.parts.append(part)
        run.pipeline = LivePipeline(
            self.source_url(f"/live/{key}.ogg"),
            part,
            silence_db=self.settings.silence_threshold_db,
            silence_s=self.settings.idle_timeout_s,
        )
        await asyncio.to_thread(run.pipeline.start)
        run.connected = True
        run.last_audio = time.monotonic()
        return run

    @property
    def ready(self) -> bool:
        """Whether there is a streaming server to push to (a port is known)."""
        return self.settings.icecast.port != 0

    async def feed(self, run: LiveRun, data: bytes) -> str | None:
        """One chunk of audio; None, or why ffmpeg no longer takes it ("not_audio" or "error")."""
        pipeline = run.pipeline
        assert pipeline is not None
        run.feeding_since = time.monotonic()
        try:
            await asyncio.to_thread(pipeline.feed, data)
        except PipelineBroken:
            await asyncio.to_thread(pipeline.finish, 1.0)  # its last words say whose fault it was
            return pipeline.failure
        finally:
            run.feeding_since = None
        run.last_audio = time.monotonic()
        if not run.commanded:
            run.commanded = True
            task = asyncio.create_task(asyncio.to_thread(self._go_on_air, run.key), name=f"live-on-air-{run.key}")
            self._ending.add(task)
            task.add_done_callback(self._ending.discard)
        return None

    def disconnected(self, run: LiveRun) -> None:
        run.connected = False

    # -- the nodes -----------------------------------------------------------------------------------

    def _go_on_air(self, key: str) -> None:
        with self._sessions() as session:
            live = get_session(session, key)
            if live.ended_at is not None:
                return
            live.on_air_at = datetime.now(UTC)
            session.add(live)
            session.commit()
            self._command(session, live, "live_start")

    def _command(self, session: Session, live: LiveSession, name: str) -> None:
        center = self._commands()
        if center is None:
            log.warning("live %s: no broker connection, nodes not commanded (%s)", live.key, name)
            return
        now = datetime.now(UTC)  # nodes judge freshness by real time
        for commune, devices, everyone in targeted_devices(session, live):
            if not devices:
                continue
            clusters = None if everyone else tuple(d.code for d in devices)
            spec = LiveSpec(
                session_id=live.key,
                url=f"{self.public_icecast_url}{live.mount}" if name == "live_start" else "",
                title=live.title[:300],
                priority="emergency" if live.priority == "emergency" else "normal",
                pre_empt=live.pre_empt,
                clusters=clusters,
                max_duration_ms=self.settings.max_duration_s * 1000,
            )
            # The whole commune: one message on its topic; some clusters: one per cluster.
            targets = [(commune.code, "commune", devices)] if everyone else [(d.code, "device", [d]) for d in devices]
            for target, scope, addressed in targets:
                body = new_command_body(
                    "live_start" if name == "live_start" else "live_stop",
                    scope="commune" if scope == "commune" else "device",
                    target=target,
                    now=now,
                    live=spec,
                    command_id=uuid.uuid4().hex,
                )
                try:
                    center.issue(session, body, addressed, commune_code=commune.code, issued_by="live")
                except BrokerUnavailable as exc:
                    log.warning("live %s: %s to %s not sent: %s", live.key, name, target, exc)

    # -- ending --------------------------------------------------------------------------------------

    async def end(self, key: str, reason: str, detail: str = "") -> None:
        """End the session: ffmpeg closes the mount, the nodes are told, the recording is kept. Idempotent."""
        run = self._runs.get(key)
        if run is not None and run.end_reason:
            await run.ended.wait()
            return
        if run is None:
            run = self.run_of(key)
        run.end_reason, run.end_detail = reason, detail
        try:
            await self._finish_pipeline(run)
            await asyncio.to_thread(self._close, run)
        finally:
            run.ended.set()
            self._runs.pop(key, None)

    async def _finish_pipeline(self, run: LiveRun) -> None:
        pipeline, run.pipeline = run.pipeline, None
        if pipeline is not None:
            await asyncio.to_thread(pipeline.finish, self.settings.stop_timeout_s)

    def _close(self, run: LiveRun) -> None:
        with self._sessions() as session:
            live = get_session(session, run.key)
            # Ended here, or already through another instance (which told the nodes; the audio is here).
            if end(session, live, run.end_reason, run.end_detail, datetime.now(UTC)) and live.on_air_at is not None:
                self._command(session, live, "live_stop")
            if live.recording_sha256 is None:
                self._keep_recording(session, live, run)

    def _keep_recording(self, session: Session, live: LiveSession, run: LiveRun) -> None:
        output = self._work_dir / f"{run.key}.ogg"
        try:
            if not join_recordings(run.parts, output):
                return
            data = output.read_bytes()
            length_ms = duration_ms(output)
            asset = save_asset(
                session, self._store, EncodedAudio(data=data, codec="opus", duration_ms=length_ms), source="live"
            )
            live.recording_sha256, live.recorded_ms = asset.sha256, length_ms
            session.add(live)
            session.commit()
        except OSError:
            log.exception("live %s: recording not kept", run.key)
        finally:
            for path in (*run.parts, output):
                path.unlink(missing_ok=True)

    # -- the watchdog --------------------------------------------------------------------------------

    async def _watch(self) -> None:
        looks = 0
        while True:
            await asyncio.sleep(_WATCH_INTERVAL_S)
            looks += 1
            ended_elsewhere: dict[str, tuple[str, str]] = {}
            if looks % _ENDED_ELSEWHERE_EVERY == 0 and self._runs:
                try:
                    ended_elsewhere = await asyncio.to_thread(self._ended_in_database, list(self._runs))
                except SQLAlchemyError:
                    log.warning("live: could not check sessions ended elsewhere", exc_info=True)
            now = time.monotonic()
            for key, run in list(self._runs.items()):
                if run.end_reason:
                    continue
                reason = ended_elsewhere.get(key) or self._why_end(run, now)
                if reason is not None:
                    task = asyncio.create_task(self.end(key, *reason), name=f"live-end-{key}")
                    self._ending.add(task)
                    task.add_done_callback(self._ending.discard)

    def _ended_in_database(self, keys: list[str]) -> dict[str, tuple[str, str]]:
        with self._sessions() as session:
            rows = session.exec(
                select(LiveSession).where(col(LiveSession.key).in_(keys), col(LiveSession.ended_at).is_not(None))
            )
            return {live.key: (live.end_reason or "stopped", live.end_detail) for live in rows}

    def _why_end(self, run: LiveRun, now: float) -> tuple[str, str] | None:
        s = self.settings
        if now - run.started > s.max_duration_s:
            return "max_duration", f"quá {s.max_duration_s // 60} phút"
        if run.pipeline is not None and run.pipeline.silent:
            return "silent", f"im lặng hơn {s.idle_timeout_s:.0f} giây"
        if run.pipeline is not None and not run.pipeline.alive:
            return run.pipeline.failure, run.pipeline.error or "bộ mã hóa dừng"
        if run.feeding_since is not None and now - run.feeding_since > s.idle_timeout_s:
            # ffmpeg stopped reading the browser's audio: it is stuck pushing to Icecast.
            return (
                "error",
                run.pipeline.error if run.pipeline is not None and run.pipeline.error else "bộ mã hóa bị treo",
            )
        if now - run.last_audio > s.idle_timeout_s:
            why = "mất kết nối" if not run.connected else "không nhận được âm thanh"
            return "disconnected", f"{why} hơn {s.idle_timeout_s:.0f} giây"
        return None


__all__ = ["LiveHub", "LiveRun", "PipelineBroken"]
