"""The broadcast chain: any speech or recording in, horn-ready Opus and MP3 out.

ffmpeg runs over temporary files (never the whole audio in Python memory):

1. analyse: decode to mono 48 kHz; band-limit for horn speakers; a gentle speech compressor; find the
   leading and trailing silence (silencedetect) and measure the integrated loudness (EBU R128);
2. render and encode, Opus (primary) and MP3 (legacy nodes) side by side, each in one ffmpeg run: trim
   the silence (short fades at the cuts, so no click), apply the gain that brings the speech to the
   target loudness, limit peaks under the ceiling, put the commune's chimes around it (each brought to
   the target loudness the same way), and encode bit-exact, so the same input gives the same sha256;
3. measure each file (integrated loudness, true peak) while it is being encoded: a second ffmpeg reads
   the encoder's output as it comes, and Python copies it to the file too. Lossy encoders overshoot
   peaks, so if a file is over the true-peak ceiling, or off the loudness target, that codec alone is
   rendered and encoded again with its gain and ceiling corrected by what was measured (at most
   `_CORRECTIONS` times). The other codec's file, already within its limits, is kept: every file is
   checked against the same ceiling and the loudness target, so the two renditions may differ only
   by what the correction changed (a fraction of a dB).

Silence is trimmed before gain, and R128's gate ignores silence, so trimming never changes loudness.
"""

from __future__ import annotations

import math
import re
import tempfile
import wave
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from audio_library.codec import EncodedAudio, Pipeline, probe_file, run_tool
from audio_library.errors import AudioTooLong, InvalidAudio, SilentAudio, UnsupportedAudioFormat
from audio_library.settings import AudioSettings

# Bump when the chain's output changes for the same input; it is part of the speech cache key.
# 3: each codec is corrected on its own (an Opus correction no longer re-renders a good MP3), and the
#    MP3's loudness is checked too.
CHAIN_VERSION = 3

SAMPLE_RATE = 48_000
MP3_SAMPLE_RATE = 44_100
# Fades at trim points: 10 ms is inaudible as a fade but removes the click of a hard cut.
_FADE_S = 0.010
# The limiter aims this far under the true-peak ceiling: it sees samples, not the peaks between them,
# and Opus at 24 kbps (constrained VBR) overshoots the peaks it is given by up to ~2 dB on synthetic speech.
_CODEC_HEADROOM_DB = 2.0
# The limiter and the encoders shave a little loudness off (measured 0.3 to 0.7 LU on the sample bulletins);
# it is given back
# up front so the first render usually lands on target.
_OPUS_LOUDNESS_LOSS_LU = 0.5
# Render again when the measured loudness is further than this from the target (the issue allows 1 LU).
_LOUDNESS_TOLERANCE_LU = 0.5
# The MP3 rendition is held to the 1 LU the issue allows: MP3 at 48 kbps loses about 0.3 LU more than
# Opus, so holding it to 0.5 LU too would re-encode most MP3s for a difference no listener hears.
_LEGACY_LOUDNESS_TOLERANCE_LU = 1.0
_CORRECTIONS = 2
# A gentle speech compressor (3:1 above -24 dBFS, 5 ms attack so plosives are caught, 150 ms release so
# pauses are not pumped): a lower crest factor lets the gain reach the target without heavy limiting,
# and compressed speech carries further outdoors.
_COMPRESSOR = "acompressor=threshold=-24dB:ratio=3:attack=5:release=150:makeup=1"
# Look-ahead limiter: 5 ms attack catches consonant peaks, 50 ms release recovers before the next syllable.
_LIMITER = "alimiter=attack=5:release=50:level=disabled:limit={limit:.5f}"
# ffmpeg handles a minute of speech in about a second; this many seconds per minute of audio is on top
# of `ffmpeg_timeout_s`, so a 30-minute recording on a loaded machine is not cut off.
_TIMEOUT_S_PER_MINUTE = 10.0

# True peak, and the per-frame log moved to verbose so only the summary is printed.
_EBUR128 = "ebur128=peak=true:framelog=verbose"
_SILENCE_START_RE = re.compile(r"silence_start: (-?[0-9.]+)")
_SILENCE_END_RE = re.compile(r"silence_end: (-?[0-9.]+)")
_SUMMARY_I_RE = re.compile(r"I:\s+(-?[0-9.]+|-inf) LUFS")
_SUMMARY_PEAK_RE = re.compile(r"Peak:\s+(-?[0-9.]+|-inf) dBFS")


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    true_peak_dbtp: float


