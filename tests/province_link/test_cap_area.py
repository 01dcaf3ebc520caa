"""Mapping CAP areas to communes and clusters (`province_link.cap.area`), and the priority table."""

from __future__ import annotations

import pytest

from province_link.cap.area import Cluster, Places, distance_km, inside_polygon, reach
from province_link.cap.message import CapArea, Circle
from province_link.cap.priority import priority_of

PLACES = Places(
    communes_by_admin_code={"27001": "XA-A", "27002": "XA-B", "27003": "XA-C"},
    area_codes={"801": frozenset({"XA-A", "XA-B"})},
    clusters=(
        Cluster("A1", "XA-A", 10.50, 106.40),
        Cluster("A2", "XA-A", 10.51, 106.41),
        Cluster("B1", "XA-B", 10.60, 106.50),
        Cluster("C1", "XA-C", 10.70, 106.60),
        Cluster("C2", "XA-C", 10.90, 106.90),
        Cluster("C3", "XA-C", None, None),  # no GPS: never inside a shape
    ),
)
SQUARE = ((10.65, 106.55), (10.65, 106.65), (10.75, 106.65), (10.75, 106.55), (10.65, 106.55))


def test_a_communes_admin_code_reaches_the_whole_commune() -> None:
    assert reach([CapArea("x", geocodes=(("MA_DVHC", "27003"),))], PLACES) == {"XA-C": None}


def test_a_district_code_reaches_every_commune_listed_for_it() -> None:
    assert reach([CapArea("x", geocodes=(("MA_DVHC", "801"),))], PLACES) == {"XA-A": None, "XA-B": None}


def test_other_geocodes_and_unknown_codes_reach_nothing() -> None:
    assert reach([CapArea("x", geocodes=(("SAME", "27003"), ("MA_DVHC", "99999")))], PLACES) == {}


def test_a_polygon_reaches_the_clusters_inside_it() -> None:
    assert reach([CapArea("x", polygons=(SQUARE,))], PLACES) == {"XA-C": frozenset({"C1"})}
    assert inside_polygon(10.70, 106.60, SQUARE) and not inside_polygon(10.80, 106.60, SQUARE)


def test_a_circle_reaches_the_clusters_within_its_radius() -> None:
    # A1 and A2 are about 1.5 km apart; a 1 km circle on A1 takes only A1.
    assert 1.4 < distance_km(10.50, 106.40, 10.51, 106.41) < 1.7
    assert reach([CapArea("x", circles=(Circle(10.50, 106.40, 1.0),))], PLACES) == {"XA-A": frozenset({"A1"})}
    assert reach([CapArea("x", circles=(Circle(10.505, 106.405, 2.0),))], PLACES) == {"XA-A": None}


def test_shapes_and_geocodes_add_up() -> None:
    areas = [CapArea("x", geocodes=(("MA_DVHC", "27002"),), circles=(Circle(10.50, 106.40, 0.5),))]
    assert reach(areas, PLACES) == {"XA-B": None, "XA-A": frozenset({"A1"})}


@pytest.mark.parametrize(
    ("severity", "urgency", "certainty", "priority"),
    [
        ("Extreme", "Immediate", "Observed", "khan_cap"),
        ("Severe", "Expected", "Likely", "khan_cap"),
        ("Severe", "Immediate", "Possible", "khan_cap"),
        ("Severe", "Immediate", "Unknown", "uu_tien"),
        ("Extreme", "Future", "Likely", "uu_tien"),
        ("Moderate", "Immediate", "Observed", "uu_tien"),
        ("Extreme", "Immediate", "Unlikely", "thong_thuong"),
        ("Severe", "Past", "Observed", "thong_thuong"),
        ("Minor", "Immediate", "Observed", "thong_thuong"),
        ("Unknown", "Unknown", "Unknown", "thong_thuong"),
    ],
)
def test_priority_table(severity: str, urgency: str, certainty: str, priority: str) -> None:
    assert priority_of(severity, urgency, certainty) == priority
