"""Browser fixtures: Playwright driving the distribution's Chromium, headless, screenshots kept.

Outside CI the browser tests skip (with the reason) when Chromium or Playwright is missing; in CI
(`CI` set, as `.ci/run` runs) they fail instead, since `scripts/bootstrap.sh` installs both.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from controller.settings import Settings
from tests.harness import fresh_database

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
CHROMIUM_NAMES = ("chromium", "chromium-browser")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser tests (scripts/bootstrap.sh installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    found = next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)
    if found is None:
        _unavailable("Chromium is not installed (Debian package `chromium`)")
    assert found is not None
    return found


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    """Playwright's sync API, once per test process: a second one in the same thread refuses to start
    while the first runs, so every browser of the session is launched from this one."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the Python package `playwright` is not installed")
        raise
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Any, chromium_path: str) -> Iterator[Any]:
    # --no-sandbox: CI and containers run as root, where Chromium's sandbox cannot start.
    instance = playwright.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
    yield instance
    instance.close()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """Pages, not databases, are under test here: SQLite only (tests/controller runs the pages on both)."""
    with fresh_database("sqlite", tmp_path) as url:
        yield url


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Live pages refresh every second here, so the tests wait less for what the nodes report."""
    return settings.model_copy(update={"web": settings.web.model_copy(update={"live_refresh_s": 1.0})})


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
