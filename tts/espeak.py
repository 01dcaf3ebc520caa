"""espeak-ng: the offline engine, always available, used when there is no internet."""

from __future__ import annotations

import asyncio
import shutil

from tts.errors import SynthesisFailed, TextRejected
from tts.settings import TtsSettings
from tts.synthesizer import Dialect, Speech


class EspeakSynthesizer:
    name = "espeak"

    def __init__(self, settings: TtsSettings) -> None:
        self._settings = settings

    def voice_for(self, dialect: Dialect) -> str:
        s = self._settings
        return s.espeak_voice_south if dialect == "south" else s.espeak_voice_north

    async def synthesize(self, spoken_text: str, *, dialect: Dialect) -> Speech:
        text = spoken_text.strip()
        if not text:
            raise TextRejected("nothing to say")
        if len(text) > self._settings.max_text_chars:
            raise TextRejected(f"text of {len(text)} characters exceeds {self._settings.max_text_chars}")
        exe = shutil.which(self._settings.espeak_path)
        if exe is None:
            raise SynthesisFailed(f"{self._settings.espeak_path} is not installed (run scripts/bootstrap.sh)")
        voice = self.voice_for(dialect)
        proc = await asyncio.create_subprocess_exec(
            exe,
            "-v",
            voice,
            "-s",
            str(self._settings.espeak_rate_wpm),
            "-b",
            "1",
            "--stdin",
            "--stdout",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(
                proc.communicate(text.encode("utf-8")), timeout=self._settings.synthesis_timeout_s
            )
        except TimeoutError as exc:
            proc.kill()
            await proc.wait()
            raise SynthesisFailed(f"espeak-ng took longer than {self._settings.synthesis_timeout_s} s") from exc
        if proc.returncode != 0 or len(out) <= 44:
            raise SynthesisFailed(f"espeak-ng failed ({proc.returncode}): {err.decode(errors='replace')[:300]}")
        return Speech(audio=out, engine=self.name, voice=voice)
