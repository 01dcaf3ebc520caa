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
from audio_library.codec import Pipeline


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


def test_a_pipeline_saves_what_the_producer_wrote_and_feeds_it_to_the_consumer(tmp_path: Path) -> None:
    source = tmp_path / "tone.wav"
    source.write_bytes(tone_wav(2.0))
    direct = tmp_path / "direct.mp3"
    # As the chain encodes: no header the muxer would seek back to fill in (a pipe cannot seek).
    encode = ["ffmpeg", "-v", "error", "-i", str(source), "-c:a", "libmp3lame", "-b:a", "48k", "-write_xing", "0"]
    encode += ["-id3v2_version", "0", "-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", "mp3"]
    subprocess.run([*encode, str(direct)], check=True)
    piped = tmp_path / "piped.mp3"
    log = Pipeline([*encode, "pipe:1"], ["ffmpeg", "-f", "mp3", "-i", "pipe:0", "-f", "null", "-"], 30).run(piped)
    assert piped.read_bytes() == direct.read_bytes()
    assert "Audio: mp3" in log  # the consumer's log: it decoded what the producer wrote


@pytest.mark.parametrize(
    ("producer", "consumer", "message"),
    [
        (["ffmpeg", "-v", "error", "-i", "no-such-file.wav", "-f", "wav", "pipe:1"], ["cat"], "No such file"),
        (["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=d=60", "-f", "wav", "pipe:1"], ["false"], "failed"),
        (["sleep", "30"], ["cat"], "did not finish within 0.5 s"),
    ],
)
def test_a_pipeline_failure_is_invalid_audio(
    tmp_path: Path, producer: list[str], consumer: list[str], message: str
) -> None:
    with pytest.raises(InvalidAudio, match=message):
        Pipeline(producer, consumer, 0.5 if producer[0] == "sleep" else 30).run(tmp_path / "out")
