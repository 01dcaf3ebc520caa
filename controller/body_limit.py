"""Refuses request bodies over a size limit with 413, before they are read into memory."""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _TooLarge(BaseException):
    """Raised from `receive`; a BaseException because FastAPI turns any Exception while it reads the
    body into a generic 400, and this must reach the middleware to become a 413."""


class BodyLimit:
    """Pure ASGI middleware: checks Content-Length up front and counts chunked bodies as they arrive.

    Paths matching `upload_paths` (audio uploads) get `upload_max_bytes` instead of `max_bytes`.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, upload_max_bytes: int | None = None, upload_paths: str | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes or max_bytes
        self.upload_paths = re.compile(upload_paths) if upload_paths else None

    def limit_for(self, path: str) -> int:
        if self.upload_paths is not None and self.upload_paths.fullmatch(path):
            return self.upload_max_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send, limit)

    async def _refuse(self, send: Send, limit: int) -> None:
        body = json.dumps(
            {
                "error": "payload_too_large",
                "message": "Dữ liệu gửi lên quá lớn.",
                "detail": f"limit is {limit} bytes",
            },
            ensure_ascii=False,
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
