"""Reading an audio upload from a raw request body, with a size limit, into bytes for the audio chain."""

from __future__ import annotations

from fastapi import Request

from audio_library import AudioTooLarge, InvalidAudio

# What ffprobe calls the containers officers upload: MP3, WAV, M4A (an MP4 container) and Ogg.
RECORDING_FORMATS = frozenset({"mp3", "wav", "mov", "mp4", "m4a", "ogg"})


async def read_upload(request: Request, max_bytes: int) -> bytes:
    """The whole body, refused with AudioTooLarge past `max_bytes` (counted as it arrives, not trusted)."""
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > max_bytes:
            raise AudioTooLarge(f"upload exceeds {max_bytes} bytes")
    if not received:
        raise InvalidAudio("empty upload", message_vi="Chưa có tệp âm thanh nào được gửi lên.")
    return bytes(received)
