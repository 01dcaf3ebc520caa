"""The `audio` settings section (built by the controller's settings, handed to this package)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class AudioSettings(BaseModel):
    storage_dir: Path = Path("var/audio")
    opus_bitrate_kbps: int = Field(default=24, ge=6, le=256, description="Speech on horns needs little more.")
    target_lufs: float = Field(default=-16.0, ge=-40, le=-5)
    true_peak_dbtp: float = Field(default=-1.0, ge=-9, le=0)
    # ffmpeg encodes a 10-minute bulletin in a few seconds; a minute means it is stuck.
    ffmpeg_timeout_s: float = Field(default=60.0, gt=0)
    ffmpeg_path: str = "ffmpeg"
    ffprobe_path: str = "ffprobe"
