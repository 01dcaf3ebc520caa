"""The `tts` settings section."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

EdgeVietnameseVoice = Literal["vi-VN-HoaiMyNeural", "vi-VN-NamMinhNeural"]  # female (default), male
EdgeKhmerVoice = Literal["km-KH-SreymomNeural", "km-KH-PisethNeural"]  # female (default), male


class TtsSettings(BaseModel):
    # "auto": edge-tts first, espeak-ng when edge-tts fails; "edge" or "espeak" pins one engine (no fallback).
    engine: Literal["auto", "edge", "espeak"] = "auto"
    dialect: Literal["north", "south"] = "north"
    espeak_path: str = "espeak-ng"
    espeak_voice_north: str = "vi"
    espeak_voice_south: str = "vi-vn-x-south"
    # espeak-ng's default of 175 words/min is too fast for horns outdoors; 140 is announcer pace.
    espeak_rate_wpm: int = Field(default=140, ge=80, le=300)
    # espeak-ng speaks ~50x faster than real time; a minute for one chunk (or a whole text) means it hangs.
    synthesis_timeout_s: float = Field(default=60.0, gt=0)
    max_text_chars: int = Field(default=20_000, gt=0, description="Longer bulletins are refused.")
    # espeak-ng is single-threaded: a long text is cut at sentence ends into chunks spoken side by side.
    # 500 characters is about 30 s of speech: a 500-word bulletin makes 7 or 8 chunks, enough to keep two
    # workers evenly busy, while each process's start-up (about 10 ms) stays small next to its work.
    espeak_chunk_chars: int = Field(default=500, ge=100, le=20_000)
    # espeak-ng processes at once. 2: the controller's machine has two cores, and the broadcast chain
    # after synthesis uses both; more processes than cores only queue.
    espeak_workers: int = Field(default=2, ge=1, le=16)

    # edge-tts (Microsoft's online neural voices). Microsoft has no southern Vietnamese voice, so the dialect
    # changes only the text normalisation for this engine, never the voice.
    edge_voice_vi: EdgeVietnameseVoice = "vi-VN-HoaiMyNeural"
    edge_voice_km: EdgeKhmerVoice = "km-KH-SreymomNeural"
    # A little slower than the voices' natural pace: neighbouring horns echo outdoors and slower speech survives
    # the echo; -10% still sounds natural, past about -20% the neural voices start to drag.
    edge_rate: str = Field(default="-10%", pattern=r"^[+-]\d{1,2}%$")
    edge_proxy: str | None = Field(default=None, description="http://host:port if the commune office needs one.")
    # Reaching the service takes well under a second on a working link; 10 s tolerates a slow 3G uplink but
    # gives up on a proxy that accepts nothing. Whole seconds: edge-tts takes an int.
    edge_connect_timeout_s: int = Field(default=10, ge=1, le=120)
    # Hard limit on one chunk, connection included (asyncio.wait_for). A 1,000-character chunk is ~70 s of
    # speech, ~420 KB of 48 kbit/s MP3: the service streams it in 2-5 s, a 256 kbit/s link needs ~13 s.
    # 20 s covers that and still bounds a proxy that holds the connection open for minutes.
    edge_chunk_timeout_s: float = Field(default=20.0, gt=0)
    # Retries after the first attempt of a chunk. Two ride out a dropped connection or a brief service hiccup;
    # more would only delay the espeak-ng fallback: the worst case per chunk is
    # (retries + 1) * chunk timeout + backoff = 3 * 20 + 1 + 2 = 63 s.
    edge_retries: int = Field(default=2, ge=0, le=10)
    # Wait before retry n is backoff * 2**(n-1): 1 s, then 2 s. Long enough for a transient network fault to
    # clear, short enough that a bulletin is not held up.
    edge_retry_backoff_s: float = Field(default=1.0, ge=0)
    # Long bulletins are sent in chunks cut at sentence ends: a failure costs one chunk's retry, not the whole
    # bulletin's, and a per-chunk timeout can be tight. At most 2,500: edge-tts itself cuts requests at
    # 4,096 UTF-8 bytes wherever it must, and escaped Vietnamese takes up to ~1.6 bytes per character.
    edge_max_chunk_chars: int = Field(default=1000, ge=100, le=2500)
    # After edge-tts fails for want of a service, it is passed over for this long (espeak-ng speaks instead),
    # so an offline commune does not wait out the timeouts above on every preview. 5 minutes: a 4G link
    # that dropped is usually back by then, and one bulletin's worth of offline speech is a fair price.
    engine_cooldown_s: float = Field(default=300.0, ge=0)
