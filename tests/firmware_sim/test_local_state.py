"""The node's cache and outbox: corrupt audio is never kept, reports survive a restart."""

from __future__ import annotations

import array
import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from devices.protocol import PlayReport
from firmware_sim.audio_cache import AudioCache, ChecksumMismatch
from firmware_sim.outbox import Outbox
from firmware_sim.sink import scale_pcm, volume_gain
from firmware_sim.state import NodeState


def test_cache_refuses_bytes_that_do_not_match_their_address(tmp_path: Path) -> None:
    cache = AudioCache(tmp_path)
    good = b"opus bytes"
    sha = hashlib.sha256(good).hexdigest()
    with pytest.raises(ChecksumMismatch):
        cache.put(sha, "opus", b"opus bytez")
    assert not cache.has(sha, "opus")
    cache.put(sha, "opus", good)
    assert cache.read_verified(sha, "opus") == good


def test_cache_drops_a_file_corrupted_on_disk(tmp_path: Path) -> None:
    cache = AudioCache(tmp_path)
    sha = hashlib.sha256(b"x").hexdigest()
    cache.put(sha, "opus", b"x")
    cache.path(sha, "opus").write_bytes(b"y")
    assert cache.read_verified(sha, "opus") is None and not cache.has(sha, "opus")


def report(n: int) -> PlayReport:
    now = datetime.now(UTC)
    return PlayReport(
        report_id=f"report-{n:04d}",
        commune="XA",
        playlist_version=1,
        item_id=f"b{n}",
        asset_sha256="a" * 64,
        played_sha256="a" * 64,
        scheduled_start=now,
        started_at=now,
        ended_at=now,
    )


def test_outbox_survives_a_restart_and_forgets_only_what_was_sent(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    for n in range(3):
        outbox.put(report(n))
    outbox.done(report(1))
    reopened = Outbox(tmp_path)
    assert sorted(r.report_id for r in reopened.pending()) == ["report-0000", "report-0002"]


def test_outbox_sets_aside_an_unreadable_report(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.put(report(1))
    (tmp_path / "broken.json").write_text("{")
    assert [r.report_id for r in outbox.pending()] == ["report-0001"]
    assert (tmp_path / "broken.bad").exists()


def test_session_sequence_increases_across_restarts(tmp_path: Path) -> None:
    assert [NodeState(tmp_path).next_session_seq() for _ in range(3)] == [1, 2, 3]


def test_sound_card_sink_decodes_opus_before_airtime() -> None:
    import asyncio
    import math
    import struct
    import wave
    from io import BytesIO

    from audio_library import AudioSettings, encode_broadcast
    from devices.protocol import PlaylistItem
    from firmware_sim.sink import PyAudioSink

    buffer = BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(n / 5))) for n in range(16_000)))
    encoded = encode_broadcast(buffer.getvalue(), AudioSettings())
    sha = hashlib.sha256(encoded.data).hexdigest()
    item = PlaylistItem(
        item_id="b1",
        title="t",
        asset_sha256=sha,
        asset_url="/x",
        duration_ms=encoded.duration_ms,
        starts_at=datetime.now(UTC),
    )
    sink = PyAudioSink()
    asyncio.run(sink.prepare(item, encoded.data))
    pcm = sink._decoded[sha]
    assert abs(len(pcm) / (2 * PyAudioSink.RATE_HZ) - encoded.duration_ms / 1000) < 0.05


def test_sound_card_volume_scales_the_samples_it_writes() -> None:
    loud = array.array("h", [20_000, -20_000, 1_000, 0]).tobytes()
    assert scale_pcm(loud, 100) == loud
    assert array.array("h", scale_pcm(loud, 50)).tolist() == [5_000, -5_000, 250, 0]  # -12 dB
    assert array.array("h", scale_pcm(loud, 0)).tolist() == [0, 0, 0, 0]
    assert volume_gain(10) == pytest.approx(0.01)  # -40 dB
