"""The `Synthesizer` protocol: every speech engine (espeak-ng offline, edge-tts online) implements it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

Dialect = Literal["north", "south"]


@dataclass(frozen=True)
class Speech:
    """Raw synthesised speech in a container ffmpeg can read (WAV, MP3...), before the broadcast chain."""

    audio: bytes
    engine: str
    voice: str


@runtime_checkable
class Synthesizer(Protocol):
    name: str

    async def synthesize(self, spoken_text: str, *, dialect: Dialect) -> Speech:
        """Speak already-normalised text; raise SynthesisFailed or TextRejected on failure."""
        ...
