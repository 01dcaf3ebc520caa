"""Relaying a live stream (protocol 1.4, "Relays"): decode it with ffmpeg, pace it onto the audio output in
real time, ride through drops, fill the gaps, and account for what aired.

The output is 16-bit mono PCM at 48 kHz in 100 ms ticks, paced by the clock from the item's start to its
end (never past it). Each tick takes the stream's audio from a small buffer fed by the decoder; when the
buffer is empty and the decoder has lost the stream, the tick is the fill (the commune's stock message,
looped, or silence) and an interruption is open until the stream's audio comes back. The decoder
reconnects with exponential backoff until the item ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from devices.protocol import MAX_RELAY_INTERRUPTIONS, PlaylistItem, RelayInterruption

log = logging.getLogger(__name__)

RATE_HZ = 48_000
BYTES_PER_MS = RATE_HZ * 2 // 1000  # 16-bit mono
# One tick of output: small enough to stop promptly at the end or for an emergency, large enough for asyncio.
TICK_MS = 100
_TICK_BYTES = TICK_MS * BYTES_PER_MS
_FFMPEG_ERROR_CHARS = 200


@dataclass(frozen=True)
class RelayTiming:
    """The node's relay settings (`NodeSettings.relay_*`), in one place for the relay."""

    reconnect_min_s: float
    reconnect_max_s: float
    stall_timeout_s: float
    buffer_ms: int
    check_timeout_s: float


def _ffmpeg() -> str:
    found = shutil.which("ffmpeg")
    if found is None:
        raise RuntimeError("ffmpeg is needed to relay a stream")
    return found


def _input_args(url: str, stall_timeout_s: float, headers: str = "") -> list[str]:
    return [
        "-nostdin", "-v", "error",
        *(["-headers", headers] if headers else []),
        # A stream is HTTP(S): never a file or another protocol, whatever the playlist or a redirect says.
        "-protocol_whitelist", "http,https,tcp,tls",
        "-rw_timeout", str(int(stall_timeout_s * 1_000_000)),
        # Start from the first frames rather than analysing seconds of the stream: on air sooner.
        "-probesize", "32768", "-analyzeduration", "500000", "-fflags", "nobuffer",
        "-i", url,
    ]  # fmt: skip


def _last_line(stderr: bytes) -> str:
    lines = stderr.decode(errors="replace").strip().splitlines()
    return lines[-1][-_FFMPEG_ERROR_CHARS:] if lines else ""


async def check_stream(url: str, timeout_s: float) -> str | None:
    """Listen to `url` for half a second: None when it carries decodable audio, else why not."""
    process = await asyncio.create_subprocess_exec(
        _ffmpeg(), *_input_args(url, timeout_s), "-t", "0.5", "-f", "null", "-",
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), timeout_s + 2)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        return f"không trả lời trong {timeout_s:.0f} giây"
    if process.returncode != 0:
        return _last_line(stderr) or f"ffmpeg thoát với mã {process.returncode}"
    return None


