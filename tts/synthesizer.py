"""The `Synthesizer` protocol: every speech engine (espeak-ng offline, edge-tts online) implements it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from tts.errors import TextRejected

Dialect = Literal["north", "south"]
Language = Literal["vi", "km"]  # Vietnamese; Khmer for the Khmer-speaking communes of the Mekong provinces


@dataclass(frozen=True)
class VoiceKey:
    """Everything about an engine's output that a synthesis cache key needs besides the spoken text.

    `rate` is the engine's own speed tag ("140wpm" for espeak-ng, "-10%" for edge-tts); `options` names
    anything else of the engine's that changes the audio (edge-tts: chunk size and the shape of the seams).
    """

    engine: str
    voice: str
    rate: str
    options: str = ""


@dataclass(frozen=True)
class Speech:
    """Raw synthesised speech in a container ffmpeg can read (WAV today), before the broadcast chain.

    `engine`, `voice` and `rate` say who actually spoke, which is what the asset records after a fallback.
    """

    audio: bytes
    engine: str
    voice: str
    rate: str
    options: str = ""

    @property
    def voice_key(self) -> VoiceKey:
        return VoiceKey(engine=self.engine, voice=self.voice, rate=self.rate, options=self.options)


@runtime_checkable
class Synthesizer(Protocol):
    name: str

    def voice_key(self, *, dialect: Dialect, language: Language) -> VoiceKey:
        """The voice this engine would use; raise LanguageUnsupported if it cannot speak `language`.

        Cheap and offline: no network, no subprocess. The same settings always give the same key.
        """
        ...

    async def synthesize(self, spoken_text: str, *, dialect: Dialect, language: Language = "vi") -> Speech:
        """Speak already-normalised text.

        Raises TextRejected (the text is at fault: do not fall back), LanguageUnsupported or EngineUnavailable
        (this engine cannot do it now: try the next one). See tts/errors.py.
        """
        ...


def speakable(spoken_text: str, max_chars: int) -> str:
    """The text an engine will speak, stripped; TextRejected if it is empty or longer than `max_chars`."""
    text = spoken_text.strip()
    if not text:
        raise TextRejected("nothing to say")
    if len(text) > max_chars:
        raise TextRejected(f"text of {len(text)} characters exceeds {max_chars}")
    return text
