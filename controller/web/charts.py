"""Charts and the cluster map as plain geometry, for templates to draw as inline SVG (no JS, no tiles).

Pure functions over plain data: a heartbeat-history line chart with state bands, daily uptime bars,
and an equirectangular map fitted to the clusters shown, with a scale bar in km.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

KM_PER_DEGREE = 111.32  # one degree of latitude (and of longitude at the equator)


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str
    anchor: str = "middle"  # SVG text-anchor: the first and last labels stay inside the chart


@dataclass(frozen=True)
class Band:
    """A stretch of the time axis during which the cluster reported `state`."""

    x: float
    width: float
    state: str


@dataclass(frozen=True)
class Sample:
    at: datetime
    state: str
    value: float | None


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    lines: list[str]  # SVG polyline points, one per unbroken run of samples
    dots: list[tuple[float, float]]  # a run of one sample has no line: a dot shows it
    bands: list[Band]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    latest: float | None
    minimum: float | None
    maximum: float | None
    state_minutes: dict[str, int]

    @property
    def empty(self) -> bool:
        return self.latest is None and not self.bands


def _nice_step(span: float, target: int) -> float:
    raw = span / max(target, 1)
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    for multiple in (1, 2, 5, 10):
        if raw <= multiple * power:
            return multiple * power
    return 10 * power


def history_chart(
    samples: Sequence[Sample],
    now: datetime,
    zone: str,
    *,
    sample_period_s: float,
    window: timedelta = timedelta(hours=24),
    width: int = 360,
    height: int = 180,
) -> LineChart:
    """The last `window` of samples: a line of their values, and a band per sample coloured by state.

    A sample stands for `sample_period_s` after it (or until the next one); a longer silence is a gap.
    """
    left, top, right, bottom = 40, 10, width - 20, height - 26
    start = now - window
    shown = [s for s in samples if start <= s.at <= now]

    def x_of(moment: datetime) -> float:
        return left + (right - left) * (moment - start).total_seconds() / window.total_seconds()

    values = [s.value for s in shown if s.value is not None]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if high - low < 1:
        low, high = low - 1, high + 1
    step = _nice_step(high - low, 4)
    low, high = math.floor(low / step) * step, math.ceil(high / step) * step

    def y_of(value: float) -> float:
        return bottom - (bottom - top) * (value - low) / (high - low)

    period = timedelta(seconds=sample_period_s)
    bands: list[Band] = []
    state_minutes: dict[str, int] = {}
    runs: list[list[tuple[float, float]]] = []
    previous: Sample | None = None
    for i, sample in enumerate(shown):
        until = min(shown[i + 1].at if i + 1 < len(shown) else now, sample.at + period, now)
        x0, x1 = x_of(sample.at), x_of(until)
        bands.append(Band(round(x0, 1), round(max(x1 - x0, 1.0), 1), sample.state))
        minutes = round((until - sample.at).total_seconds() / 60)
        state_minutes[sample.state] = state_minutes.get(sample.state, 0) + minutes
        if sample.value is None:
            previous = None
            continue
        point = (round(x0, 1), round(y_of(sample.value), 1))
        gap = previous is None or previous.value is None or sample.at - previous.at > 2 * period
        if gap:
            runs.append([point])
        else:
            runs[-1].append(point)
        previous = sample
    local = ZoneInfo(zone)
    x_ticks = [
        Tick(
            round(x_of(start + window * k / 4), 1),
            (start + window * k / 4).astimezone(local).strftime("%H:%M"),
            "start" if k == 0 else "end" if k == 4 else "middle",
        )
        for k in range(5)
    ]
    y_ticks = []
    value = low
    while values and value <= high + step / 2:
        y_ticks.append(Tick(round(y_of(value), 1), f"{value:g}"))
        value += step
    return LineChart(
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        lines=[" ".join(f"{x},{y}" for x, y in run) for run in runs if len(run) > 1],
        dots=[run[0] for run in runs if len(run) == 1],
        bands=bands,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        latest=values[-1] if values else None,
        minimum=min(values) if values else None,
        maximum=max(values) if values else None,
        state_minutes=state_minutes,
    )


@dataclass(frozen=True)
class Bar:
    day: date
    pct: float | None  # None: no record for the day
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bottom: int
    bar_width: float
    bars: list[Bar]


def uptime_bars(
    up_s_by_day: dict[date, int],
    today: date,
    today_elapsed_s: float,
    *,
    days: int = 14,
    width: int = 600,
    height: int = 140,
) -> BarChart:
    """Percent of each of the last `days` local days spent up, oldest first (today: of its time so far)."""
    top, bottom = 8, height - 24
    slot = width / days
    bars = []
    for k in range(days):
        day = today - timedelta(days=days - 1 - k)
        up_s = up_s_by_day.get(day)
        pct = None
        if up_s is not None:
            whole = today_elapsed_s if day == today else 86400.0
            pct = min(100.0, 100 * up_s / whole) if whole > 0 else 0.0
        bar_height = (bottom - top) * (pct or 0) / 100
        bars.append(
            Bar(day, pct, round(k * slot + slot * 0.15, 1), round(bottom - bar_height, 1), round(bar_height, 1))
        )
    return BarChart(width=width, height=height, bottom=bottom, bar_width=round(slot * 0.7, 1), bars=bars)


# The map


@dataclass(frozen=True)
class MapPoint:
    code: str
    name: str
    state: str
    latitude: float
    longitude: float
    commune: str
    hamlet: str | None


@dataclass(frozen=True)
class PlacedPoint:
    point: MapPoint
    x: float
    y: float


@dataclass(frozen=True)
class MapLabel:
    x: float
    y: float
    text: str
    kind: str  # "xa" or "ap"
    anchor: str = "middle"


@dataclass(frozen=True)
class ClusterMap:
    width: int
    height: int
    points: list[PlacedPoint]
    labels: list[MapLabel] = field(default_factory=list)
    scale_km: float = 0.0
    scale_px: float = 0.0


MIN_SPAN_DEGREES = 0.01  # about 1 km: a single cluster, or clusters on one spot, still get a sensible scale


def km_label(km: float) -> str:
    return f"{km:g} km" if km >= 1 else f"{round(km * 1000)} m"


def cluster_map(points: Sequence[MapPoint], *, width: int = 400, margin: int = 44) -> ClusterMap:
    """Place `points` on an equirectangular projection fitted to their bounding box, with a margin.

    Longitude is scaled by the cosine of the mean latitude, so that a km is as long across as up.
    """
    if not points:
        return ClusterMap(width=width, height=200, points=[])
    mean_lat = sum(p.latitude for p in points) / len(points)
    kx = math.cos(math.radians(mean_lat))
    xs = [p.longitude * kx for p in points]
    ys = [p.latitude for p in points]
    span_x = max(max(xs) - min(xs), MIN_SPAN_DEGREES)
    span_y = max(max(ys) - min(ys), MIN_SPAN_DEGREES)
    inner_w = width - 2 * margin
    height = int(min(max(inner_w * span_y / span_x, 160), 520)) + 2 * margin
    inner_h = height - 2 * margin
    scale = min(inner_w / span_x, inner_h / span_y)  # px per degree of latitude
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2

    def place(lon_x: float, lat: float) -> tuple[float, float]:
        return round(width / 2 + (lon_x - cx) * scale, 1), round(height / 2 - (lat - cy) * scale, 1)

    placed = [PlacedPoint(p, *place(x, p.latitude)) for p, x in zip(points, xs, strict=True)]
    labels = []
    for kind, attribute in (("xa", "commune"), ("ap", "hamlet")):
        groups: dict[str, list[PlacedPoint]] = {}
        for item in placed:
            name = getattr(item.point, attribute)
            if name:
                groups.setdefault(name, []).append(item)
        for name, members in sorted(groups.items()):
            x = sum(m.x for m in members) / len(members)
            y = (min(m.y for m in members) - 22) if kind == "xa" else (max(m.y for m in members) + 26)
            anchor = "start" if x < width / 4 else "end" if x > 3 * width / 4 else "middle"
            x = min(max(x - 14 if anchor == "start" else x + 14 if anchor == "end" else x, 4.0), width - 4.0)
            labels.append(MapLabel(round(x, 1), round(max(14.0, min(y, height - 30.0)), 1), name, kind, anchor))
    km_per_px = KM_PER_DEGREE / scale
    target_km = km_per_px * inner_w / 4
    power = 10 ** math.floor(math.log10(target_km))
    scale_km = max(m * power for m in (1, 2, 5) if m * power <= target_km)  # a round 1, 2 or 5
    return ClusterMap(
        width=width,
        height=height,
        points=placed,
        labels=labels,
        scale_km=scale_km,
        scale_px=round(scale_km / km_per_px, 1),
    )


# Shares as horizontal bars (a period report's aired and working shares by commune)


@dataclass(frozen=True)
class ShareBar:
    label: str
    pct: float | None
    y: float
    width: float


@dataclass(frozen=True)
class ShareChart:
    width: int
    height: int
    left: int
    bar_height: float
    bars: list[ShareBar]


def share_bars(rows: Sequence[tuple[str, float | None]], *, width: int = 600, row_height: int = 22) -> ShareChart:
    """One bar per row, 0-100 % of the space right of the labels (a row with no figure gets no bar)."""
    left = 180
    span = width - left - 50  # room on the right for the percentage printed after the bar
    bars = [
        ShareBar(label, pct, round(k * row_height + 4, 1), round(span * min(100.0, pct or 0.0) / 100, 1))
        for k, (label, pct) in enumerate(rows)
    ]
    return ShareChart(width, len(rows) * row_height + 8, left, row_height - 6, bars)
