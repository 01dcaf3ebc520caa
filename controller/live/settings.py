"""The `live` settings section: live broadcasts from the console (issue 17, "Phát trực tiếp")."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from devices.icecast import IcecastSettings


class LiveIcecastSettings(IcecastSettings):
    """The private Icecast of live broadcasts: its own directory (a default that holds whatever else is set)."""

    directory: Path = Path("var/icecast-live")


class LiveSettings(BaseModel):
    # `loaxa serve` (and the demo) start a private Icecast with `icecast`'s settings, its listeners
    # authenticated by this controller. False: an Icecast already runs at `icecast.host`:`icecast.port`
    # with `icecast.source_password` and `listener_auth_url` pointing here (the tests start their own).
    start_icecast: bool = False
    icecast: LiveIcecastSettings = LiveIcecastSettings()
    # What nodes use to reach Icecast when it is not where the controller reaches it (e.g. a public name);
    # empty: http://{icecast.host}:{icecast.port}.
    public_icecast_url: str = ""
    # A session ends by itself when the officer's browser has sent no audio this long (disconnected, or
    # never connected), or its audio has been silent this long (a phone left on the table): long enough
    # for a breath between sentences and a short 4G drop, short enough that the horns do not hiss for
    # a minute after the officer walked away.
    idle_timeout_s: float = Field(default=20.0, gt=0)
    # Quieter than this counts as silence (a phone microphone's noise floor in a quiet office is about -60 dB).
    silence_threshold_db: float = Field(default=-50.0, le=0)
    # No live broadcast lasts longer than this (TT39 announcements are minutes); nodes stop at this too.
    max_duration_s: int = Field(default=3600, gt=0)
    # One WebSocket message of audio: MediaRecorder sends a chunk every 100-250 ms (a few KiB of Opus).
    chunk_max_bytes: int = Field(default=256 * 1024, gt=0)
    # How long to wait for ffmpeg to finish the recording after the last audio.
    stop_timeout_s: float = Field(default=10.0, gt=0)
