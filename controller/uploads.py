"""Reading an audio upload from a raw request body, with a size limit, into bytes for the audio chain."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from audio_library import AudioTooLarge, InvalidAudio
from controller.errors import error_responses

# What ffprobe calls the containers officers upload: MP3, WAV, M4A (an MP4 container) and Ogg.
RECORDING_FORMATS = frozenset({"mp3", "wav", "mov", "mp4", "m4a", "ogg"})

# The OpenAPI description of an upload route (its body is read raw, so FastAPI cannot see it): any media
# type is taken, the format is found from the bytes; 415 for another format, 503 without ffmpeg.
UPLOAD_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The audio file itself as the body: MP3, WAV, M4A or OGG.",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}
UPLOAD_RESPONSES = error_responses(413, 415, 422, 503)


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
