"""espeak-ng: the offline engine, always available, used when there is no internet.

A long text is cut at sentence ends into chunks of at most `espeak_chunk_chars` characters, each spoken
by its own espeak-ng process, up to `espeak_workers` at once, and the PCM is joined in text order.
espeak-ng ends every text with about the pause it puts after a sentence, so joining at sentence ends
sounds like one process: a seam's pause comes out about 40 ms shorter (measured on the 500-word bench
bulletin: 7 chunks, 0.26 s shorter in all), while two cores speak it in about half the time. The worker
count never changes the audio; the chunk size decides where the seams fall.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import struct
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

from tts.edge import split_into_chunks
from tts.errors import EngineUnavailable, LanguageUnsupported
from tts.settings import TtsSettings
from tts.synthesizer import Dialect, Language, Speech, VoiceKey, speakable

# espeak-ng writes a canonical 44-byte WAV header (RIFF, "fmt " of 16 bytes, "data") before its PCM;
# on stdout it cannot seek back, so the two length fields are left at their maximum.
_HEADER_BYTES = 44
_FORMAT = slice(20, 36)  # the "fmt " body: encoding, channels, rate, byte rate, block size, sample bits


class EspeakSynthesizer:
    """espeak-ng speaking WAV. Vietnamese only: espeak-ng ships no Khmer voice (`espeak-ng --voices=km` is empty)."""

    name = "espeak"

    def __init__(self, settings: TtsSettings) -> None:
        self._settings = settings

    def voice_for(self, dialect: Dialect) -> str:
        s = self._settings
        return s.espeak_voice_south if dialect == "south" else s.espeak_voice_north

    def voice_key(self, *, dialect: Dialect, language: Language) -> VoiceKey:
        if language != "vi":
            raise LanguageUnsupported(f"espeak-ng has no voice for language {language!r}")
        s = self._settings
        # The chunk size decides where the seams fall (the worker count does not change the audio).
        options = f"chunk{s.espeak_chunk_chars}"
        rate = f"{s.espeak_rate_wpm}wpm"
        return VoiceKey(engine=self.name, voice=self.voice_for(dialect), rate=rate, options=options)

    async def synthesize(self, spoken_text: str, *, dialect: Dialect, language: Language = "vi") -> Speech:
        text = speakable(spoken_text, self._settings.max_text_chars)
        key = self.voice_key(dialect=dialect, language=language)
        exe = shutil.which(self._settings.espeak_path)
        if exe is None:
            raise EngineUnavailable(f"{self._settings.espeak_path} is not installed (run scripts/bootstrap.sh)")
        pieces = split_into_chunks(text, self._settings.espeak_chunk_chars)
        audio = join_wavs(await asyncio.to_thread(self._speak_all, exe, key, pieces))
        return Speech(audio=audio, engine=key.engine, voice=key.voice, rate=key.rate, options=key.options)

    def _speak_all(self, exe: str, key: VoiceKey, pieces: list[str]) -> list[bytes]:
        """Every chunk's WAV, in text order, up to `espeak_workers` processes at once. After a failure no
        further chunk starts (those running finish, each within the timeout); the first failing chunk in
        text order is raised.

        Blocking processes in a thread pool rather than asyncio subprocesses: a failed chunk then never has
        to cancel and reap its siblings from the event loop, which once left the caller's loop hanging."""
        failed = threading.Event()

        def speak(number: int, piece: str) -> bytes | None:
            if failed.is_set():
                return None
            try:
                return self._speak(exe, key, piece, f"chunk {number}/{len(pieces)}")
            except EngineUnavailable:
                failed.set()
                raise

        workers = max(1, self._settings.espeak_workers)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="espeak") as pool:
            futures = [pool.submit(speak, number, piece) for number, piece in enumerate(pieces, 1)]
        wavs: list[bytes] = []
        for future in futures:
            error = future.exception()
            if error is not None:
                raise error
            wav = future.result()
            if wav is None:  # not started after a failure of a later chunk
                raise next(f.exception() for f in futures if f.exception() is not None) or EngineUnavailable(
                    "espeak-ng failed"
                )
            wavs.append(wav)
        return wavs

    def _speak(self, exe: str, key: VoiceKey, text: str, label: str) -> bytes:
        """One espeak-ng process speaking `text` as WAV, under the synthesis timeout."""
        timeout_s = self._settings.synthesis_timeout_s
        command = [exe, "-v", key.voice, "-s", str(self._settings.espeak_rate_wpm), "-b", "1", "--stdin", "--stdout"]
        # Its own process group: a hung run is killed whole, even behind a wrapper script.
        with subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        ) as proc:
            try:
                out, err = proc.communicate(text.encode("utf-8"), timeout=timeout_s)
            except subprocess.TimeoutExpired as exc:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
                raise EngineUnavailable(f"espeak-ng took longer than {timeout_s} s ({label})") from exc
        if proc.returncode != 0 or len(out) <= _HEADER_BYTES:
            detail = err.decode(errors="replace")[:300]
            raise EngineUnavailable(f"espeak-ng failed ({proc.returncode}) on {label}: {detail}")
        return out


def join_wavs(wavs: list[bytes]) -> bytes:
    """espeak-ng's WAVs (as it writes them on stdout) joined in order, with a header giving the true length."""
    if not wavs:
        raise EngineUnavailable("espeak-ng produced no audio")
    header = wavs[0][:_HEADER_BYTES]
    for wav in wavs:
        head = wav[:_HEADER_BYTES]
        if head[:4] != b"RIFF" or head[36:40] != b"data" or head[_FORMAT] != header[_FORMAT]:
            raise EngineUnavailable("espeak-ng wrote a WAV in an unexpected layout")
    pcm = b"".join(wav[_HEADER_BYTES:] for wav in wavs)
    riff = b"RIFF" + struct.pack("<I", 36 + len(pcm)) + header[8:40] + struct.pack("<I", len(pcm))
    return riff + pcm
