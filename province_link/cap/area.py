"""Where an alert is: its CAP areas mapped to the province's communes and clusters.

- `<geocode>` with valueName `MA_DVHC` (mã đơn vị hành chính, the Vietnam administrative unit codes):
  a value equal to a commune's `admin_code` is that commune; a district's or province's code reaches the
  communes listed for it in `cap_area_code` (kept by the province with `loaxa cap area-code`). Either way
  the whole commune: all of its clusters. Other geocodes (SAME, FIPS...) are not Vietnamese and are ignored.
- `<polygon>` and `<circle>`: the clusters whose GPS position lies inside; a cluster without GPS is
  never inside a shape.
Pure functions over plain data; `province_link.cap.intake` loads the places from the database.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from province_link.cap.message import CapArea, Circle, Polygon

GEOCODE_NAME = "MA_DVHC"
EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG); the error against the ellipsoid is under 0.5 %


@dataclass(frozen=True)
class Cluster:
    code: str
    commune: str
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class Places:
    """The province's places an alert may reach."""

    communes_by_admin_code: Mapping[str, str]  # admin code -> commune code
    area_codes: Mapping[str, frozenset[str]]  # a district's (or other) code -> commune codes
    clusters: tuple[Cluster, ...]


# commune code -> the clusters reached there (None: every cluster of the commune)
Reach = dict[str, frozenset[str] | None]


def inside_polygon(latitude: float, longitude: float, polygon: Polygon) -> bool:
    """Even-odd ray casting on latitude/longitude taken as plane coordinates (fine at commune scale)."""
    inside = False
    for (lat1, lon1), (lat2, lon2) in itertools.pairwise(polygon):
        if (lat1 > latitude) != (lat2 > latitude):
            crossing = lon1 + (latitude - lat1) * (lon2 - lon1) / (lat2 - lat1)
            if longitude < crossing:
                inside = not inside
    return inside


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def inside_circle(latitude: float, longitude: float, circle: Circle) -> bool:
    return distance_km(latitude, longitude, circle.latitude, circle.longitude) <= circle.radius_km


def geocode_communes(areas: Iterable[CapArea], places: Places) -> set[str]:
    communes: set[str] = set()
    for area in areas:
        for name, value in area.geocodes:
            if name != GEOCODE_NAME:
                continue
            if value in places.communes_by_admin_code:
                communes.add(places.communes_by_admin_code[value])
            communes.update(places.area_codes.get(value, ()))
    return communes


def reach(areas: Iterable[CapArea], places: Places) -> Reach:
    """The communes and clusters the areas reach; empty when they reach nothing of the province."""
    areas = tuple(areas)
    whole = geocode_communes(areas, places)
    found: Reach = {commune: None for commune in whole}
    shapes = [(a.polygons, a.circles) for a in areas if a.polygons or a.circles]
    partial: dict[str, set[str]] = {}
    for cluster in places.clusters:
        if cluster.commune in whole or cluster.latitude is None or cluster.longitude is None:
            continue
        lat, lon = cluster.latitude, cluster.longitude
        if any(
            any(inside_polygon(lat, lon, p) for p in polygons) or any(inside_circle(lat, lon, c) for c in circles)
            for polygons, circles in shapes
        ):
            partial.setdefault(cluster.commune, set()).add(cluster.code)
    all_of: dict[str, set[str]] = {}
    for cluster in places.clusters:
        all_of.setdefault(cluster.commune, set()).add(cluster.code)
    for commune, codes in partial.items():
        # Every cluster of the commune inside the shape: the commune as a whole (new clusters included).
        found[commune] = None if codes == all_of.get(commune) else frozenset(codes)
    return found
