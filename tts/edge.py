"""edge-tts: Microsoft's online neural voices, with hard timeouts, bounded retries and click-free chunk joins.

The service needs the internet and can hang for minutes behind an unresponsive proxy, so every chunk is fetched
under `asyncio.wait_for`, retried a bounded number of times, and any failure that survives the retries becomes
`EngineUnavailable`, on which the caller falls back to espeak-ng.

This is the only module that imports `edge_tts`.
"""

from __future__ import annotations

import asyncio
import io
import math
import re
import wave
from typing import Protocol

import aiohttp
import edge_tts
from edge_tts.exceptions import EdgeTTSException
from pydub import AudioSegment
from pydub.exceptions import CouldntDecodeError

from tts.errors import EngineUnavailable
from tts.settings import TtsSettings
from tts.synthesizer import Dialect, Language, Speech, VoiceKey, speakable

# One PCM format for every chunk so that joining them is a plain concatenation: 24 kHz mono 16-bit is what the
# service sends (audio-24khz-48kbitrate-mono-mp3), so its chunks are never resampled.
SAMPLE_RATE_HZ = 24_000
# How chunks are joined. Not a crossfade: chunks are cut at sentence ends, and overlapping the tail of one with
# the head of the next would blend two sentences' syllables whenever the service trims its silences, and would
# make the total duration depend on the overlap. Instead each chunk is faded in and out and a short silence goes
# between them, so the waveform is exactly zero on both sides of every seam whatever the chunk ends with.
# 10 ms (240 samples) is long enough that the ramp's spectrum stays below ~100 Hz, where a step no longer sounds
# like a click, and short enough not to clip a consonant, since the service's chunks start and end in silence
# anyway. 100 ms of silence is a sentence pause on top of the service's own trailing silence: audible as the
# full stop it replaces, not as a gap.
SEAM_FADE_MS = 10
SEAM_PAUSE_MS = 100

# Where a chunk may end, best first: after a sentence, then after a clause, then after a word.
_SENTENCE_END = re.compile(r"[.!?;…]+[\"'”’»)\]]*(?=\s)|\n")
_CLAUSE_END = re.compile(r",(?=\s)")
_WORD_END = re.compile(r"\S(?=\s)")
_CUT_LEVELS = (_SENTENCE_END, _CLAUSE_END, _WORD_END)


class EdgeTransport(Protocol):
    """Fetches one chunk of speech from the edge-tts service (or a stand-in for it).

    Returns MP3 bytes. Raises EngineUnavailable (or OSError) when the service cannot be reached or misbehaves;
    it need not enforce timeouts, the synthesizer does.
    """

    async def fetch(self, text: str, *, voice: str, rate: str) -> bytes: ...


class EdgeTtsTransport:
    """The real service, through the `edge_tts` library."""

    def __init__(self, settings: TtsSettings) -> None:
        self._settings = settings

    async def fetch(self, text: str, *, voice: str, rate: str) -> bytes:
        s = self._settings
        communicate = edge_tts.Communicate(
            text,
            voice,
            rate=rate,
            proxy=s.edge_proxy,
            connect_timeout=s.edge_connect_timeout_s,
            # The hard limit is the synthesizer's wait_for; this only lets aiohttp give up at about the same time.
            receive_timeout=max(1, math.ceil(s.edge_chunk_timeout_s)),
        )
        audio = bytearray()
        try:
            async for message in communicate.stream():
                if message["type"] == "audio" and "data" in message:
                    audio += message["data"]
        except (aiohttp.ClientError, EdgeTTSException, OSError) as exc:
            raise EngineUnavailable(f"edge-tts: {type(exc).__name__}: {exc}"[:300]) from exc
        if not audio:
            raise EngineUnavailable("edge-tts sent no audio")
        return bytes(audio)


def split_into_chunks(text: str, max_chars: int) -> list[str]:
    """Cut `text` into pieces of at most `max_chars` characters, each as long as it can be.

    Pieces end at sentence ends (. ! ? ; … or a newline) and contain whole sentences; a sentence longer than
    `max_chars` is cut after commas, then between words, and a single "word" longer than that anywhere.
    Whitespace at the cuts is dropped; everything else of `text` is kept, in order.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    return [text[start:end] for start, end in _packed_spans(text, 0, len(text), 0, max_chars)]


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _pieces(text: str, start: int, end: int, level: int) -> list[tuple[int, int]]:
    """Non-empty spans of text[start:end] cut after each match of the level's pattern."""
    cuts = [m.end() for m in _CUT_LEVELS[level].finditer(text, start, end)]
    spans = [_strip_span(text, a, b) for a, b in zip([start, *cuts], [*cuts, end], strict=True)]
    return [(a, b) for a, b in spans if b > a]


