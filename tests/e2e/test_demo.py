"""The README's demo command, as a new user runs it: `loaxa demo` starts its broker, controller and ten
simulated speakers, puts the sample bulletins (the province's one included) through the API, and the
speakers play them. Real processes, offline speech, in a scratch directory."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from devices.mosquitto import free_port

pytestmark = pytest.mark.e2e

# Long enough for the five bulletins to be rendered and approved, and the first one of each commune to
# air (15 s after it is scheduled) and finish on all ten speakers, on a busy 2-core CI machine.
DEMO_S = 75


def test_the_demo_airs_its_bulletins_on_every_speaker(tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("LOAXA_")}
    done = subprocess.run(
        [sys.executable, "-m", "controller", "demo", "--duration", str(DEMO_S), "--port", str(free_port())],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=DEMO_S + 60,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Loaxa demo sẵn sàng" in out and "so.tuphap, so.duyet / mật khẩu loaxa-demo" in out, out
    assert "5 bản tin đã duyệt và lên lịch" in out, out
    # The province's bulletin is placed once and scheduled in both communes at the same time.
    province_times = re.findall(r"lịch phát: (XA-[A-Z-]+) (\S+) «Một số điểm mới của Luật Đất đai năm 2024»", out)
    assert sorted(code for code, _ in province_times) == ["XA-AN-BINH", "XA-PHU-MY"]
    assert len({at for _, at in province_times}) == 1, province_times
    plays = int(re.search(r"Loaxa demo dừng: (\d+) lượt phát", out).group(1))  # type: ignore[union-attr]
    assert plays >= 10, out
    # The simulated source system's item arrives and is scheduled; every proof of play goes back to it.
    assert "nguồn tỉnh STP-DEMO gửi «Phòng, chống ma túy trong thanh thiếu niên»" in out, out
    assert "lịch phát: XA-PHU-MY" in out and "«Phòng, chống ma túy trong thanh thiếu niên»" in out
    reports = int(re.search(r"nguồn đã nhận (\d+) báo cáo phát", out).group(1))  # type: ignore[union-attr]
    assert 10 <= reports <= plays, out
    playlogs = list((tmp_path / "var" / "demo" / "fleet").glob("*/recordings/playlog.jsonl"))
    assert len(playlogs) == 10
    for playlog in playlogs:
        first = json.loads(playlog.read_text().splitlines()[0])
        assert first["interrupted"] is False and first["item_id"].startswith("b"), (playlog, first)
    # With nginx installed (scripts/bootstrap.sh), the speakers got their audio from it, not the controller.
    assert "Máy chủ tệp (nginx): http://127.0.0.1:" in out, out
    access = (tmp_path / "var" / "demo" / "content" / "logs" / "access.log").read_text().splitlines()
    assert sum("/a/" in line and '" 200 ' in line for line in access) >= 10, access[-20:]
