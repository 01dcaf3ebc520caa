"""`loaxa stock ...`: seeding the default library on the database, and an admin's changes through the API."""

from __future__ import annotations

import io

import pytest

from controller.accounts import Role
from controller.cli import build_parser
from controller.settings import Settings
from tests.conftest import ADMIN_PASSWORD
from tests.harness import Api, ControllerServer, add_user_directly


def test_seed_list_and_changes_from_the_command_line(
    settings: Settings,
    controller: ControllerServer,
    admin: Api,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def loaxa(*argv: str, user: str | None = None, password: str = "") -> int:
        if user is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
            argv = (*argv, "--user", user, "--password-stdin", "--url", controller.base_url)
        args = build_parser().parse_args(list(argv))
        result: int = args.func(args, settings)
        return result

    # Seeding: the Vietnamese default library, approved, read by espeak-ng; the test tone by ffmpeg. Twice: no change.
    assert loaxa("stock", "seed") == 0
    assert "đã thêm 6" in capsys.readouterr().out
    assert loaxa("stock", "seed") == 0
    assert "đã thêm 0" in capsys.readouterr().out
    library = {(m["key"], m["language"]): m for m in admin.get("/api/v1/stock").json()}
    assert set(library) == {(k, "vi") for k in ("storm", "flood", "fire", "evacuation", "all_clear", "test_tone")}
    assert all(m["approved_sha256"] and not m["pending"] for m in library.values())
    assert library[("test_tone", "vi")]["audio_source"] == "tone"
    assert loaxa("stock", "list") == 0
    listed = capsys.readouterr().out
    assert "storm\tvi\tđã duyệt" in listed and listed.count("\n") == 6

    # An admin's change through the API; bad input is refused with exit code 2 and a Vietnamese message.
    add_user_directly(settings, "quantri2", Role.ADMIN, "admin-pass-2")
    assert loaxa("stock", "set", "storm", "xx", "--title", "Bão", user="admin", password=ADMIN_PASSWORD) == 2
    assert "Ngôn ngữ này chưa có" in capsys.readouterr().err
    assert loaxa("stock", "set", "typhoon", "vi", "--title", "Bão", user="admin", password=ADMIN_PASSWORD) == 2
    new_text = "Bão mạnh đang vào, bà con ở yên trong nhà."
    assert (
        loaxa(
            "stock",
            "set",
            "storm",
            "vi",
            "--title",
            "Bão mạnh",
            "--text",
            new_text,
            user="admin",
            password=ADMIN_PASSWORD,
        )
        == 0
    )
    assert loaxa("stock", "speak", "storm", "vi", user="admin", password=ADMIN_PASSWORD) == 0
    assert loaxa("stock", "approve", "storm", "vi", user="admin", password=ADMIN_PASSWORD) == 2  # own change
    assert loaxa("stock", "approve", "storm", "vi", user="quantri2", password="admin-pass-2") == 0
    storm = admin.get("/api/v1/stock/storm/vi").json()
    assert (
        storm["approved_title"] == "Bão mạnh"
        and storm["approved_sha256"] != library[("storm", "vi")]["approved_sha256"]
    )
    assert loaxa("stock", "delete", "fire", "vi", user="admin", password=ADMIN_PASSWORD) == 0
    assert admin.get("/api/v1/stock/fire/vi").status_code == 404
