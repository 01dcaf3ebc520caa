"""The simulated source system's CAP alerts: valid CAP 1.2 as loaxa reads it, kept and served as sent."""

from __future__ import annotations

from pathlib import Path

import httpx

from province_link import parse_cap
from source_sim.server import SourceSystemSim


def test_the_sim_writes_valid_cap_alerts_keeps_them_and_resolves_references(tmp_path: Path) -> None:
    with SourceSystemSim(tmp_path, "PCTT-P") as sim:
        first = httpx.post(
            f"{sim.url}/cap",
            json={"event": "Lũ quét", "severity": "Extreme", "geocodes": ["801"], "headline": "Cảnh báo lũ quét"},
        )
        assert first.status_code == 201 and first.json()["pushed"] is None
        number, identifier = first.json()["n"], first.json()["identifier"]
        assert identifier == "PCTT-P-CAP-0001"
        served = httpx.get(f"{sim.url}/cap/{number}.xml")
        assert served.status_code == 200 and served.headers["content-type"] == "application/xml"
        alert = parse_cap(served.content, max_bytes=512 * 1024)
        assert alert.info is not None and alert.info.headline == "Cảnh báo lũ quét"
        assert alert.areas[0].geocodes == (("MA_DVHC", "801"),)

        cancel = sim.publish_cap({"msg_type": "Cancel", "references": [identifier]})
        kept = sim.cap_alert(f"{cancel[0]}.xml")
        assert kept is not None
        parsed = parse_cap(kept, max_bytes=512 * 1024)
        assert parsed.msg_type == "Cancel" and parsed.references[0].identifier == identifier
        assert parsed.references[0].sent == alert.sent.isoformat()
        assert httpx.get(f"{sim.url}/cap/99.xml").status_code == 404
