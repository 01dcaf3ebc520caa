"""The private nginx: signed links checked by nginx itself, playlist files with working ETags, audio.

A real nginx on a free port (the `nginx` fixture), real files, real HTTP.
"""

from __future__ import annotations

import hashlib
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from devices.content import ContentSettings, LinkSigner, PlaylistFiles, audio_path, playlist_path
from devices.errors import ContentServerUnavailable
from devices.nginx import NginxServer
from devices.protocol import TIME_HEADER, Playlist, PlaylistItem
from tests.conftest import CONTENT_SECRET

AUDIO = os.urandom(40 * 1024)
SHA = hashlib.sha256(AUDIO).hexdigest()
OTHER = os.urandom(1024)
OTHER_SHA = hashlib.sha256(OTHER).hexdigest()


def _store(root: Path, data: bytes, sha: str) -> None:
    (root / sha[:2]).mkdir(parents=True, exist_ok=True)
    (root / sha[:2] / f"{sha}.opus").write_bytes(data)


STARTS = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)


def _playlist(commune: str, version: int, sha: str = SHA) -> Playlist:
    starts = STARTS
    item = PlaylistItem(
        item_id="b1",
        title="Tin",
        asset_sha256=sha,
        asset_url=f"/api/v1/node/audio/{sha}.opus",
        duration_ms=1000,
        starts_at=starts,
    )
    return Playlist(commune=commune, version=version, generated_at=starts, items=(item,))


@pytest.fixture
def signer() -> LinkSigner:
    return LinkSigner(CONTENT_SECRET, 3600)


@pytest.fixture
def files(nginx: NginxServer, signer: LinkSigner, tmp_path: Path) -> PlaylistFiles:
    _store(tmp_path / "audio", AUDIO, SHA)
    _store(tmp_path / "audio", OTHER, OTHER_SHA)
    return PlaylistFiles(nginx.settings.directory, signer)


def test_a_signed_playlist_is_served_with_an_etag_and_its_audio_links_work(
    nginx: NginxServer, files: PlaylistFiles, signer: LinkSigner
) -> None:
    assert files.write(_playlist("XA-A", 1), "opus", time.time())
    url = nginx.url + signer.sign(playlist_path("XA-A", "opus"), time.time())
    with httpx.Client(timeout=5) as http:
        first = http.get(url)
        assert first.status_code == 200 and first.headers["content-type"] == "application/json"
        assert first.headers["cache-control"] == "no-cache"
        assert abs(float(first.headers[TIME_HEADER]) - time.time()) < 5, "the clock a node measures its offset by"
        playlist = Playlist.model_validate_json(first.content)
        assert playlist.version == 1
        link = playlist.items[0].asset_url
        assert link.startswith(f"/c/XA-A/a/{SHA}.opus?md5=")

        unchanged = http.get(url, headers={"If-None-Match": first.headers["etag"]})
        assert unchanged.status_code == 304 and not unchanged.content
        assert TIME_HEADER in unchanged.headers

        audio = http.get(nginx.url + link)
        assert audio.status_code == 200 and audio.content == AUDIO
        assert audio.headers["content-type"] == "audio/ogg"
        assert audio.headers["cache-control"] == "public, max-age=31536000, immutable"
        rest = http.get(nginx.url + link, headers={"Range": "bytes=100-", "If-Range": audio.headers["etag"]})
        assert rest.status_code == 206 and rest.content == AUDIO[100:]
        assert rest.headers["content-range"] == f"bytes 100-{len(AUDIO) - 1}/{len(AUDIO)}"


def test_rewriting_the_same_playlist_keeps_its_etag_and_a_new_version_changes_it_within_the_second(
    nginx: NginxServer, files: PlaylistFiles, signer: LinkSigner
) -> None:
    now = time.time()
    url = nginx.url + signer.sign(playlist_path("XA-A", "opus"), now)
    files.write(_playlist("XA-A", 1), "opus", now)
    with httpx.Client(timeout=5) as http:
        etag = http.get(url).headers["etag"]
        assert not files.write(_playlist("XA-A", 1), "opus", now), "same bytes: the file is left alone"
        assert http.get(url, headers={"If-None-Match": etag}).status_code == 304
        # Version 2 has the same size and is written in the same second: nginx's ETag (mtime-size) must differ.
        assert files.write(_playlist("XA-A", 2), "opus", now)
        newer = http.get(url, headers={"If-None-Match": etag})
        assert newer.status_code == 200 and Playlist.model_validate_json(newer.content).version == 2
        assert newer.headers["etag"] != etag


