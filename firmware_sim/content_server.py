"""Where a node fetches its playlist and audio: the controller, or the content server (nginx) it names.

The controller's playlist answer may carry `X-Loaxa-Playlist-Url`: a signed, expiring link to the
commune's playlist on the content server. The node then polls that link (with If-None-Match, without
credentials: the link is the credential), and the items of a playlist fetched there link their audio on
the same server, signed too; a play_now command may carry such a link itself (`content_url`). A refused
link (403: tampered or expired), a missing file or an unreachable server sends the node back to the
controller, which answers as before and hands it a fresh link. The link is kept in
`<state_dir>/content_server.json`, so a restarted node polls the content server at once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from pydantic import ValidationError

from devices.protocol import PLAYLIST_URL_HEADER, Playlist, PlaylistItem
from firmware_sim.state import write_atomically

log = logging.getLogger(__name__)


class ContentServer:
    def __init__(self, state_dir: Path, device_code: str, commune: str) -> None:
        self._file = state_dir / "content_server.json"
        self._code = device_code
        self._commune = commune
        # The signed link to poll (None: ask the controller).
        self.playlist_url: str | None = None
        # The URL the playlist in hand came from, when that was the content server, and its audio links.
        self._audio_base: str | None = None
        self._audio_links: set[str] = set()
        # What the simulator and the tests read: fetches answered by the content server, and returns to
        # the controller after it refused or failed.
        self.playlist_fetches = 0
        self.audio_fetches = 0
        self.fallbacks = 0
        self._load()

    def _load(self) -> None:
        try:
            saved = json.loads(self._file.read_text())
            self.playlist_url = saved.get("playlist_url") or None
            self._audio_base = saved.get("audio_base") or None
        except (OSError, ValueError, AttributeError):
            return

    def _save(self) -> None:
        state = {"playlist_url": self.playlist_url, "audio_base": self._audio_base}
        try:
            write_atomically(self._file, json.dumps(state).encode())
        except OSError as exc:  # only a cache: the controller hands a new link after a restart
            log.warning("%s: content server link not saved: %s", self._code, exc)

    async def pull_playlist(
        self, http: httpx.AsyncClient, headers: dict[str, str], from_controller: Callable[[], Awaitable[httpx.Response]]
    ) -> tuple[httpx.Response, str | None]:
        """The playlist answer (200 or 304 from the content server, else the controller's) and the URL
        it came from when that was the content server."""
        url = self.playlist_url
        if url is not None:
            try:
                response = await http.get(url, headers=headers)
            except httpx.HTTPError as exc:
                log.info("%s: content server unreachable (%s); asking the controller", self._code, str(exc)[:200])
            else:
                if response.status_code == 304 or (response.status_code == 200 and self._is_ours(response.content)):
                    self.playlist_fetches += 1
                    return response, url
                log.info("%s: content server answered %d; asking the controller", self._code, response.status_code)
            self.fallbacks += 1
            self.playlist_url = None
        response = await from_controller()
        link = response.headers.get(PLAYLIST_URL_HEADER, "")
        if link.startswith(("http://", "https://")) and link != self.playlist_url:
            self.playlist_url = link
            self._save()
        return response, None

    def _is_ours(self, content: bytes) -> bool:
        """A readable playlist of this node's commune (anything else: the controller is asked instead)."""
        try:
            return Playlist.model_validate_json(content).commune == self._commune
        except ValidationError:
            return False

    def adopt(self, playlist: Playlist, source: str | None) -> None:
        """The playlist in hand came from `source` (None: the controller): its audio links point there."""
        self._audio_base = source
        self._audio_links = {item.asset_url for item in playlist.items} if source else set()
        self._save()

    def restored(self, playlist: Playlist) -> None:
        """After a restart: the saved playlist's audio links point where they pointed before."""
        if self._audio_base is not None:
            self._audio_links = {item.asset_url for item in playlist.items}

    def audio_url(self, item: PlaylistItem) -> str | None:
        """The item's audio on the content server: its own signed link (a play_now's `content_url`, 1.2),
        or its playlist's link if that playlist came from there."""
        if item.content_url is not None:
            return item.content_url
        if self._audio_base is None or item.asset_url not in self._audio_links:
            return None
        return str(httpx.URL(self._audio_base).join(item.asset_url))

    @staticmethod
    def controller_audio_path(item: PlaylistItem) -> str:
        """The item's audio on the controller, whichever server its playlist came from."""
        return f"/api/v1/node/audio/{item.asset_sha256}.{item.codec}"

    def audio_refused(self, item: PlaylistItem, why: str) -> None:
        self.fallbacks += 1
        log.info(
            "%s: audio %s not fetched from the content server (%s); asking the controller",
            self._code,
            item.asset_sha256[:12],
            why[:200],
        )
