"""The broadcast chain (trim, high-pass, loudness, chimes, Opus and MP3) with the real ffmpeg and espeak-ng."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from audio_library import (
    AudioSettings,
    AudioTooLong,
    InvalidAudio,
    SilentAudio,
    UnsupportedAudioFormat,
    chain_signature,
    measure_loudness,
    produce_broadcast,
    sha256_bytes,
)

SENTENCE = "Kính thưa bà con, Ủy ban nhân dân xã thông báo lịch tiêm chủng cho trẻ em trong tuần này."
RECORDING_FORMATS = frozenset({"mp3", "wav", "mov", "mp4", "m4a", "ogg"})


def ffmpeg(*args: str, data: bytes = b"") -> bytes:
    return subprocess.run(
        ["ffmpeg", "-hide_banner", "-v", "error", *args], input=data, capture_output=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Real speech from espeak-ng, with 1.5 s of silence before and 2 s after."""
    raw = tmp_path_factory.mktemp("speech") / "raw.wav"
    subprocess.run(["espeak-ng", "-v", "vi", "-s", "140", "-w", str(raw), SENTENCE], check=True)
    return ffmpeg("-i", str(raw), "-af", "adelay=1500,apad=pad_dur=2", "-f", "wav", "pipe:1")


@pytest.fixture
def audio(tmp_path: Path) -> AudioSettings:
    return AudioSettings(storage_dir=tmp_path / "audio")


def duration_s(data: bytes, tmp_path: Path, suffix: str) -> float:
    path = tmp_path / f"probe{suffix}"
    path.write_bytes(data)
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout)


def band_rms_db(data: bytes, band: str) -> float:
    """RMS level of one frequency band of decoded audio, as ffmpeg's astats measures it."""
    log = subprocess.run(
        ["ffmpeg", "-hide_banner", "-i", "pipe:0", "-af", f"{band},astats=metadata=0", "-f", "null", "-"],
        input=data,
        capture_output=True,
        check=True,
    ).stderr.decode()
    return float(re.findall(r"RMS level dB: (-?[0-9.]+|-inf)", log)[-1])


def test_speech_is_trimmed_normalised_and_encoded_twice(
    speech_wav: bytes, audio: AudioSettings, tmp_path: Path
) -> None:
    result = produce_broadcast(speech_wav, audio)
    source_s = duration_s(speech_wav, tmp_path, ".wav")
    opus_s = duration_s(result.opus.data, tmp_path, ".opus")
    # 3.5 s of silence was added (espeak-ng adds a little of its own); all but the lead-in and tail is gone.
    kept_s = (audio.lead_in_ms + audio.tail_ms) / 1000
    assert 3.5 - kept_s - 0.1 <= source_s - opus_s <= 3.5 - kept_s + 0.8
    assert result.trimmed_ms == pytest.approx((source_s - opus_s) * 1000, abs=120)
    assert result.opus.codec == "opus" and result.opus.data[:4] == b"OggS"
    assert result.mp3.codec == "mp3" and result.mp3.duration_ms == pytest.approx(result.opus.duration_ms, abs=80)
    assert abs(result.loudness.integrated_lufs - audio.target_lufs) <= 1.0
    assert result.loudness.true_peak_dbtp <= audio.true_peak_dbtp
    for data, suffix in ((result.opus.data, ".opus"), (result.mp3.data, ".mp3")):
        path = tmp_path / f"check{suffix}"
        path.write_bytes(data)
        measured = measure_loudness(path, audio)
        assert abs(measured.integrated_lufs - audio.target_lufs) <= 1.0, suffix
        assert measured.true_peak_dbtp <= audio.true_peak_dbtp, suffix


@pytest.mark.parametrize("gain_db", [-25, 12])
def test_quiet_and_clipping_inputs_reach_the_same_loudness(
    speech_wav: bytes, audio: AudioSettings, tmp_path: Path, gain_db: int
) -> None:
    source = ffmpeg("-i", "pipe:0", "-af", f"volume={gain_db}dB", "-f", "wav", "pipe:1", data=speech_wav)
    result = produce_broadcast(source, audio)
    assert abs(result.loudness.integrated_lufs - audio.target_lufs) <= 1.0
    assert result.loudness.true_peak_dbtp <= audio.true_peak_dbtp


def test_target_and_ceiling_are_settings(speech_wav: bytes, tmp_path: Path) -> None:
    settings = AudioSettings(storage_dir=tmp_path, target_lufs=-23.0, true_peak_dbtp=-3.0)
    result = produce_broadcast(speech_wav, settings)
    assert abs(result.loudness.integrated_lufs + 23.0) <= 1.0
    assert result.loudness.true_peak_dbtp <= -3.0


def test_high_pass_removes_rumble_that_horns_cannot_play(audio: AudioSettings) -> None:
    # Equal parts 60 Hz hum and a 1 kHz tone.
    source = ffmpeg(
        "-f", "lavfi", "-i", "sine=f=60:d=4", "-f", "lavfi", "-i", "sine=f=1000:d=4",
        "-filter_complex", "amix=inputs=2", "-f", "wav", "pipe:1",
    )  # fmt: skip
    before = band_rms_db(source, "lowpass=f=100") - band_rms_db(source, "bandpass=f=1000")
    result = produce_broadcast(source, audio)
    after = band_rms_db(result.opus.data, "lowpass=f=100") - band_rms_db(result.opus.data, "bandpass=f=1000")
    assert after < before - 10
    unfiltered = produce_broadcast(source, audio.model_copy(update={"highpass_hz": 0}))
    kept = band_rms_db(unfiltered.opus.data, "lowpass=f=100") - band_rms_db(unfiltered.opus.data, "bandpass=f=1000")
    assert kept > after + 10