@dataclass(frozen=True)
class BroadcastAudio:
    opus: EncodedAudio
    mp3: EncodedAudio
    loudness: Loudness
    trimmed_ms: int


@dataclass(frozen=True)
class _Plan:
    """How to render: the trim, the speech's gain, the limiter's ceiling and each chime's gain."""

    trim: tuple[float, float]
    gain_db: float
    ceiling_db: float
    chime_gains_db: dict[str, float]
    gap_s: float

    def graph(self) -> str:
        return _render_graph(self.trim, self.gain_db, self.ceiling_db, self.chime_gains_db, self.gap_s)

    def corrected(self, excess_db: float, miss_lu: float) -> _Plan:
        """The plan moved by what was measured: over the ceiling by `excess_db`, under target by `miss_lu`."""
        # The codec's overshoot does not follow the ceiling closely: step well past the excess.
        ceiling = self.ceiling_db - (max(excess_db, 0) + 0.5 * (excess_db > 0))
        chimes = {name: value + miss_lu for name, value in self.chime_gains_db.items()}
        return replace(self, gain_db=self.gain_db + miss_lu, ceiling_db=ceiling, chime_gains_db=chimes)


@dataclass(frozen=True)
class _Analysis:
    duration_s: float
    speech_start_s: float
    speech_end_s: float
    loudness_lufs: float


def chain_signature(settings: AudioSettings) -> str:
    """Everything about the chain that changes its output; two equal signatures give equal audio."""
    s = settings
    return (
        f"chain{CHAIN_VERSION}:I{s.target_lufs}:TP{s.true_peak_dbtp}:HP{s.highpass_hz}:LP{s.lowpass_hz}:C{s.compress_speech}"
        f":opus{s.opus_bitrate_kbps}:mp3{s.mp3_bitrate_kbps}:sil{s.silence_threshold_db}/{s.silence_min_ms}"
        f":pad{s.lead_in_ms}/{s.tail_ms}:gap{s.chime_gap_ms}"
    )


def _ffmpeg(settings: AudioSettings, minutes: float, *args: str) -> str:
    """Run ffmpeg at info level (the analysis filters log there) and return its log."""
    timeout = settings.ffmpeg_timeout_s + _TIMEOUT_S_PER_MINUTE * minutes
    done = run_tool([settings.ffmpeg_path, "-hide_banner", "-nostdin", "-nostats", *args], timeout)
    return done.stderr.decode(errors="replace")


def _check_input(path: Path, settings: AudioSettings, allowed_formats: frozenset[str] | None) -> float:
    """Refuse what the chain must not take; return the duration in seconds."""
    info = probe_file(path, settings)
    if info.audio_streams == 0:
        raise InvalidAudio("the file has no audio stream")
    if allowed_formats is not None and not info.format_names & allowed_formats:
        raise UnsupportedAudioFormat(f"format {','.join(sorted(info.format_names))} is not accepted")
    if info.duration_ms <= 0:
        raise InvalidAudio("audio has no duration")
    if info.duration_ms > settings.max_duration_s * 1000:
        raise AudioTooLong(f"{info.duration_ms / 1000:.0f} s is longer than the {settings.max_duration_s} s limit")
    return info.duration_ms / 1000


def _summary_value(pattern: re.Pattern[str], text: str) -> float:
    match = pattern.search(text)
    if match is None:
        raise InvalidAudio("ffmpeg ebur128 gave no measurement")
    return float(match.group(1))


def _analyse(source: Path, clean: Path, settings: AudioSettings, minutes: float) -> _Analysis:
    filters = [f"highpass=f={settings.highpass_hz}"] if settings.highpass_hz else []
    if settings.lowpass_hz:
        filters.append(f"lowpass=f={settings.lowpass_hz}")
    if settings.compress_speech:
        filters.append(_COMPRESSOR)
    filters.append(f"silencedetect=noise={settings.silence_threshold_db}dB:d={settings.silence_min_ms / 1000}")
    filters.append("ebur128=peak=none:framelog=verbose")
    log = _ffmpeg(
        settings,
        minutes,
        *["-i", str(source), "-vn", "-af", ",".join(filters)],
        *["-ac", "1", "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le", str(clean)],
    )
    with wave.open(str(clean), "rb") as decoded:
        duration = decoded.getnframes() / decoded.getframerate()
    starts = [float(v) for v in _SILENCE_START_RE.findall(log)]
    ends = [float(v) for v in _SILENCE_END_RE.findall(log)]
    start, end = _speech_bounds(duration, starts, ends)
    loudness = _summary_value(_SUMMARY_I_RE, log[log.rfind("Summary:") :])
    return _Analysis(duration_s=duration, speech_start_s=start, speech_end_s=end, loudness_lufs=loudness)


