"""From bulletin text to broadcast audio: normalise, pick an engine (falling back), run the audio chain.

Engines are tried in the order given (edge-tts first, espeak-ng after it, unless a setting pins one).
An engine that cannot serve the request (no network, a timeout, no voice for the language) hands over
to the next, and the asset records which engine and voice actually spoke. Text that no engine can speak
(`TextRejected`) is not handed over: the writer must fix it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from audio_library import AudioAsset, AudioSettings, BroadcastAudio, chain_signature, produce_broadcast
from tts.errors import EngineUnavailable, LanguageUnsupported, NoSpeechEngine, SynthesisFailed
from tts.normalizer import normalize
from tts.speech_cache import SpeechCache, SpeechKey
from tts.synthesizer import Dialect, Language, Speech, Synthesizer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Chime:
    """A commune's intro or outro jingle: its asset id (for the cache key) and its audio."""

    sha256: str
    audio: bytes


@dataclass(frozen=True)
class SpeechRequest:
    text: str
    dialect: Dialect = "north"
    language: Language = "vi"
    lexicon: Mapping[str, str] | None = None
    intro: Chime | None = None
    outro: Chime | None = None


@dataclass(frozen=True)
class RenderedSpeech:
    asset_sha256: str
    codec: str
    duration_ms: int
    spoken_text: str
    engine: str
    voice: str
    loudness_lufs: float | None
    cached: bool
    # Engines that were skipped before the one that spoke, each with the reason.
    skipped: tuple[str, ...] = field(default=())


def _rendered(asset: AudioAsset, spoken: str, *, cached: bool, skipped: list[str]) -> RenderedSpeech:
    return RenderedSpeech(
        asset_sha256=asset.sha256,
        codec=asset.codec,
        duration_ms=asset.duration_ms,
        spoken_text=spoken,
        engine=asset.engine,
        voice=asset.voice,
        loudness_lufs=asset.loudness_lufs,
        cached=cached,
        skipped=tuple(skipped),
    )


def spoken_form(request: SpeechRequest) -> str:
    """What the engine is given: the Vietnamese normaliser's reading; other languages only tidied."""
    if request.language == "vi":
        return normalize(request.text, dialect=request.dialect, lexicon=request.lexicon)
    return "\n".join(" ".join(line.split()) for line in unicodedata.normalize("NFC", request.text).splitlines())


async def synthesize_first(
    engines: Sequence[Synthesizer], spoken_text: str, *, dialect: Dialect, language: Language
) -> tuple[Speech, tuple[str, ...]]:
    """Speech from the first engine that can produce it, with the reasons the earlier ones were skipped."""
    skipped: list[str] = []
    for engine in engines:
        try:
            speech = await engine.synthesize(spoken_text, dialect=dialect, language=language)
        except (SynthesisFailed, LanguageUnsupported) as exc:
            log.warning("speech engine %s skipped: %s", engine.name, exc)
            skipped.append(f"{engine.name}: {exc}")
            continue
        return speech, tuple(skipped)
    raise NoSpeechEngine("; ".join(skipped) or "no speech engine configured")


class SpeechRenderer:
    """Renders speech requests into stored broadcast assets, through the cache.

    An engine that just failed for want of a service (`EngineUnavailable`: no network, a timeout) is
    passed over for `cooldown_s` while a later engine can stand in, so that an offline commune does not
    wait for edge-tts's timeouts on every preview. The last engine in the list is always tried.
    """

    def __init__(
        self,
        engines: Sequence[Synthesizer],
        audio: AudioSettings,
        cache: SpeechCache,
        *,
        cooldown_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not engines:
            raise ValueError("at least one speech engine is needed")
        self.engines = tuple(engines)
        self._audio = audio
        self._cache = cache
        self._cooldown_s = cooldown_s
        self._clock = clock
        self._down_since: dict[str, float] = {}
        # Speech being made now, by cache key: a second request for it waits for the first (renders run on
        # one event loop, so a plain dict is safe).
        self._running: dict[SpeechKey, asyncio.Future[AudioAsset | None]] = {}

    def _resting(self, engine: Synthesizer, index: int) -> bool:
        failed_at = self._down_since.get(engine.name)
        if failed_at is None or index == len(self.engines) - 1:
            return False
        return self._clock() - failed_at < self._cooldown_s

    async def render(self, request: SpeechRequest) -> RenderedSpeech:
        spoken = spoken_form(request)
        skipped: list[str] = []
        for index, engine in enumerate(self.engines):
            if self._resting(engine, index):
                skipped.append(f"{engine.name}: failed less than {self._cooldown_s:.0f} s ago, not tried")
                continue
            try:
                voice = engine.voice_key(dialect=request.dialect, language=request.language)
            except LanguageUnsupported as exc:
                skipped.append(f"{engine.name}: {exc}")
                continue
            key = SpeechKey(
                spoken_text=spoken,
                language=request.language,
                voice=voice,
                chain=chain_signature(self._audio),
                intro_sha256=request.intro.sha256 if request.intro else "",
                outro_sha256=request.outro.sha256 if request.outro else "",
            )
            hit = await asyncio.to_thread(self._cache.lookup, key)
            if hit is not None:
                return _rendered(hit, spoken, cached=True, skipped=skipped)
            running = self._running.get(key)
            if running is not None:
                # The same speech is being made (a bulletin spoken ahead on submission, now approved):
                # wait for it rather than make it twice; if it failed, try for ourselves.
                made = await asyncio.shield(running)
                if made is not None:
                    return _rendered(made, spoken, cached=True, skipped=skipped)
            done: asyncio.Future[AudioAsset | None] = asyncio.get_running_loop().create_future()
            self._running[key] = done
            asset: AudioAsset | None = None
            try:
                asset = await self._make(engine, key, spoken, request, skipped)
            finally:
                # Waiters learn the outcome even when this request was cancelled or failed (None).
                del self._running[key]
                done.set_result(asset)
            if asset is None:
                continue
            return _rendered(asset, spoken, cached=False, skipped=skipped)
        raise NoSpeechEngine("; ".join(skipped) or "no speech engine configured")

    async def _make(
        self, engine: Synthesizer, key: SpeechKey, spoken: str, request: SpeechRequest, skipped: list[str]
    ) -> AudioAsset | None:
        """Synthesise with `engine`, run the broadcast chain and store the result; None if the engine failed."""
        try:
            speech = await engine.synthesize(spoken, dialect=request.dialect, language=request.language)
        except (SynthesisFailed, LanguageUnsupported) as exc:
            log.warning("speech engine %s skipped: %s", engine.name, exc)
            skipped.append(f"{engine.name}: {exc}")
            if isinstance(exc, EngineUnavailable):
                self._down_since[engine.name] = self._clock()
            return None
        self._down_since.pop(engine.name, None)
        audio = await asyncio.to_thread(self._chain, speech, request)
        return await asyncio.to_thread(
            self._cache.remember, key, audio, source="tts", engine=speech.engine, voice=speech.voice
        )

    def _chain(self, speech: Speech, request: SpeechRequest) -> BroadcastAudio:
        return produce_broadcast(
            speech.audio,
            self._audio,
            intro=request.intro.audio if request.intro else None,
            outro=request.outro.audio if request.outro else None,
        )