def test_chimes_go_around_the_speech(speech_wav: bytes, audio: AudioSettings, tmp_path: Path) -> None:
    chime = ffmpeg("-f", "lavfi", "-i", "sine=f=880:d=1.2", "-f", "wav", "pipe:1")
    plain = produce_broadcast(speech_wav, audio)
    framed = produce_broadcast(speech_wav, audio, intro=chime, outro=chime)
    gap = audio.chime_gap_ms / 1000
    expected = plain.opus.duration_ms / 1000 + 2 * (1.2 + gap)
    assert duration_s(framed.opus.data, tmp_path, ".opus") == pytest.approx(expected, abs=0.15)
    # The start is the chime's 880 Hz tone, not speech.
    head = ffmpeg("-i", "pipe:0", "-t", "1.0", "-f", "wav", "pipe:1", data=framed.opus.data)
    assert band_rms_db(head, "bandpass=f=880:w=50") > band_rms_db(head, "bandpass=f=300:w=100") + 10
    assert abs(framed.loudness.integrated_lufs - audio.target_lufs) <= 1.0


def test_same_input_gives_the_same_assets(speech_wav: bytes, audio: AudioSettings) -> None:
    first, second = produce_broadcast(speech_wav, audio), produce_broadcast(speech_wav, audio)
    assert sha256_bytes(first.opus.data) == sha256_bytes(second.opus.data)
    assert sha256_bytes(first.mp3.data) == sha256_bytes(second.mp3.data)


@pytest.mark.parametrize(
    ("extension", "args"),
    [
        ("mp3", ["-c:a", "libmp3lame", "-f", "mp3"]),
        ("wav", ["-f", "wav"]),
        ("m4a", ["-c:a", "aac", "-f", "ipod"]),
        ("ogg", ["-c:a", "libvorbis", "-f", "ogg"]),
    ],
)
def test_uploaded_formats_are_accepted(
    speech_wav: bytes, audio: AudioSettings, tmp_path: Path, extension: str, args: list[str]
) -> None:
    # m4a keeps its index at the end, so it is written to a file (as a phone records it), not a pipe.
    target = tmp_path / f"upload.{extension}"
    ffmpeg("-i", "pipe:0", *args, str(target), data=speech_wav)
    result = produce_broadcast(target.read_bytes(), audio, allowed_formats=RECORDING_FORMATS)
    assert abs(result.loudness.integrated_lufs - audio.target_lufs) <= 1.0


def test_formats_outside_the_list_are_refused(speech_wav: bytes, audio: AudioSettings) -> None:
    flac = ffmpeg("-i", "pipe:0", "-f", "flac", "pipe:1", data=speech_wav)
    with pytest.raises(UnsupportedAudioFormat):
        produce_broadcast(flac, audio, allowed_formats=RECORDING_FORMATS)


def test_audio_over_the_length_limit_is_refused(speech_wav: bytes, tmp_path: Path) -> None:
    with pytest.raises(AudioTooLong):
        produce_broadcast(speech_wav, AudioSettings(storage_dir=tmp_path, max_duration_s=3))


def test_silence_only_is_refused(audio: AudioSettings) -> None:
    silence = ffmpeg("-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono", "-t", "3", "-f", "wav", "pipe:1")
    with pytest.raises(SilentAudio):
        produce_broadcast(silence, audio)


@pytest.mark.parametrize(
    "garbage",
    [b"", b"RIFF\x00\x00\x00\x00WAVEjunk", b"ID3\x03\x00\x00\x00" + b"\xff" * 500, b"not audio at all" * 200],
)
def test_corrupt_input_is_invalid_audio(audio: AudioSettings, garbage: bytes) -> None:
    with pytest.raises(InvalidAudio):
        produce_broadcast(garbage, audio)


def test_truncated_upload_is_invalid_or_still_clean(speech_wav: bytes, audio: AudioSettings, tmp_path: Path) -> None:
    """A cut-off MP3 either decodes what is there or is refused; it never yields an out-of-spec file."""
    target = tmp_path / "cut.mp3"
    ffmpeg("-i", "pipe:0", "-c:a", "libmp3lame", str(target), data=speech_wav)
    data = target.read_bytes()[:2000]
    try:
        result = produce_broadcast(data, audio, allowed_formats=RECORDING_FORMATS)
    except InvalidAudio:
        return
    assert result.loudness.true_peak_dbtp <= audio.true_peak_dbtp


def test_signature_changes_with_every_setting_that_changes_audio(tmp_path: Path) -> None:
    base = AudioSettings(storage_dir=tmp_path)
    changes: list[dict[str, object]] = [
        {"target_lufs": -18.0},
        {"true_peak_dbtp": -2.0},
        {"highpass_hz": 100},
        {"opus_bitrate_kbps": 32},
        {"mp3_bitrate_kbps": 64},
        {"compress_speech": False},
        {"chime_gap_ms": 300},
    ]
    signatures = {chain_signature(base)} | {chain_signature(base.model_copy(update=c)) for c in changes}
    assert len(signatures) == len(changes) + 1
    assert chain_signature(base.model_copy(update={"storage_dir": tmp_path / "x"})) == chain_signature(base)