def _speech_bounds(duration: float, starts: list[float], ends: list[float]) -> tuple[float, float]:
    """Where speech begins and ends, from silencedetect's runs of silence."""
    runs = [(start, ends[i] if i < len(ends) else duration) for i, start in enumerate(starts)]
    speech_start, speech_end = 0.0, duration
    if runs and runs[0][0] <= 0.001:
        speech_start = runs[0][1]
    if runs and runs[-1][1] >= duration - 0.001 and runs[-1][0] > speech_start:
        speech_end = runs[-1][0]
    if speech_end - speech_start <= 0.05:
        raise SilentAudio("the audio holds no sound above the silence threshold")
    return speech_start, speech_end


def _render_graph(
    trim: tuple[float, float], gain_db: float, ceiling_db: float, chimes: dict[str, float], gap_s: float
) -> str:
    """Trimmed, gained, limited speech between the chimes (inputs 1.. in `chimes` order, each with its gain)."""
    start, end = trim
    length = end - start
    fmt = f"aformat=sample_fmts=s16:sample_rates={SAMPLE_RATE}:channel_layouts=mono"
    limit = 10 ** (ceiling_db / 20)
    parts = [
        f"[0:a]atrim=start={start:.4f}:end={end:.4f},asetpts=PTS-STARTPTS,"
        f"afade=t=in:d={_FADE_S},afade=t=out:st={max(length - _FADE_S, 0):.4f}:d={_FADE_S},"
        f"volume={gain_db:.3f}dB,{_LIMITER.format(limit=limit)},{fmt}[speech]"
    ]
    order = ["speech"]
    for index, (name, chime_gain_db) in enumerate(chimes.items(), start=1):
        parts.append(f"[{index}:a]volume={chime_gain_db:.3f}dB,{_LIMITER.format(limit=limit)},{fmt}[{name}]")
        parts.append(f"aevalsrc=0:d={gap_s}:s={SAMPLE_RATE},{fmt}[{name}gap]")
        order = [name, f"{name}gap", *order] if name == "intro" else [*order, f"{name}gap", name]
    inputs = "".join(f"[{label}]" for label in order)
    parts.append(f"{inputs}concat=n={len(order)}:v=0:a=1[out]")
    return ";".join(parts)


def _encoder_args(codec: str, settings: AudioSettings) -> list[str]:
    # Reproducible bytes: the same speech must hash to the same asset.
    exact = ["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact"]
    if codec == "opus":
        # Complexity 5 encodes twice as fast as the default 10; at 24 kbps speech the files differ by ~2%.
        # "audio", not "voip": on harsh synthetic consonants the voip mode's decoded peaks overshoot by 3 dB
        # whatever the limiter does; "audio" overshoots by about 0.5 dB and sounds as clear on horns.
        encoder = ["-c:a", "libopus", "-b:a", f"{settings.opus_bitrate_kbps}k", "-application", "audio"]
        # Constrained VBR: in "audio" mode free VBR spends up to twice the bitrate on noisy consonants.
        encoder += ["-vbr", "constrained", "-compression_level", "5", "-f", "ogg"]
    else:
        encoder = ["-ar", str(MP3_SAMPLE_RATE), "-c:a", "libmp3lame", "-b:a", f"{settings.mp3_bitrate_kbps}k"]
        encoder += ["-id3v2_version", "0", "-write_xing", "0", "-f", "mp3"]
    return [*encoder, *exact]


def _encode_and_measure(
    inputs: list[str], graph: str, codec: str, target: Path, settings: AudioSettings, minutes: float
) -> Loudness:
    """Render `graph` and encode it into `target`, measuring the encoded stream as it is written."""
    ffmpeg = [settings.ffmpeg_path, "-hide_banner", "-nostdin", "-nostats"]
    encode = [*ffmpeg, "-v", "error", *inputs, "-filter_complex", graph, "-map", "[out]"]
    encode += [*_encoder_args(codec, settings), "pipe:1"]
    # -nostdin only stops ffmpeg reading keys from the terminal: "pipe:0" is still read.
    measure = [*ffmpeg, "-f", "ogg" if codec == "opus" else "mp3", "-i", "pipe:0"]
    measure += ["-af", _EBUR128, "-f", "null", "-"]
    timeout = settings.ffmpeg_timeout_s + _TIMEOUT_S_PER_MINUTE * minutes
    log = Pipeline(encode, measure, timeout).run(target)
    return _loudness_from(log)


