"""The `tts` settings section."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class TtsSettings(BaseModel):
    engine: Literal["espeak"] = "espeak"
    dialect: Literal["north", "south"] = "north"
    espeak_path: str = "espeak-ng"
    espeak_voice_north: str = "vi"
    espeak_voice_south: str = "vi-vn-x-south"
    # espeak-ng's default of 175 words/min is too fast for horns outdoors; 140 is announcer pace.
    espeak_rate_wpm: int = Field(default=140, ge=80, le=300)
    # espeak-ng speaks ~50x faster than real time; a minute means it hangs.
    synthesis_timeout_s: float = Field(default=60.0, gt=0)
    max_text_chars: int = Field(default=20_000, gt=0, description="Longer bulletins are refused.")
