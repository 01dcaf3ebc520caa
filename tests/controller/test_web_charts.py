"""The chart and map geometry (pure functions, no server): projection, scale bar, gaps, uptime bars."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

from controller.web.charts import MapPoint, Sample, cluster_map, history_chart, km_label, uptime_bars

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def point(code: str, lat: float, lon: float, hamlet: str | None = None) -> MapPoint:
    return MapPoint(code=code, name="", state="online", latitude=lat, longitude=lon, commune="Xã A", hamlet=hamlet)


def test_map_fits_the_clusters_keeps_distances_true_and_sizes_the_scale_bar() -> None:
    # Two clusters 0.1 degree apart east-west at 10.8 N: about 10.9 km.
    the_map = cluster_map([point("W", 10.8, 106.6, "Ấp 1"), point("E", 10.8, 106.7, "Ấp 2")], width=400, margin=44)
    west, east = the_map.points
    assert west.x == 44 and east.x == 356 and west.y == east.y, "fitted to the box, inside the margin"
    km_per_px = 0.1 * 111.32 * math.cos(math.radians(10.8)) / (east.x - west.x)
    assert abs(the_map.scale_px * km_per_px - the_map.scale_km) < 0.01
    assert the_map.scale_km == 2 and km_label(the_map.scale_km) == "2 km" and km_label(0.5) == "500 m"
    assert {label.text for label in the_map.labels} == {"Xã A", "Ấp 1", "Ấp 2"}
    assert all(0 <= label.x <= the_map.width for label in the_map.labels)
    # North is up.
    north, south = cluster_map([point("N", 10.9, 106.6), point("S", 10.8, 106.6)]).points
    assert north.y < south.y and north.x == south.x


def test_one_cluster_sits_in_the_middle_at_a_sensible_scale() -> None:
    (only,) = (the_map := cluster_map([point("A", 10.8, 106.6)])).points
    assert (only.x, only.y) == (the_map.width / 2, the_map.height / 2)
    assert 0 < the_map.scale_km <= 1
    assert cluster_map([]).points == []


def test_history_chart_breaks_its_line_at_a_silence_and_bands_the_states() -> None:
    at = [NOW - timedelta(minutes=m) for m in (60, 55, 50, 20, 15)]
    samples = [
        Sample(at[0], "online", -70),
        Sample(at[1], "online", -72),
        Sample(at[2], "degraded", -80),
        Sample(at[3], "online", -75),  # 30 min of silence before it
        Sample(at[4], "online", None),  # no signal reported
    ]
    chart = history_chart(samples, NOW, "Asia/Ho_Chi_Minh", sample_period_s=300)
    assert len(chart.lines) == 1 and len(chart.dots) == 1, "one run of three, one lone sample"
    assert [band.state for band in chart.bands] == ["online", "online", "degraded", "online", "online"]
    assert chart.state_minutes == {"online": 20, "degraded": 5}
    assert (chart.latest, chart.minimum, chart.maximum) == (-75, -80, -70)
    assert chart.x_ticks[0].label == "19:00" and chart.x_ticks[-1].label == "19:00"  # 24 h, local time
    assert chart.y_ticks[0].label <= "-80" and all(chart.top <= t.pos <= chart.bottom for t in chart.y_ticks)
    old = history_chart([Sample(NOW - timedelta(days=2), "online", -70)], NOW, "UTC", sample_period_s=300)
    assert old.empty and old.y_ticks == []


def test_uptime_bars_by_day_with_today_so_far() -> None:
    today = date(2026, 11, 22)
    chart = uptime_bars({today: 1800, today - timedelta(days=1): 43200}, today, 3600, days=14)
    assert [bar.day for bar in chart.bars][-1] == today and len(chart.bars) == 14
    assert chart.bars[-1].pct == 50 and chart.bars[-2].pct == 50 and chart.bars[0].pct is None
    assert chart.bars[0].height == 0 and chart.bars[-1].height > 0
