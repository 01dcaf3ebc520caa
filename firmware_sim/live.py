"""Live broadcasts from the console on a node (protocol 1.6): `live_start` puts the session's Icecast mount
on air through the same output as a relay, `live_stop` ends it, and the schedule waits meanwhile.

Priority (TT39): a live emergency cuts whatever is on air; a normal live broadcast cuts it only when the
officer chose to (`pre_empt`), else it waits for the item on air to end. While a live broadcast is on air,
a scheduled item waits for it to end, except an emergency, which cuts a normal live broadcast. A stream
lost for `live_lost_timeout_s` ends the broadcast on this node, which goes back to its schedule and says
so in its proof of play.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from devices.protocol import LiveSpec, PlaylistItem, StreamSpec, stream_asset_sha256
from firmware_sim.config import NodeSettings
from firmware_sim.relay import RelayAccount, RelayTiming, StreamRelay
from firmware_sim.sink import AudioSink, PlayedAudio

log = logging.getLogger(__name__)

ItemKey = tuple[str, datetime, str]
# How often a waiting broadcast looks whether the item on air has ended.
_WAIT_POLL_S = 0.05


class Report(Protocol):
    def __call__(
        self,
        item: PlaylistItem,
        version: int,
        played: PlayedAudio | None,
        detail: str,
        *,
        relay: RelayAccount | None = ...,
        failed: bool = ...,
    ) -> Awaitable[None]: ...


@dataclass
class _OnAir:
    spec: LiveSpec
    item: PlaylistItem
    stop: asyncio.Event
    task: asyncio.Task[None]
    # Set once its audio reaches the output (a normal broadcast may first wait for the item on air).
    playing: asyncio.Event


class LiveBroadcasts:
    """The node's live broadcast, at most one at a time (a commune carries one live session at a time)."""

    def __init__(
        self,
        settings: NodeSettings,
        *,
        sink: Callable[[], AudioSink],
        on_air: dict[ItemKey, tuple[asyncio.Event, datetime]],
        stop_on_air: Callable[[], int],
        report: Report,
        version: Callable[[], int],
        now: Callable[[], datetime],
        timing: Callable[[], RelayTiming],
    ) -> None:
        self.settings = settings
        self.code = settings.device_code
        self._sink = sink
        self._on_air = on_air
        self._stop_on_air = stop_on_air
        self._report = report
        self._version = version
        self._now = now
        self._timing = timing
        self.current: _OnAir | None = None
        self._ended = asyncio.Event()
        self._ended.set()
        # Every broadcast this node aired: (session id, started, ended, why it ended), the simulator's record.
        self.history: list[tuple[str, datetime, datetime, str]] = []
        # Why the broadcast on air is being ended, by session: "live_stop" (its end), "emergency" (cut).
        self._ending: dict[str, str] = {}

    @property
    def on_air(self) -> bool:
        return self.current is not None

    def _headers(self) -> str:
        """The node's own credentials for the mount: Icecast asks the controller whether this node is a target."""
        token = f"{self.code}:{self.settings.password.get_secret_value()}".encode()
        return f"Authorization: Basic {base64.b64encode(token).decode()}\r\n"

    # -- commands ------------------------------------------------------------------------------------

    async def start(self, spec: LiveSpec) -> tuple[bool, str]:
        if not spec.is_for(self.code):
            return True, "Cụm loa này không thuộc nơi phát trực tiếp."
        if self.current is not None and self.current.spec.session_id == spec.session_id:
            return True, "Đang phát trực tiếp."
        if self.current is not None:
            await self._end_current()
        now = self._now()
        assert spec.url
        item = PlaylistItem(
            item_id=f"live-{spec.session_id}"[:64],
            title=spec.title or "Phát trực tiếp",
            priority="emergency" if spec.priority == "emergency" else "priority",
            asset_sha256=stream_asset_sha256(spec.url),
            asset_url=spec.url,
            duration_ms=spec.max_duration_ms,
            starts_at=now,
            stream=StreamSpec(url=spec.url, source="trực tiếp"),
        )
        stop = asyncio.Event()
        playing = asyncio.Event()
        self._ended.clear()
        task = asyncio.create_task(self._air(spec, item, stop, playing), name=f"{self.code}-live")
        self.current = _OnAir(spec, item, stop, task, playing)
        task.add_done_callback(lambda _: self._forget(task))
        waiting = asyncio.create_task(playing.wait())
        await asyncio.wait({task, waiting}, timeout=0.5)  # answer soon; a waiting broadcast says so
        waiting.cancel()
        if playing.is_set():
            return True, f"Đang phát trực tiếp: {item.title[:200]}"
        if task.done():
            return False, "Không phát trực tiếp được (xem báo cáo phát)."
        return True, "Chờ mục đang phát kết thúc rồi phát trực tiếp."

    async def stop(self, spec: LiveSpec) -> tuple[bool, str]:
        current = self.current
        if current is None or current.spec.session_id != spec.session_id:
            return True, "Không có phiên phát trực tiếp này trên cụm loa."
        self._ending[spec.session_id] = "live_stop"
        await self._end_current()
        return True, "Đã kết thúc phát trực tiếp; tiếp tục lịch phát."

    async def _end_current(self) -> None:
        current = self.current
        if current is None:
            return
        current.stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await current.task

    def _forget(self, task: asyncio.Task[None]) -> None:
        if self.current is not None and self.current.task is task:
            self.current = None
            self._ended.set()

    # -- the schedule meanwhile ----------------------------------------------------------------------

    async def hold(self, item: PlaylistItem) -> float:
        """Called before a scheduled item goes on air: wait while a live broadcast is on air; an emergency
        item ends a normal live broadcast instead of waiting. The seconds waited."""
        current = self.current
        if current is None or item.item_id == current.item.item_id:
            return 0.0
        if item.priority == "emergency" and current.spec.priority != "emergency":
            log.info("%s: emergency %s ends the live broadcast", self.code, item.item_id)
            self._ending[current.spec.session_id] = "emergency"
            await self._end_current()
            return 0.0
        log.info("%s: %s waits for the live broadcast to end", self.code, item.item_id)
        began = time.monotonic()
        await self._ended.wait()
        return time.monotonic() - began

    # -- airing --------------------------------------------------------------------------------------

    async def _air(self, spec: LiveSpec, item: PlaylistItem, stop: asyncio.Event, playing: asyncio.Event) -> None:
        s = self.settings
        timing = self._timing()
        live_timing = RelayTiming(
            reconnect_min_s=min(timing.reconnect_min_s, 0.5),
            reconnect_max_s=min(timing.reconnect_max_s, 2.0),
            stall_timeout_s=timing.stall_timeout_s,
            buffer_ms=s.live_buffer_ms,
            check_timeout_s=timing.check_timeout_s,
        )
        if spec.priority == "emergency" or spec.pre_empt:
            cut = self._stop_on_air()
            if cut:
                log.info("%s: live broadcast cuts %d item(s) on air", self.code, cut)
        else:
            while self._on_air and not stop.is_set():  # noqa: ASYNC110 - the agent's items end on their own
                await asyncio.sleep(_WAIT_POLL_S)
            if stop.is_set():
                return
        item = item.model_copy(update={"starts_at": self._now()})
        relay = StreamRelay(
            item, live_timing, fill_pcm=None, now=self._now, headers=self._headers(),
            give_up_after_s=s.live_lost_timeout_s,
        )  # fmt: skip
        key: ItemKey = (item.item_id, item.starts_at, item.asset_sha256)
        self._on_air[key] = (stop, item.starts_at + timedelta(milliseconds=item.duration_ms))
        playing.set()
        log.info("%s: live broadcast %s on air from %s", self.code, spec.session_id, spec.url)
        version = self._version()
        try:
            played = await self._sink().play_stream(item, relay.chunks(stop), stop)
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            log.error("%s: audio output failed for live %s: %s", self.code, spec.session_id, exc)
            await self._report(item, version, None, f"lỗi phát âm thanh: {str(exc)[:200]}", relay=relay.account)
            return
        finally:
            self._on_air.pop(key, None)
        account = relay.account
        seconds = account.relayed_ms / 1000
        ending = self._ending.pop(spec.session_id, "")
        # Ended by its own live_stop: aired whole, as the officer spoke it. Cut by anything else: interrupted.
        played = replace(played, interrupted=stop.is_set() and ending != "live_stop")
        if relay.gave_up:
            why = "lost"
            detail = (
                f"mất luồng phát trực tiếp ({account.last_error[:120]}) sau {seconds:.0f} giây nhận được; "
                "quay lại lịch phát"
            )
        elif ending == "live_stop":
            why, detail = "stopped", f"phát trực tiếp {seconds:.0f} giây, kết thúc theo lệnh"
        elif stop.is_set():
            why = "emergency" if ending == "emergency" else "cut"
            cause = "để phát tin khẩn cấp" if ending == "emergency" else "theo lệnh dừng"
            detail = f"phát trực tiếp {seconds:.0f} giây, bị ngắt {cause}"
        else:
            why, detail = "max_duration", f"phát trực tiếp {seconds:.0f} giây, hết thời lượng tối đa"
        self.history.append((spec.session_id, played.started_at, played.ended_at, why))
        log.info("%s: live broadcast %s ended (%s)", self.code, spec.session_id, why)
        await self._report(item, version, played, detail, relay=account, failed=account.relayed_ms == 0)