def measure_loudness(path: Path, settings: AudioSettings, minutes: float = 0.0) -> Loudness:
    """Integrated loudness and true peak as ffmpeg's ebur128 filter measures them."""
    return _loudness_from(_ffmpeg(settings, minutes, "-i", str(path), "-af", _EBUR128, "-f", "null", "-"))


def _loudness_from(log: str) -> Loudness:
    summary = log[log.rfind("Summary:") :]
    return Loudness(
        integrated_lufs=_summary_value(_SUMMARY_I_RE, summary), true_peak_dbtp=_summary_value(_SUMMARY_PEAK_RE, summary)
    )


def produce_broadcast(
    source: bytes,
    settings: AudioSettings,
    *,
    intro: bytes | None = None,
    outro: bytes | None = None,
    allowed_formats: frozenset[str] | None = None,
) -> BroadcastAudio:
    """Run the whole chain on `source` (any container ffmpeg reads unless `allowed_formats` narrows it)."""
    if not source:
        raise InvalidAudio("empty audio")
    with tempfile.TemporaryDirectory(prefix="loaxa-chain-") as tmp:
        work = Path(tmp)
        original = work / "source"
        original.write_bytes(source)
        minutes = _check_input(original, settings, allowed_formats) / 60
        clean = work / "clean.wav"
        analysis = _analyse(original, clean, settings, minutes)
        trim = (
            max(analysis.speech_start_s - settings.lead_in_ms / 1000, 0.0),
            min(analysis.speech_end_s + settings.tail_ms / 1000, analysis.duration_s),
        )
        inputs = ["-i", str(clean)]
        gain = settings.target_lufs - analysis.loudness_lufs + _OPUS_LOUDNESS_LOSS_LU
        # Each chime gets its own gain to the target (it may be a raw jingle); corrections move all gains.
        chime_gains: dict[str, float] = {}
        for name, chime in (("intro", intro), ("outro", outro)):
            if chime is not None:
                path = work / name
                path.write_bytes(chime)
                minutes += _check_input(path, settings, None) / 60
                chime_lufs = measure_loudness(path, settings).integrated_lufs
                if math.isinf(chime_lufs):
                    raise SilentAudio(f"the {name} chime is silent")
                chime_gains[name] = settings.target_lufs - chime_lufs + _OPUS_LOUDNESS_LOSS_LU
                inputs += ["-i", str(path)]
        plan = _Plan(
            trim=trim,
            gain_db=gain,
            ceiling_db=settings.true_peak_dbtp - _CODEC_HEADROOM_DB,
            chime_gains_db=chime_gains,
            gap_s=settings.chime_gap_ms / 1000,
        )
        # The two encoders are independent single-threaded processes: run them side by side.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(_fit, "mp3", plan, inputs, work, settings, minutes)
            opus, primary = _fit("opus", plan, inputs, work, settings, minutes)
            mp3, _legacy = pending.result()
        kept = trim[1] - trim[0]
        return BroadcastAudio(
            opus=opus, mp3=mp3, loudness=primary, trimmed_ms=max(round((analysis.duration_s - kept) * 1000), 0)
        )


def _fit(
    codec: str, plan: _Plan, inputs: list[str], work: Path, settings: AudioSettings, minutes: float
) -> tuple[EncodedAudio, Loudness]:
    """Encode `codec` until its file is within the ceiling and the loudness target; the best attempt."""
    tolerance = _LOUDNESS_TOLERANCE_LU if codec == "opus" else _LEGACY_LOUDNESS_TOLERANCE_LU
    attempts: list[tuple[tuple[float, float], Path, Loudness]] = []
    for attempt in range(_CORRECTIONS + 1):
        target = work / f"out{attempt}.{codec}"
        measured = _encode_and_measure(inputs, plan.graph(), codec, target, settings, minutes)
        excess = measured.true_peak_dbtp - settings.true_peak_dbtp
        miss = settings.target_lufs - measured.integrated_lufs
        # Ranked by: over the ceiling at all, then how far off the loudness target.
        attempts.append(((max(excess, 0.0), abs(miss)), target, measured))
        if excess <= 0 and abs(miss) <= tolerance:
            break
        plan = plan.corrected(excess, miss)
    _rank, best, loudness = min(attempts, key=lambda a: a[0])
    info = probe_file(best, settings)
    return EncodedAudio(data=best.read_bytes(), codec=codec, duration_ms=info.duration_ms), loudness


def encode_broadcast(source: bytes, settings: AudioSettings) -> EncodedAudio:
    """The Opus rendition of `produce_broadcast` (for callers that need only what nodes play)."""
    return produce_broadcast(source, settings).opus