def decode_to_pcm(audio: bytes) -> bytes:
    """A whole file (the fill's stock message) as the relay's PCM; blocking, run it in a thread."""
    done = subprocess.run(
        [_ffmpeg(), "-v", "error", "-i", "pipe:0", "-f", "s16le", "-ac", "1", "-ar", str(RATE_HZ), "pipe:1"],
        input=audio,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return done.stdout


@dataclass
class _Interruption:
    at: datetime
    reason: str


@dataclass
class RelayAccount:
    """What a relay aired: the stream's milliseconds, and each stretch it was down."""

    relayed_ms: int = 0
    interruptions: list[RelayInterruption] = field(default_factory=list)
    last_error: str = ""

    def bounded(self) -> tuple[RelayInterruption, ...]:
        """At most the protocol's number of interruptions; the rest summed into the last one."""
        if len(self.interruptions) <= MAX_RELAY_INTERRUPTIONS:
            return tuple(self.interruptions)
        head = self.interruptions[: MAX_RELAY_INTERRUPTIONS - 1]
        rest = self.interruptions[MAX_RELAY_INTERRUPTIONS - 1 :]
        merged = RelayInterruption(
            at=rest[0].at,
            duration_ms=sum(i.duration_ms for i in rest),
            reason=f"{len(rest)} lần ngắt, lần cuối: {rest[-1].reason}"[:200],
            filled=rest[-1].filled,
        )
        return (*head, merged)


class StreamRelay:
    """One relay of one item: `chunks(stop)` yields its PCM in real time until the end or `stop`."""

    def __init__(
        self,
        item: PlaylistItem,
        timing: RelayTiming,
        *,
        fill_pcm: bytes | None,
        now: Callable[[], datetime],
        headers: str = "",
        give_up_after_s: float | None = None,
    ) -> None:
        """`headers`: sent with each request (a live mount's credentials). `give_up_after_s`: end early once
        the stream has been lost this long (a live broadcast: its node goes back to the schedule)."""
        assert item.stream is not None
        self.item = item
        self.url = item.stream.url
        self.timing = timing
        self.fill_pcm = fill_pcm or None
        self.now = now
        self.account = RelayAccount()
        self._buffer = bytearray()
        self._buffer_max = max(timing.buffer_ms, TICK_MS) * BYTES_PER_MS
        # True while the decoder has no connection delivering audio (before its first byte it is "connecting").
        self._lost = False
        self._fill_at = 0
        self._done = False
        self._process: asyncio.subprocess.Process | None = None
        self._decoder: asyncio.Task[None] | None = None
        self.connections = 0
        self.headers = headers
        self.give_up_after_s = give_up_after_s
        # Set when the relay ended early because the stream stayed lost (`give_up_after_s`).
        self.gave_up = False

    @property
    def ends_at(self) -> datetime:
        return self.item.starts_at + timedelta(milliseconds=self.item.duration_ms)

    def connect(self) -> None:
        """Start decoding now, before the start, so the first tick already has the stream's audio (a
        radio server takes most of a second to answer a new listener)."""
        if self._decoder is None:
            self._decoder = asyncio.create_task(self._decode_loop(), name=f"relay-{self.item.item_id}")

    async def _decode_loop(self) -> None:
        delay = self.timing.reconnect_min_s
        while not self._done:
            got_audio = await self._decode_once()
            if self._done:
                return
            self._lost = True
            if got_audio:
                delay = self.timing.reconnect_min_s  # it was up: the first retry comes soon again
            log.info("relay %s: stream lost (%s); reconnecting in %.1f s", self.url, self.account.last_error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.timing.reconnect_max_s)

    async def _decode_once(self) -> bool:
        pcm = ["-f", "s16le", "-ac", "1", "-ar", str(RATE_HZ), "pipe:1"]
        try:
            process = await asyncio.create_subprocess_exec(
                _ffmpeg(), *_input_args(self.url, self.timing.stall_timeout_s, self.headers), *pcm,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )  # fmt: skip
        except (OSError, RuntimeError) as exc:
            self.account.last_error = str(exc)[:_FFMPEG_ERROR_CHARS]
            return False
        self._process = process
        assert process.stdout is not None and process.stderr is not None
        got_audio = False
        try:
            while chunk := await process.stdout.read(_TICK_BYTES):
                if not got_audio:
                    got_audio, self._lost = True, False
                    self.connections += 1
                self._buffer.extend(chunk)
                if len(self._buffer) > self._buffer_max:  # stay close to live: drop the oldest
                    del self._buffer[: len(self._buffer) - self._buffer_max]
            stderr = await process.stderr.read()
            await process.wait()
            self.account.last_error = _last_line(stderr) or "luồng phát kết thúc"
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
            self._process = None
        return got_audio

    def _fill(self, size: int) -> bytes:
        if self.fill_pcm is None:
            return bytes(size)
        out = bytearray()
        while len(out) < size:
            piece = self.fill_pcm[self._fill_at : self._fill_at + size - len(out)]
            out += piece
            self._fill_at = (self._fill_at + len(piece)) % len(self.fill_pcm)
        return bytes(out)

    async def chunks(self, stop: asyncio.Event) -> AsyncIterator[bytes]:
        """The relay's PCM, tick by tick, from now until the item's end or until `stop` is set."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        end = start + max(0.0, (self.ends_at - self.now()).total_seconds())
        self.connect()
        decoder = self._decoder
        assert decoder is not None
        open_gap: _Interruption | None = None
        underrun_since: datetime | None = None
        filled = "stock" if self.fill_pcm is not None else "silence"
        tick = 0
        try:
            while not stop.is_set() and (tick_start := start + tick * TICK_MS / 1000) < end:
                size = min(_TICK_BYTES, int((end - tick_start) * 1000) * BYTES_PER_MS)
                if size <= 0:
                    break
                if len(self._buffer) >= size:
                    chunk = bytes(self._buffer[:size])
                    del self._buffer[:size]
                    self.account.relayed_ms += size // BYTES_PER_MS
                    underrun_since = None
                    if open_gap is not None:
                        self._close(open_gap, filled)
                        open_gap = None
                else:
                    moment = self.now()
                    underrun_since = underrun_since or moment
                    if self._lost and open_gap is None:
                        why = self.account.last_error
                        open_gap = _Interruption(underrun_since, f"mất luồng phát: {why}" if why else "mất luồng phát")
                    # Lost: the fill; a short stall of a live connection: silence until it resumes or times out.
                    chunk = self._fill(size) if open_gap is not None else bytes(size)
                    lost_s = (moment - open_gap.at).total_seconds() if open_gap is not None else 0.0
                    if self.give_up_after_s is not None and lost_s >= self.give_up_after_s:
                        self.gave_up = True
                        break
                yield chunk
                tick += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), max(0.0, start + tick * TICK_MS / 1000 - loop.time()))
        finally:
            self._done = True
            if open_gap is not None:
                self._close(open_gap, filled)
            process = self._process
            if process is not None and process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
            decoder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await decoder

    def _close(self, gap: _Interruption, filled: str) -> None:
        duration_ms = max(0, int((self.now() - gap.at).total_seconds() * 1000))
        self.account.interruptions.append(
            RelayInterruption(
                at=gap.at,
                duration_ms=duration_ms,
                reason=gap.reason[:200],
                filled="stock" if filled == "stock" else "silence",
            )
        )
