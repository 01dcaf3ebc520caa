"""Messages of the source link, version 1, as the source system builds and signs them."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from source_sim.key import SourceKey


@dataclass(frozen=True)
class SignedMessage:
    """The exact bytes sent and their signature (the headers `X-Loaxa-Source`, `X-Loaxa-Signature`)."""

    source: str
    body: bytes
    signature: str

    def headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json", "X-Loaxa-Source": self.source, "X-Loaxa-Signature": self.signature}


def sign_message(
    key: SourceKey, source: str, item: dict[str, Any], *, sent_at: datetime | None = None
) -> SignedMessage:
    envelope = {
        "link_version": 1,
        "source": source,
        "sent_at": (sent_at or datetime.now(UTC)).isoformat(),
        "nonce": secrets.token_urlsafe(18),
        "item": item,
    }
    body = json.dumps(envelope, ensure_ascii=False).encode()
    return SignedMessage(source, body, key.sign(body))
