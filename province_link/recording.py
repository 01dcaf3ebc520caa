"""Recordings sent with the source's items: fetched from where the source serves them, checked against
the signed message, and stored by the caller's audio chain in the same transaction as the item.

The message names the file by its size and SHA-256, and the message is signed: a file that differs in
any byte (a wrong link, a swapped file, a man in the middle of a plain-HTTP download) is refused, so the
source may serve its recordings from any web server, HTTPS or not. Redirects are not followed: the link
must name the file itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import httpx
from sqlmodel import Session

from province_link.errors import ItemRefused
from province_link.wire import ItemAudio

# Stores the fetched, checked file as broadcast audio and answers its asset's hash; raises ItemRefused
# when the bytes are not audio it can air. Given by the composition root (it owns the audio chain).
RecordingLoader = Callable[[Session, ItemAudio], str]


def fetch_recording(audio: ItemAudio, *, max_bytes: int, timeout_s: float) -> bytes:
    """The recording's bytes, exactly as the message describes them, or ItemRefused saying what was wrong."""
    if audio.bytes > max_bytes:
        raise ItemRefused(
            f"recording of {audio.bytes} bytes exceeds the limit of {max_bytes}",
            message_vi=f"Tệp ghi âm quá lớn (giới hạn {max_bytes // (1024 * 1024)} MB).",
        )
    data = bytearray()
    try:
        with httpx.stream("GET", audio.url, timeout=timeout_s, follow_redirects=False) as response:
            if response.status_code != 200:
                raise ItemRefused(
                    f"GET {audio.url[:300]} answered {response.status_code}",
                    message_vi=f"Không tải được tệp ghi âm từ hệ thống nguồn (mã {response.status_code}).",
                )
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > audio.bytes:
                    break
    except httpx.HTTPError as exc:
        raise ItemRefused(
            f"GET {audio.url[:300]} failed: {type(exc).__name__}: {exc}"[:2000],
            message_vi="Không tải được tệp ghi âm từ hệ thống nguồn (không kết nối được hoặc quá thời gian chờ).",
        ) from exc
    if len(data) != audio.bytes or hashlib.sha256(data).hexdigest() != audio.sha256:
        raise ItemRefused(
            f"the file at {audio.url[:300]} is not the one signed for: {len(data)} bytes"
            f"{'+' if len(data) > audio.bytes else ''}, expected {audio.bytes} bytes with SHA-256 {audio.sha256}",
            message_vi="Tệp ghi âm tải về không khớp với tệp được ký trong bản tin (kích thước hoặc mã băm khác).",
        )
    return bytes(data)
