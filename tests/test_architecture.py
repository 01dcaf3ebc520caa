"""Imports point one way: controller -> schedules -> {tts -> audio_library, devices}; nodes see only the protocol."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_protocol_module_imports_only_pydantic_and_stdlib() -> None:
    tree = ast.parse((ROOT / "devices" / "protocol.py").read_text())
    imported = {
        (node.module or "").split(".")[0] if isinstance(node, ast.ImportFrom) else alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= {"__future__", "hashlib", "json", "re", "datetime", "typing", "pydantic"}, imported


def test_only_the_link_module_touches_paho() -> None:
    users = [
        path.relative_to(ROOT).as_posix()
        for package in ("controller", "schedules", "tts", "devices", "audio_library")
        for path in (ROOT / package).rglob("*.py")
        if "import paho" in path.read_text() or "from paho" in path.read_text()
    ]
    assert users == ["devices/link.py"]
