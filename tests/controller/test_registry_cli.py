"""`loaxa hamlet add`, `loaxa device add` with installation facts, and `loaxa device list`, in process."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.cli import main
from devices.mosquitto import MosquittoProcess
from tests.controller.test_cli import base_env


def test_hamlet_and_device_metadata_from_the_command_line(
    database_url: str,
    broker: MosquittoProcess,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in base_env(database_url, broker.settings, tmp_path).items():
        monkeypatch.setenv(name, value)
    assert main(["province", "add", "LA", "Long An"]) == 0
    assert main(["commune", "add", "--province", "LA", "XA-1", "Xã Một"]) == 0
    assert main(["hamlet", "add", "XA-1", "AP-1", "Ấp Bình Hòa"]) == 0
    assert "Đã thêm ấp/thôn AP-1" in capsys.readouterr().out
    assert main(["hamlet", "add", "XA-1", "AP-1", "Trùng"]) == 2
    assert "duplicate_code" in capsys.readouterr().err

    facts = ["--hamlet", "AP-1", "--lat", "10.5361", "--lon", "106.4127", "--horns", "4"]
    facts += ["--amplifier-watts", "250", "--network", "4g", "--installed-on", "2025-03-14"]
    assert main(["device", "add", "--commune", "XA-1", "--code", "CL-1", "--json", *facts]) == 0
    capsys.readouterr()
    assert main(["device", "add", "--commune", "XA-1", "--code", "CL-2", "--lat", "91", "--lon", "106"]) == 2
    assert "Vĩ độ" in capsys.readouterr().err
    assert main(["device", "add", "--commune", "XA-1", "--code", "CL-3", "--hamlet", "AP-9"]) == 2
    assert "ấp/thôn" in capsys.readouterr().err
    assert main(["device", "add", "--commune", "XA-1", "--code", "CL-4", "--installed-on", "14/03/2025"]) == 2
    assert "không hợp lệ" in capsys.readouterr().err

    assert main(["device", "list", "--commune", "XA-1"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed == ["CL-1\tAP-1\tunknown\t4 loa\t250 W\t4g\t10.53610,106.41270\t2025-03-14\t"]
    assert main(["device", "list", "--commune", "XA-404"]) == 2
