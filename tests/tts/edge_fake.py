"""A stand-in for the edge-tts cloud service, which cannot be reached from CI.

`FakeEdgeTransport` implements `tts.edge.EdgeTransport` and answers like the service: real MP3 speech
(espeak-ng, encoded by ffmpeg as 24 kHz mono 48 kbit/s MP3, the service's format), refusing voices and rates the
service would refuse. Knobs make it hang or fail, and it records every call.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from tts.errors import EngineUnavailable

# The service's voices that loaxa uses, as espeak-ng voices. espeak-ng has no Khmer voice, so Khmer text is read
# by the Vietnamese voice (letter by letter): real audio, not real Khmer.
ESPEAK_VOICE_FOR = {
    "vi-VN-HoaiMyNeural": "vi+f3",
    "vi-VN-NamMinhNeural": "vi",
    "km-KH-SreymomNeural": "vi+f3",
    "km-KH-PisethNeural": "vi",
}
_RATE = re.compile(r"^[+-]\d+%$")
_ESPEAK_DEFAULT_WPM = 175


@dataclass(frozen=True)
class FakeCall:
    text: str
    voice: str
    rate: str


class FakeEdgeTransport:
    """The edge-tts service, locally.

    hang_s: every call (or the first `hang_calls` calls) waits this long before answering, like a proxy that
    holds the connection open. fail_first: the first K calls fail as a dropped connection would.
    fail_always: every call fails.
    """

    def __init__(
        self,
        *,
        hang_s: float = 0.0,
        hang_calls: int | None = None,
        fail_first: int = 0,
        fail_always: bool = False,
        espeak_path: str = "espeak-ng",
        ffmpeg_path: str = "ffmpeg",
    ) -> None:
        self.hang_s = hang_s
        self.hang_calls = hang_calls
        self.fail_first = fail_first
        self.fail_always = fail_always
        self.espeak_path = espeak_path
        self.ffmpeg_path = ffmpeg_path
        self.calls: list[FakeCall] = []

    async def fetch(self, text: str, *, voice: str, rate: str) -> bytes:
        self.calls.append(FakeCall(text=text, voice=voice, rate=rate))
        number = len(self.calls)
        if self.hang_s > 0 and (self.hang_calls is None or number <= self.hang_calls):
            await asyncio.sleep(self.hang_s)
        if self.fail_always or number <= self.fail_first:
            raise EngineUnavailable(f"fake edge-tts: connection reset (call {number})")
        if voice not in ESPEAK_VOICE_FOR or not _RATE.match(rate):
            raise EngineUnavailable(f"fake edge-tts: no audio for voice {voice!r} at rate {rate!r}")
        wpm = round(_ESPEAK_DEFAULT_WPM * (100 + int(rate[:-1])) / 100)
        espeak = [self.espeak_path, "-v", ESPEAK_VOICE_FOR[voice], "-s", str(wpm), "-b", "1", "--stdin", "--stdout"]
        wav = await _run(espeak, text.encode("utf-8"))
        to_mp3 = ["-ar", "24000", "-ac", "1", "-c:a", "libmp3lame", "-b:a", "48k", "-compression_level", "9"]
        return await _run([self.ffmpeg_path, "-v", "error", "-i", "pipe:0", *to_mp3, "-f", "mp3", "pipe:1"], wav)


async def _run(args: list[str], data: bytes) -> bytes:
    proc = await asyncio.create_subprocess_exec(
        *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await proc.communicate(data)
    finally:
        if proc.returncode is None:  # cancelled by the synthesizer's timeout
            proc.kill()
            await proc.wait()
    if proc.returncode != 0 or not out:
        raise RuntimeError(f"{args[0]} failed in the fake service: {err.decode(errors='replace')[:300]}")
    return out
