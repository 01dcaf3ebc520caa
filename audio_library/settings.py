"""The `audio` settings section (built by the controller's settings, handed to this package)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class AudioSettings(BaseModel):
    storage_dir: Path = Path("var/audio")
    opus_bitrate_kbps: int = Field(default=24, ge=6, le=256, description="Speech on horns needs little more.")
    # Legacy nodes only decode MP3; 48 kbps mono at 44.1 kHz is the lowest rate that keeps sibilants clear.
    mp3_bitrate_kbps: int = Field(default=48, ge=16, le=320)
    target_lufs: float = Field(default=-16.0, ge=-40, le=-5)
    true_peak_dbtp: float = Field(default=-1.0, ge=-9, le=0)
    compress_speech: bool = Field(default=True, description="Gentle compression before loudness normalisation.")
    # Horn speakers reproduce little below ~200 Hz; what lies below only heats the amplifier and muddies speech.
    highpass_hz: int = Field(default=150, ge=0, le=1000, description="0 turns the high-pass filter off.")
    # Horns roll off above ~7 kHz, and content the Opus encoder would cut anyway makes its decoded peaks
    # overshoot the true-peak ceiling; removing it first keeps the ceiling.
    lowpass_hz: int = Field(default=7000, ge=0, le=20000, description="0 turns the low-pass filter off.")
    # Room tone of a phone recording sits around -60 dBFS; speech pauses rarely fall under -45 dBFS.
    silence_threshold_db: float = Field(default=-50.0, ge=-90, le=-20)
    # Shorter stretches are pauses between words, not silence to trim.
    silence_min_ms: int = Field(default=300, ge=50, le=5000)
    # Kept around the speech after trimming, so the first and last syllables are never clipped.
    lead_in_ms: int = Field(default=150, ge=0, le=2000)
    tail_ms: int = Field(default=300, ge=0, le=3000)
    chime_gap_ms: int = Field(default=500, ge=0, le=5000, description="Silence between a chime and the speech.")
    # ffmpeg processes a 10-minute bulletin in a few seconds; a minute means it is stuck.
    ffmpeg_timeout_s: float = Field(default=60.0, gt=0)
    ffmpeg_path: str = "ffmpeg"
    ffprobe_path: str = "ffprobe"
    upload_max_bytes: int = Field(default=50 * 1024 * 1024, gt=0, description="Largest accepted recording upload.")
    # The longest slot TT39 communes plan is about 30 minutes; a longer file is a mistake.
    max_duration_s: int = Field(default=30 * 60, gt=0)