def test_tampered_expired_unsigned_and_other_commune_links_are_refused_and_change_nothing(
    nginx: NginxServer, files: PlaylistFiles, signer: LinkSigner
) -> None:
    now = time.time()
    files.write(_playlist("XA-A", 1), "opus", now)
    files.write(_playlist("XA-B", 1, OTHER_SHA), "opus", now)
    path_a = files.path("XA-A", "opus")
    before = (path_a.read_bytes(), path_a.stat().st_mtime)
    own_playlist = signer.sign(playlist_path("XA-A", "opus"), now)
    own_audio = signer.sign(audio_path("XA-A", SHA, "opus"), now)
    token = own_playlist.split("md5=")[1].split("&")[0]
    # The first character: all its 6 bits are the hash's. (The last one of 22 carries only 2 bits of the
    # 128, so "A" for "B" there decodes to the same hash and nginx rightly accepts it.)
    flipped = ("A" if token[0] != "A" else "B") + token[1:]
    refused = {
        "another commune's playlist": own_playlist.replace("/c/XA-A/", "/c/XA-B/"),
        "another commune's audio": signer.sign(audio_path("XA-A", SHA, "opus"), now).replace("/c/XA-A/", "/c/XA-B/"),
        "audio not given to it": own_audio.replace(SHA, OTHER_SHA),
        "a changed hash": own_playlist.replace(token, flipped),
        "a later expiry": own_playlist.replace("expires=", "expires=9"),
        "expired": signer.sign(playlist_path("XA-A", "opus"), now, expires=int(now) - 1),
        "unsigned": playlist_path("XA-A", "opus"),
        "no expiry": own_playlist.split("&expires=")[0],
        "signed with another secret": LinkSigner("another-secret-value", 3600).sign(playlist_path("XA-A", "opus"), now),
    }
    with httpx.Client(timeout=5) as http:
        assert http.get(nginx.url + own_playlist).status_code == 200
        assert http.get(nginx.url + own_audio).status_code == 200
        for why, link in refused.items():
            assert http.get(nginx.url + link).status_code == 403, why
        # Anything else is not there at all: no listing, no other file of the directory.
        assert http.get(nginx.url + "/").status_code == 404
        assert http.get(nginx.url + "/nginx.conf").status_code == 404
    assert (path_a.read_bytes(), path_a.stat().st_mtime) == before


def test_links_expire_between_one_and_two_periods_from_now() -> None:
    signer = LinkSigner(CONTENT_SECRET, 3600)
    for now in (7200.0, 7201.5, 10799.0):
        assert 3600 < signer.expires(now) - now <= 7200
    assert signer.sign("/c/X/playlist.json", 7200.0) == signer.sign("/c/X/playlist.json", 10799.0)


def test_the_config_holds_the_secret_privately_and_a_missing_nginx_is_a_clear_error(
    nginx: NginxServer, tmp_path: Path
) -> None:
    config = nginx.settings.directory / "nginx.conf"
    assert config.stat().st_mode & 0o077 == 0
    assert (nginx.settings.directory / "nginx.pid").read_text().strip() == str(
        nginx.process.pid if nginx.process else 0
    )
    missing = NginxServer(
        nginx.settings.model_copy(update={"nginx_binary": "/nonexistent/nginx", "directory": tmp_path / "other"}),
        CONTENT_SECRET,
        tmp_path / "audio",
    )
    with pytest.raises(ContentServerUnavailable, match="not installed"):
        missing.start()
    with pytest.raises(ValueError, match="secret"):
        NginxServer(nginx.settings, 'bad"secret; return 200', tmp_path / "audio")


def test_a_secret_that_would_break_the_config_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="LOAXA_CONTENT__SECRET"):
        ContentSettings(secret='x" ; return 200; #')
    assert ContentSettings(secret="a-fine-secret-of-sorts").secret.get_secret_value() == "a-fine-secret-of-sorts"
