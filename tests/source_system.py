"""The source system's side of the link, for tests: an Ed25519 key, and messages signed as docs/source-link.md says."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


class SourceSigner:
    def __init__(self, code: str) -> None:
        self.code = code
        self.key = Ed25519PrivateKey.generate()
        self.public_key = base64.b64encode(self.key.public_key().public_bytes_raw()).decode()

    def message(self, item: dict[str, Any], *, sent_at: datetime | None = None, nonce: str | None = None) -> bytes:
        envelope = {
            "link_version": 1,
            "source": self.code,
            "sent_at": (sent_at or datetime.now(UTC)).isoformat(),
            "nonce": nonce or secrets.token_urlsafe(18),
            "item": item,
        }
        return json.dumps(envelope, ensure_ascii=False).encode()

    def headers(self, body: bytes) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "X-Loaxa-Source": self.code,
            "X-Loaxa-Signature": base64.b64encode(self.key.sign(body)).decode(),
        }

    def send(self, client: httpx.Client, body: bytes) -> httpx.Response:
        return client.post("/api/v1/source-link/items", content=body, headers=self.headers(body))


def item(item_id: str = "STP-2026-0001", version: int = 1, **fields: Any) -> dict[str, Any]:
    """A publishable item for communes XA-A and XA-B unless told otherwise."""
    return {
        "id": item_id,
        "version": version,
        "title": "Phòng chống ma túy trong thanh thiếu niên",
        "text": "Kính thưa bà con, Sở Tư pháp thông báo về phòng chống ma túy.",
        "legal_field": "phòng chống ma túy",
        "priority": "thong_thuong",
        "target": {"communes": ["XA-A", "XA-B"]},
        **fields,
    }
