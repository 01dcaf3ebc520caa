"""The as-run log's hash chain against a real database: sealed in order, per commune and Vietnam day,
recomputed here independently of the code under test, and broken by any change to a stored play."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from controller import cli
from controller.db import make_engine, session_factory
from controller.settings import DatabaseSettings
from devices.proof_of_play import PlayRecord
from devices.registry import Device, add_commune, add_device, add_province
from reports import PlaySealer, ReportSettings, day_heads, seal_plays, verify_day
from reports.as_run import as_run_csv, as_run_rows
from reports.rollup import UnplayedItem

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
SHA = "a" * 64
Sessions = Callable[[], Session]


@pytest.fixture
def sessions(database_url: str) -> Iterator[Sessions]:
    engine = make_engine(DatabaseSettings(url=database_url))
    make = session_factory(engine)
    with make() as session:
        province = add_province(session, "P", "Tỉnh P")
        for code in ("XA", "XB"):
            commune = add_commune(session, province, code, f"Xã {code}")
            for n in (1, 2):
                add_device(session, commune, f"{code}-{n}", hash_iterations=101)
        session.commit()
    yield make
    engine.dispose()


def add_play(session: Session, report_id: str, cluster: str, started_local: datetime, **fields: object) -> None:
    device = session.exec(select(Device.id).where(Device.code == cluster)).one()
    started = started_local.replace(tzinfo=ZONE).astimezone(UTC)
    values = {
        "report_id": report_id,
        "device_id": device,
        "commune_code": cluster.split("-")[0],
        "playlist_version": 1,
        "item_id": "b1",
        "asset_sha256": SHA,
        "played_sha256": SHA,
        "scheduled_start": started,
        "started_at": started,
        "ended_at": started + timedelta(seconds=30),
        "start_error_ms": 0,
        "outcome": "played",
        **fields,
    }
    session.add(PlayRecord.model_validate(values))
    session.flush()


def expected_chain(commune: str, day: date, plays: list[tuple[str, str, datetime, str]]) -> str:
    """The chain as docs/reports.md describes it, written out here without the code under test."""

    def ns(values: list[str]) -> bytes:
        return b"".join(b"%d:%s," % (len(v.encode()), v.encode()) for v in values)

    def stamp(moment: datetime) -> str:
        return moment.isoformat(timespec="milliseconds")

    link = hashlib.sha256(ns(["loaxa-as-run/1", commune, day.isoformat()])).digest()
    for report_id, cluster, started_local, outcome in plays:
        start = started_local.replace(tzinfo=ZONE).astimezone(UTC)
        line = ns(
            [
                report_id,
                cluster,
                commune,
                "b1",
                SHA,
                SHA,
                stamp(start),
                stamp(start),
                stamp(start + timedelta(seconds=30)),
                outcome,
                "",
            ]
        )
        link = hashlib.sha256(link + line).digest()
    return link.hex()


def test_plays_are_chained_per_commune_and_vietnam_day_in_the_order_taken(sessions: Sessions) -> None:
    evening = datetime(2026, 12, 3, 23, 59, 59, 500000)  # 16:59:59.5 UTC: still the 3rd in Vietnam
    midnight = datetime(2026, 12, 4, 0, 0, 0)  # 17:00 UTC on the 3rd: the 4th in Vietnam
    with sessions() as session:
        add_play(session, "r1", "XA-1", datetime(2026, 12, 3, 6, 0))
        add_play(session, "r2", "XB-1", datetime(2026, 12, 3, 6, 0))
        add_play(session, "r3", "XA-2", evening)
        add_play(session, "r4", "XA-1", midnight, outcome="interrupted")
        session.commit()
    with sessions() as session:
        assert seal_plays(session, ZONE, limit=2) == 2  # in batches, oldest first
        assert seal_plays(session, ZONE, limit=2) == 2
        assert seal_plays(session, ZONE, limit=2) == 0
        session.commit()
        heads = {
            (h.commune_code, h.day): (h.plays, h.head_sha256)
            for h in day_heads(session, ["XA", "XB"], date(2026, 12, 1), date(2026, 12, 31))
        }
    third, fourth = date(2026, 12, 3), date(2026, 12, 4)
    assert heads == {
        ("XA", third): (
            2,
            expected_chain(
                "XA", third, [("r1", "XA-1", datetime(2026, 12, 3, 6, 0), "played"), ("r3", "XA-2", evening, "played")]
            ),
        ),
        ("XA", fourth): (1, expected_chain("XA", fourth, [("r4", "XA-1", midnight, "interrupted")])),
        ("XB", third): (1, expected_chain("XB", third, [("r2", "XB-1", datetime(2026, 12, 3, 6, 0), "played")])),
    }

    # A play of the 3rd reported late joins the end of that day's chain: its head moves on, the others stay.
    with sessions() as session:
        add_play(session, "r5", "XA-1", datetime(2026, 12, 3, 17, 0))
        session.commit()
        seal_plays(session, ZONE, limit=100)
        session.commit()
        later = {(h.commune_code, h.day): h.plays for h in day_heads(session, ["XA"], third, fourth)}
        assert later == {("XA", third): 3, ("XA", fourth): 1}
        check = verify_day(session, "XA", third)
        assert check.intact and check.plays == 3
        assert check.head_sha256 == expected_chain(
            "XA",
            third,
            [
                ("r1", "XA-1", datetime(2026, 12, 3, 6, 0), "played"),
                ("r3", "XA-2", evening, "played"),
                ("r5", "XA-1", datetime(2026, 12, 3, 17, 0), "played"),
            ],
        )


def test_changing_a_stored_play_breaks_its_day_from_that_play_on(sessions: Sessions) -> None:
    with sessions() as session:
        for n in range(5):
            add_play(session, f"r{n}", "XA-1", datetime(2026, 12, 3, 6, n))
        session.commit()
        seal_plays(session, ZONE, limit=100)
        session.commit()
        before = verify_day(session, "XA", date(2026, 12, 3))
        assert before.intact and before.plays == 5
        # Someone with the database turns a failed airing into a played one.
        session.execute(text("UPDATE play_record SET outcome = 'failed' WHERE report_id = 'r2'"))
        session.commit()
        after = verify_day(session, "XA", date(2026, 12, 3))
        assert after.broken_at == 3 and after.head_sha256 != before.head_sha256
        # Dropping a play (with its place in the chain) is seen too.
        session.execute(text("UPDATE play_record SET outcome = 'played' WHERE report_id = 'r2'"))
        play_id = session.exec(select(PlayRecord.id).where(PlayRecord.report_id == "r1")).one()
        session.execute(text("DELETE FROM play_ledger WHERE play_id = :p").bindparams(p=play_id))
        session.commit()
        dropped = verify_day(session, "XA", date(2026, 12, 3))
        assert dropped.broken_at == 2 and dropped.plays == 4


def test_the_as_run_csv_is_excel_readable_and_streams_every_row(sessions: Sessions) -> None:
    with sessions() as session:
        for n in range(7):
            add_play(session, f"r{n}", "XA-1", datetime(2026, 12, 3, 6, n), flag_reason="not_sent" if n == 6 else None)
        session.commit()
        sealer = PlaySealer(sessions, ReportSettings(seal_batch=3), ZONE)
        assert sealer.seal_once() == 7
        chunks = list(as_run_csv(as_run_rows(session, ["XA"], date(2026, 12, 3), date(2026, 12, 3), batch=2), ZONE))
    data = b"".join(chunks)
    assert data.startswith("\ufeff".encode()) and len(chunks) == 8  # header, then one chunk per row
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Ngày,Xã,STT trong ngày,Cụm loa")
    assert lines[1].startswith("2026-12-03,XA,1,XA-1,b1,,,") and "2026-12-03T06:00:00.000+07:00" in lines[1]
    assert "đã phát" in lines[1] and "mục chưa từng gửi" in lines[7]


def test_the_cli_writes_the_log_and_checks_a_filed_head(
    sessions: Sessions,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with sessions() as session:
        for n in range(3):
            add_play(session, f"r{n}", "XA-1", datetime(2026, 12, 3, 6, n))
        session.commit()
    monkeypatch.setenv("LOAXA_DATABASE__URL", database_url)
    out = tmp_path / "xa.csv"
    assert (
        cli.main(
            ["report", "as-run", "--commune", "XA", "--from", "2026-12-03", "--to", "2026-12-03", "--out", str(out)]
        )
        == 0
    )
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 4
    with sessions() as session:
        head = verify_day(session, "XA", date(2026, 12, 3)).head_sha256
    capsys.readouterr()
    assert cli.main(["report", "verify", "--commune", "XA", "--day", "2026-12-03", "--head", head]) == 0
    assert "Khớp." in capsys.readouterr().out
    assert cli.main(["report", "verify", "--commune", "XA", "--day", "2026-12-03", "--head", "0" * 64]) == 1
    assert "đã thay đổi" in capsys.readouterr().out
    assert cli.main(["report", "as-run", "--commune", "XA", "--from", "2026-12-04", "--to", "2026-12-03"]) != 0


def test_the_cli_files_a_period_report_and_checks_its_seal(
    sessions: Sessions,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with sessions() as session:
        for n in range(3):
            add_play(session, f"r{n}", "XA-1", datetime(2026, 12, 3, 6, n))
        session.commit()
    monkeypatch.setenv("LOAXA_DATABASE__URL", database_url)
    days = ["--from", "2026-12-03", "--to", "2026-12-03"]
    out = tmp_path / "xa.json"
    assert cli.main(["report", "period", "--commune", "XA", *days, "--out", str(out)]) == 0
    filed = json.loads(out.read_text())
    assert filed["totals"]["plays"] == 3 and filed["as_run_days"] == 1
    pdf = tmp_path / "p.pdf"
    assert cli.main(["report", "period", "--province", "P", *days, "--format", "pdf", "--out", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    capsys.readouterr()
    assert cli.main(["report", "seal", "--commune", "XA", *days, "--expect", filed["as_run_seal"]]) == 0
    assert "Khớp." in capsys.readouterr().out
    # A stored play changed after the report was filed: the seal no longer matches.
    with sessions() as session:
        session.execute(text("UPDATE play_record SET outcome = 'failed' WHERE report_id = 'r1'"))
        session.commit()
    assert cli.main(["report", "seal", "--commune", "XA", *days, "--expect", filed["as_run_seal"]]) == 1
    assert "Chuỗi bị sửa" in capsys.readouterr().out


def test_items_never_played_whole_are_rolled_up_until_they_play(sessions: Sessions) -> None:
    """An interrupted item resumed and played whole leaves `unplayed_item`, whichever report is sealed first."""
    zone = ZONE
    scheduled = datetime(2026, 12, 3, 6, 0)
    with sessions() as session:
        add_play(session, "a1", "XA-1", scheduled, item_id="b1", outcome="interrupted")
        add_play(session, "a2", "XA-1", scheduled + timedelta(minutes=5), item_id="b2", outcome="failed")
        session.commit()
        assert seal_plays(session, zone, limit=100) == 2
        session.commit()
        assert sorted((u.item_id, u.failed) for u in session.exec(select(UnplayedItem))) == [
            ("b1", False),
            ("b2", True),
        ]
        # b1 resumed and played whole (same item, same start); b3 played first, then a late interrupted report.
        add_play(
            session,
            "a3",
            "XA-1",
            scheduled,
            item_id="b1",
            started_at=datetime(2026, 12, 3, 6, 2, tzinfo=ZONE).astimezone(UTC),
        )
        add_play(session, "a4", "XA-1", scheduled + timedelta(minutes=9), item_id="b3")
        session.commit()
        seal_plays(session, zone, limit=100)
        session.commit()
        add_play(session, "a5", "XA-1", scheduled + timedelta(minutes=9), item_id="b3", outcome="interrupted")
        session.commit()
        seal_plays(session, zone, limit=100)
        session.commit()
        assert [(u.item_id, u.failed) for u in session.exec(select(UnplayedItem))] == [("b2", True)]
