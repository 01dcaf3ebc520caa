"""The broadcast chain with the real ffmpeg."""

from __future__ import annotations

import hashlib
import math
import struct
import subprocess
import wave
from io import BytesIO
from pathlib import Path

import pytest

from audio_library import AssetNotFound, AssetStore, AudioSettings, InvalidAudio, encode_broadcast, probe_duration_ms


def tone_wav(seconds: float, rate: int = 22050, amplitude: float = 0.3) -> bytes:
    frames = b"".join(
        struct.pack("<h", int(amplitude * 32767 * math.sin(2 * math.pi * 440 * n / rate)))
        for n in range(int(seconds * rate))
    )
    buffer = BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


@pytest.fixture
def audio(tmp_path: Path) -> AudioSettings:
    return AudioSettings(storage_dir=tmp_path / "audio")


def test_encodes_mono_opus_with_measured_duration(audio: AudioSettings, tmp_path: Path) -> None:
    encoded = encode_broadcast(tone_wav(2.0), audio)
    assert encoded.codec == "opus" and encoded.data[:4] == b"OggS"
    assert abs(encoded.duration_ms - 2000) < 60
    path = tmp_path / "x.opus"
    path.write_bytes(encoded.data)
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,channels", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "opus,1"


def test_same_input_gives_same_bytes(audio: AudioSettings) -> None:
    wav = tone_wav(1.0)
    assert encode_broadcast(wav, audio).data == encode_broadcast(wav, audio).data


@pytest.mark.parametrize("garbage", [b"", b"RIFF\x00\x00\x00\x00WAVEjunk", b"hello, not audio" * 100])
def test_corrupt_audio_is_a_clear_error(audio: AudioSettings, garbage: bytes) -> None:
    with pytest.raises(InvalidAudio):
        encode_broadcast(garbage, audio)


def test_probe_rejects_non_audio(audio: AudioSettings) -> None:
    with pytest.raises(InvalidAudio):
        probe_duration_ms(b"{}", audio)


def test_store_is_content_addressed_and_idempotent(tmp_path: Path) -> None:
    store = AssetStore(tmp_path)
    first = store.put(b"abc", "opus")
    again = store.put(b"abc", "opus")
    assert first == again and first.sha256 == hashlib.sha256(b"abc").hexdigest()
    assert store.open_path(first.sha256, "opus").read_bytes() == b"abc"
    assert not list(first.path.parent.glob(".incoming-*"))


@pytest.mark.parametrize("name", [("../../etc/passwd", "opus"), ("a" * 64, "exe"), ("A" * 64, "opus")])
def test_store_refuses_paths_that_are_not_addresses(tmp_path: Path, name: tuple[str, str]) -> None:
    with pytest.raises(AssetNotFound):
        AssetStore(tmp_path).open_path(*name)