def _packed_spans(text: str, start: int, end: int, level: int, max_chars: int) -> list[tuple[int, int]]:
    if level == len(_CUT_LEVELS):  # one unbroken run of characters longer than a chunk: cut it anywhere
        return [(i, min(i + max_chars, end)) for i in range(start, end, max_chars)]
    packed: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for piece_start, piece_end in _pieces(text, start, end, level):
        if piece_end - piece_start > max_chars:
            if current is not None:
                packed.append(current)
                current = None
            packed.extend(_packed_spans(text, piece_start, piece_end, level + 1, max_chars))
        elif current is not None and piece_end - current[0] <= max_chars:
            current = (current[0], piece_end)
        else:
            if current is not None:
                packed.append(current)
            current = (piece_start, piece_end)
    if current is not None:
        packed.append(current)
    return packed


def decode_chunk(mp3: bytes) -> AudioSegment:
    """One chunk of MP3 as PCM in the common format (SAMPLE_RATE_HZ, mono, 16-bit), decoded by ffmpeg."""
    if not mp3:
        raise EngineUnavailable("edge-tts chunk is empty")
    try:
        segment = AudioSegment.from_file(io.BytesIO(mp3), format="mp3")
    except (CouldntDecodeError, OSError) as exc:
        raise EngineUnavailable(f"edge-tts sent audio ffmpeg cannot decode: {exc}"[:300]) from exc
    if len(segment) == 0:
        raise EngineUnavailable("edge-tts chunk decodes to no audio")
    return segment.set_frame_rate(SAMPLE_RATE_HZ).set_channels(1).set_sample_width(2)


def join_chunks(chunks: list[AudioSegment]) -> AudioSegment:
    """Chunks in order, each faded in and out, with SEAM_PAUSE_MS of silence between them (see SEAM_FADE_MS).

    Every chunk must already be in the common format (`decode_chunk` output).
    """
    if not chunks:
        raise ValueError("nothing to join")
    pause = b"\0" * (2 * SAMPLE_RATE_HZ * SEAM_PAUSE_MS // 1000)
    faded = [chunk.fade_in(SEAM_FADE_MS).fade_out(SEAM_FADE_MS).raw_data for chunk in chunks]
    return AudioSegment(data=pause.join(faded), sample_width=2, frame_rate=SAMPLE_RATE_HZ, channels=1)


def wav_bytes(segment: AudioSegment) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(segment.channels)
        out.setsampwidth(segment.sample_width)
        out.setframerate(segment.frame_rate)
        out.writeframes(segment.raw_data)
    return buffer.getvalue()


class EdgeSynthesizer:
    """edge-tts behind the `Synthesizer` protocol; speaks WAV at SAMPLE_RATE_HZ.

    Voices come from the settings by language (Vietnamese: vi-VN-HoaiMyNeural or vi-VN-NamMinhNeural; Khmer:
    km-KH-SreymomNeural or km-KH-PisethNeural). The dialect does not change the voice: Microsoft has no southern
    Vietnamese voice, so the dialect only shapes the normalised text.
    """

    name = "edge"

    def __init__(self, settings: TtsSettings, transport: EdgeTransport | None = None) -> None:
        self._settings = settings
        self._transport: EdgeTransport = transport if transport is not None else EdgeTtsTransport(settings)

    def voice_key(self, *, dialect: Dialect, language: Language) -> VoiceKey:
        voice = self._settings.edge_voice_km if language == "km" else self._settings.edge_voice_vi
        options = f"chunk{self._settings.edge_max_chunk_chars}:seam{SEAM_FADE_MS}/{SEAM_PAUSE_MS}"
        return VoiceKey(engine=self.name, voice=voice, rate=self._settings.edge_rate, options=options)

    async def synthesize(self, spoken_text: str, *, dialect: Dialect, language: Language = "vi") -> Speech:
        text = speakable(spoken_text, self._settings.max_text_chars)
        key = self.voice_key(dialect=dialect, language=language)
        pieces = split_into_chunks(text, self._settings.edge_max_chunk_chars)
        # One chunk at a time: one connection is kinder to a slow link than several competing ones.
        chunks = [await self._fetch_decoded(piece, key, f"{n}/{len(pieces)}") for n, piece in enumerate(pieces, 1)]
        joined = await asyncio.to_thread(join_chunks, chunks)
        return Speech(audio=wav_bytes(joined), engine=key.engine, voice=key.voice, rate=key.rate, options=key.options)

    async def _fetch_decoded(self, chunk: str, key: VoiceKey, label: str) -> AudioSegment:
        """One chunk as PCM, under the hard timeout, retried with exponential backoff."""
        s = self._settings
        attempts = s.edge_retries + 1
        last: Exception | None = None
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                await asyncio.sleep(s.edge_retry_backoff_s * 2 ** (attempt - 2))
            try:
                mp3 = await asyncio.wait_for(
                    self._transport.fetch(chunk, voice=key.voice, rate=key.rate), timeout=s.edge_chunk_timeout_s
                )
                return await asyncio.to_thread(decode_chunk, mp3)
            except (TimeoutError, EngineUnavailable, OSError) as exc:
                last = exc
        reason = f"no answer within {s.edge_chunk_timeout_s} s" if isinstance(last, TimeoutError) else str(last)
        raise EngineUnavailable(f"edge-tts chunk {label} failed {attempts} times; last: {reason}"[:500]) from last
