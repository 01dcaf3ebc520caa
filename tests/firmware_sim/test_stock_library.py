"""The node's pinned stock library on disk: only files that hash to their sha256 are kept or read, a new
manifest drops what it no longer lists, and the library survives a restart."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from devices.protocol import StockEntry, StockManifest
from firmware_sim.audio_cache import ChecksumMismatch
from firmware_sim.stock_library import StockLibrary


def entry(key: str, data: bytes) -> StockEntry:
    sha = hashlib.sha256(data).hexdigest()
    return StockEntry(
        key=key, language="vi", title=key, sha256=sha, url=f"/api/v1/node/stock/{sha}.opus", duration_ms=1000
    )


def manifest(version: int, *entries: StockEntry) -> StockManifest:
    return StockManifest(version=version, generated_at=datetime.now(UTC), entries=entries)


def test_pinned_files_verify_and_survive_a_restart(tmp_path: Path) -> None:
    library = StockLibrary(tmp_path)
    storm, flood = entry("storm", b"bao"), entry("flood", b"lu")
    first = manifest(1, storm, flood)
    assert library.missing(first) == [storm, flood]
    with pytest.raises(ChecksumMismatch):
        library.put(storm.sha256, "opus", b"bao!")  # damaged in transit: not kept
    assert library.refused == 1 and library.missing(first) == [storm, flood]
    library.put(storm.sha256, "opus", b"bao")
    library.put(flood.sha256, "opus", b"lu")
    library.adopt(first, first.model_dump_json().encode(), '"stock-1"')

    again = StockLibrary(tmp_path)  # a reboot
    assert again.version == 1 and again.etag == '"stock-1"' and again.entry("storm", "vi") == storm
    assert again.read_verified(storm.sha256, "opus") == b"bao"

    # A file changed on disk is refused, deleted and never returned.
    again.path(flood.sha256, "opus").write_bytes(b"lu?")
    assert again.read_verified(flood.sha256, "opus") is None
    assert again.refused == 1 and again.missing(first) == [flood]


def test_a_new_version_drops_the_files_it_no_longer_lists(tmp_path: Path) -> None:
    library = StockLibrary(tmp_path)
    old, new = entry("storm", b"bao cu"), entry("storm", b"bao moi")
    library.put(old.sha256, "opus", b"bao cu")
    library.adopt(manifest(1, old), manifest(1, old).model_dump_json().encode(), '"stock-1"')
    library.put(new.sha256, "opus", b"bao moi")
    library.adopt(manifest(2, new), manifest(2, new).model_dump_json().encode(), '"stock-2"')
    assert not library.path(old.sha256, "opus").exists() and library.holds(new.sha256)
    assert not library.holds(old.sha256) and library.entry("storm", "vi") == new


def test_an_unreadable_manifest_is_fetched_again(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{not json")
    library = StockLibrary(tmp_path)
    assert library.manifest is None and library.etag == ""
