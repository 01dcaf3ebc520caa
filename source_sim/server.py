"""The simulated source system's HTTP side: pushes items to loaxa, serves them as a feed, takes reports.

    GET  /health              {"source": code}
    POST /items               (the operator) sign an item, keep it in the feed, push it to loaxa if set
    GET  /feed?after=N        the signed messages after sequence N, for loaxa's pull mode
    POST /recordings          (the operator) keep a recording (raw body); answers the item's `audio` field
    GET  /media/<sha256>      a kept recording, for loaxa to fetch
    POST /cap                 (the operator) write a CAP 1.2 alert from a small JSON description
                              (`source_sim.cap`), keep it, push it to loaxa if set
    GET  /cap/<n>.xml         a kept CAP alert, as sent
    POST /reports             loaxa's reports: {"messages": [{"id": ..., ...}]}, stored once per id, acked by id
                              (checked against loaxa's key when given); any kind, known or not, is kept
    GET  /reports?kind=K      the reports received (of kind K: play, station, cluster, bulletin), in arrival
                              order, and `latest`: the newest report of each subject (station, cluster, bulletin)

State lives in `state_dir`: `source-key.pem`, `feed.jsonl` (every signed message), `reports.jsonl`,
`media/` (recordings, named by their SHA-256) and `cap/` (alerts sent, `<n>.xml` and `<n>.json`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from source_sim.cap import build_alert
from source_sim.key import SourceKey
from source_sim.messages import SignedMessage, sign_message

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024 * 1024


class SourceSystemSim:
    """One source system on `host:port` (port 0: a free one), pushing to `loaxa_url` when given."""

    def __init__(
        self,
        state_dir: Path,
        code: str,
        *,
        loaxa_url: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        push_timeout_s: float = 30.0,
        loaxa_public_key: str | None = None,
    ) -> None:
        self.state_dir = state_dir
        self.code = code
        self.loaxa_url = loaxa_url
        self.push_timeout_s = push_timeout_s
        # loaxa's report key (`loaxa source key`); when set, a report not signed with it is refused.
        self.loaxa_public_key = loaxa_public_key
        state_dir.mkdir(parents=True, exist_ok=True)
        self.key = SourceKey.load_or_create(state_dir / "source-key.pem")
        self._lock = threading.Lock()
        self._feed_path = state_dir / "feed.jsonl"
        self._reports_path = state_dir / "reports.jsonl"
        self._feed: list[dict[str, Any]] = _read_lines(self._feed_path)
        self._reports: dict[str, dict[str, Any]] = {str(r["id"]): r for r in _read_lines(self._reports_path)}
        self._address = (host, port)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        """Serve the feed and take reports, in a background thread."""
        self._server = ThreadingHTTPServer(self._address, _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, name="source-sim", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._server = None

    def __enter__(self) -> SourceSystemSim:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def publish(self, item: dict[str, Any]) -> tuple[int, httpx.Response | None]:
        """Sign the item, add it to the feed, and push it to loaxa (if set); the feed sequence and loaxa's answer."""
        message = sign_message(self.key, self.code, item)
        with self._lock:
            seq = len(self._feed) + 1
            entry = {"seq": seq, "body": message.body.decode(), "signature": message.signature}
            self._feed.append(entry)
            _append_line(self._feed_path, entry)
        return seq, self.push(message) if self.loaxa_url else None

    def add_recording(self, data: bytes) -> dict[str, Any]:
        """Keep a recording and answer the `audio` field of an item that airs it (its link, size and hash)."""
        digest = hashlib.sha256(data).hexdigest()
        media = self.state_dir / "media"
        media.mkdir(exist_ok=True)
        (media / digest).write_bytes(data)
        return {"url": f"{self.url}/media/{digest}", "sha256": digest, "bytes": len(data)}

    def recording(self, digest: str) -> bytes | None:
        path = self.state_dir / "media" / digest
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest) or not path.is_file():
            return None
        return path.read_bytes()

    def publish_cap(self, spec: dict[str, Any]) -> tuple[int, str, httpx.Response | None]:
        """Write a CAP alert, keep it as `cap/<n>.xml`, push it to loaxa (if set); its number, identifier, answer.

        `references` names earlier alerts of this source by identifier; they are written as CAP wants them
        (sender,identifier,sent).
        """
        folder = self.state_dir / "cap"
        folder.mkdir(exist_ok=True)
        sender = str(spec.get("sender", f"{self.code.lower()}@nguon.local"))
        with self._lock:
            number = len(list(folder.glob("*.xml"))) + 1
            identifier = str(spec.get("identifier") or f"{self.code}-CAP-{number:04d}")
            sent_by_id = {
                kept["identifier"]: kept["sent"]
                for kept in (json.loads(p.read_text()) for p in sorted(folder.glob("*.json")))
            }
            references = " ".join(
                f"{sender},{ref},{sent_by_id.get(str(ref), spec.get('references_sent', ''))}"
                for ref in spec.get("references", [])
            )
            sent = datetime.now(UTC)
            body = build_alert(spec, sender=sender, identifier=identifier, sent=sent, references=references)
            (folder / f"{number}.xml").write_bytes(body)
            kept_spec = {"identifier": identifier, "sent": sent.replace(microsecond=0).isoformat(), "spec": spec}
            (folder / f"{number}.json").write_text(json.dumps(kept_spec, ensure_ascii=False))
        return number, identifier, self.push_cap(body) if self.loaxa_url else None

    def cap_alert(self, name: str) -> bytes | None:
        number = name.removesuffix(".xml")
        path = self.state_dir / "cap" / f"{number}.xml"
        return path.read_bytes() if number.isdigit() and path.is_file() else None

    def push_cap(self, body: bytes) -> httpx.Response:
        assert self.loaxa_url is not None
        headers = {
            "Content-Type": "application/xml",
            "X-Loaxa-Source": self.code,
            "X-Loaxa-Signature": self.key.sign(body),
        }
        with httpx.Client(base_url=self.loaxa_url, timeout=self.push_timeout_s) as client:
            response = client.post("/api/v1/source-link/cap", content=body, headers=headers)
        log.info("%s: CAP pushed, loaxa answered %s %s", self.code, response.status_code, response.text[:300])
        return response

    def push(self, message: SignedMessage) -> httpx.Response:
        assert self.loaxa_url is not None
        with httpx.Client(base_url=self.loaxa_url, timeout=self.push_timeout_s) as client:
            response = client.post("/api/v1/source-link/items", content=message.body, headers=message.headers())
        log.info("%s: pushed, loaxa answered %s %s", self.code, response.status_code, response.text[:300])
        return response

    def feed(self, after: int) -> dict[str, Any]:
        with self._lock:
            messages = [entry for entry in self._feed if entry["seq"] > after]
            return {"messages": messages, "cursor": self._feed[-1]["seq"] if self._feed else 0}

    def take_reports(self, messages: list[dict[str, Any]]) -> list[str]:
        """Store each report once (by id); return every id received, new or not, as the acknowledgement."""
        acked = []
        with self._lock:
            for message in messages:
                report_id = str(message["id"])
                acked.append(report_id)
                if report_id not in self._reports:
                    stored = {**message, "received_at": datetime.now(UTC).isoformat()}
                    self._reports[report_id] = stored
                    _append_line(self._reports_path, stored)
        return acked

    def report_signed(self, body: bytes, signature: str | None) -> bool:
        if self.loaxa_public_key is None:
            return True
        try:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(self.loaxa_public_key))
            key.verify(base64.b64decode(signature or "", validate=True), body)
        except (ValueError, InvalidSignature):
            return False
        return True

    def reports(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Every report received (of `kind`, if given), in the order they arrived."""
        with self._lock:
            return [r for r in self._reports.values() if kind is None or r.get("kind") == kind]

    def latest(self, kind: str | None = None) -> dict[str, dict[str, Any]]:
        """The newest report of each subject (by its `created_at`): the state the source now knows."""
        newest: dict[str, dict[str, Any]] = {}
        for report in self.reports(kind):
            subject = report.get("subject")
            if isinstance(subject, str) and str(report.get("created_at", "")) >= str(
                newest.get(subject, {}).get("created_at", "")
            ):
                newest[subject] = report
        return newest


def _read_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _append_line(path: Path, entry: dict[str, Any]) -> None:
    with path.open("a") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")


def _handler(sim: SourceSystemSim) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s: " + format, sim.code, *args)

        def _answer(self, status: int, payload: object) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _raw_body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                raise ValueError("body too large")
            return self.rfile.read(length)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/health":
                self._answer(HTTPStatus.OK, {"source": sim.code})
            elif url.path == "/reports":
                kind = parse_qs(url.query).get("kind", [None])[0]
                self._answer(HTTPStatus.OK, {"reports": sim.reports(kind), "latest": sim.latest(kind)})
            elif url.path == "/feed":
                after = parse_qs(url.query).get("after", ["0"])[0]
                self._answer(HTTPStatus.OK, sim.feed(int(after) if after.isdigit() else 0))
            elif url.path.startswith("/media/") and (data := sim.recording(url.path.removeprefix("/media/"))):
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            elif url.path.startswith("/cap/") and (data := sim.cap_alert(url.path.removeprefix("/cap/"))):
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            else:
                self._answer(HTTPStatus.NOT_FOUND, {"error": "not_found"})

        def do_POST(self) -> None:
            if urlsplit(self.path).path == "/recordings":
                try:
                    recording = self._raw_body()
                except ValueError as exc:
                    self._answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "too_large", "detail": str(exc)})
                    return
                self._answer(HTTPStatus.CREATED, sim.add_recording(recording))
                return
            try:
                raw = self._raw_body()
                payload = json.loads(raw or b"null")
            except ValueError as exc:
                self._answer(HTTPStatus.BAD_REQUEST, {"error": "bad_json", "detail": str(exc)[:200]})
                return
            path = urlsplit(self.path).path
            if path == "/reports" and not sim.report_signed(raw, self.headers.get("X-Loaxa-Signature")):
                self._answer(HTTPStatus.UNAUTHORIZED, {"error": "bad_signature"})
                return
            if path == "/cap" and isinstance(payload, dict):
                number, identifier, answer = sim.publish_cap(payload)
                pushed = None if answer is None else {"status": answer.status_code, "body": answer.text[:2000]}
                self._answer(HTTPStatus.CREATED, {"n": number, "identifier": identifier, "pushed": pushed})
            elif path == "/items" and isinstance(payload, dict):
                seq, answer = sim.publish(payload)
                pushed = None if answer is None else {"status": answer.status_code, "body": answer.text[:2000]}
                self._answer(HTTPStatus.CREATED, {"seq": seq, "pushed": pushed})
            elif path == "/reports" and isinstance(payload, dict) and isinstance(payload.get("messages"), list):
                messages = [m for m in payload["messages"] if isinstance(m, dict) and "id" in m]
                self._answer(HTTPStatus.OK, {"acked": sim.take_reports(messages)})
            else:
                self._answer(
                    HTTPStatus.NOT_FOUND if path not in ("/items", "/reports", "/cap") else HTTPStatus.BAD_REQUEST,
                    {"error": "bad_request"},
                )

    return Handler
