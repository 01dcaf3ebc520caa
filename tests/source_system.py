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


def approval_text(source: str, fields: dict[str, Any]) -> bytes:
    """What an approver at the source signs (docs/source-link.md, "Approval at the source"), built as an
    integrator would: netstrings of the label, source, id, version, action, language, priority, target,
    validity (UTC, to the second), the words and the recording's hash (empty without one)."""
    target = fields.get("target") or {}
    where = ""
    if "province" in target:
        where = f"province:{target['province']}"
    elif "communes" in target:
        where = "communes:" + ",".join(sorted(set(target["communes"])))

    def utc(value: str | None) -> str:
        return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""

    values = [
        "loaxa-approval/3",
        source,
        fields["id"],
        str(fields["version"]),
        fields.get("action", "publish"),
        fields.get("language", "vi"),
        fields.get("priority", "thong_thuong"),
        where,
        utc(fields.get("valid_from")),
        utc(fields.get("valid_until")),
        fields["title"],
        fields["text"],
        (fields.get("audio") or {}).get("sha256", ""),
    ]
    return b"".join(f"{len(v.encode())}:".encode() + v.encode() + b"," for v in values)


class Approver:
    """A named approver at the source, with a key of their own."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.key = Ed25519PrivateKey.generate()
        self.public_key = base64.b64encode(self.key.public_key().public_bytes_raw()).decode()

    def approve(self, source: str, fields: dict[str, Any]) -> dict[str, Any]:
        signature = base64.b64encode(self.key.sign(approval_text(source, fields))).decode()
        return {**fields, "approval": {"approver": self.name, "signature": signature}}
