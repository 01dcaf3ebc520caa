"""espeak-ng: the offline engine, always available, used when there is no internet."""

from __future__ import annotations

import asyncio
import shutil

from tts.errors import EngineUnavailable, LanguageUnsupported
from tts.settings import TtsSettings
from tts.synthesizer import Dialect, Language, Speech, VoiceKey, speakable


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
        return VoiceKey(engine=self.name, voice=self.voice_for(dialect), rate=f"{self._settings.espeak_rate_wpm}wpm")

    async def synthesize(self, spoken_text: str, *, dialect: Dialect, language: Language = "vi") -> Speech:
        text = speakable(spoken_text, self._settings.max_text_chars)
        key = self.voice_key(dialect=dialect, language=language)
        exe = shutil.which(self._settings.espeak_path)
        if exe is None:
            raise EngineUnavailable(f"{self._settings.espeak_path} is not installed (run scripts/bootstrap.sh)")
        proc = await asyncio.create_subprocess_exec(
            exe,
            "-v",
            key.voice,
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
            raise EngineUnavailable(f"espeak-ng took longer than {self._settings.synthesis_timeout_s} s") from exc
        finally:
            if proc.returncode is None:  # timed out, or the caller was cancelled: leave no orphan behind
                proc.kill()
                await proc.wait()
        if proc.returncode != 0 or len(out) <= 44:
            raise EngineUnavailable(f"espeak-ng failed ({proc.returncode}): {err.decode(errors='replace')[:300]}")
        return Speech(audio=out, engine=key.engine, voice=key.voice, rate=key.rate)
