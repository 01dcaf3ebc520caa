"""Targets resolved into per-commune cluster sets from plain registry data."""

from __future__ import annotations

import pytest

from schedules.errors import UnknownTarget
from schedules.target import (
    ClusterTarget,
    CommuneTarget,
    HamletGroupTarget,
    ProvinceTarget,
    Registry,
    resolve_target,
)

REGISTRY = Registry(
    communes={
        "XA-AN-BINH": ["AB-01", "AB-02", "AB-03"],
        "XA-PHU-MY": ["PM-01", "PM-02"],
        "XA-MOI": [],
        "XA-KHAC": ["KH-01"],
    },
    provinces={"DONG-THAP": ["XA-AN-BINH", "XA-PHU-MY", "XA-MOI"], "AN-GIANG": ["XA-KHAC"]},
    hamlet_groups={"XA-AN-BINH": {"ven sông": ["AB-01", "AB-03"], "lạc": ["AB-01", "PM-01"]}},
)


def test_whole_commune() -> None:
    assert resolve_target(CommuneTarget("XA-PHU-MY"), REGISTRY) == {"XA-PHU-MY": frozenset({"PM-01", "PM-02"})}


def test_hamlet_group() -> None:
    resolved = resolve_target(HamletGroupTarget("XA-AN-BINH", "ven sông"), REGISTRY)
    assert resolved == {"XA-AN-BINH": frozenset({"AB-01", "AB-03"})}


def test_cluster_list_is_split_by_commune() -> None:
    resolved = resolve_target(ClusterTarget(frozenset({"AB-02", "PM-02", "KH-01"})), REGISTRY)
    assert resolved == {
        "XA-AN-BINH": frozenset({"AB-02"}),
        "XA-PHU-MY": frozenset({"PM-02"}),
        "XA-KHAC": frozenset({"KH-01"}),
    }


def test_province_reaches_every_commune_with_clusters() -> None:
    resolved = resolve_target(ProvinceTarget("DONG-THAP"), REGISTRY)
    assert resolved == {
        "XA-AN-BINH": frozenset({"AB-01", "AB-02", "AB-03"}),
        "XA-PHU-MY": frozenset({"PM-01", "PM-02"}),
    }


@pytest.mark.parametrize(
    ("target", "named"),
    [
        (CommuneTarget("XA-KHONG"), "XA-KHONG"),
        (ProvinceTarget("HA-NOI"), "HA-NOI"),
        (HamletGroupTarget("XA-AN-BINH", "núi"), "núi"),
        (HamletGroupTarget("XA-PHU-MY", "ven sông"), "ven sông"),
        (ClusterTarget(frozenset({"AB-01", "ZZ-99"})), "ZZ-99"),
    ],
)
def test_unknown_names_are_refused_by_name(target: object, named: str) -> None:
    with pytest.raises(UnknownTarget) as caught:
        resolve_target(target, REGISTRY)  # type: ignore[arg-type]
    assert named in caught.value.message_vi


def test_group_listing_another_communes_cluster_is_refused() -> None:
    with pytest.raises(UnknownTarget) as caught:
        resolve_target(HamletGroupTarget("XA-AN-BINH", "lạc"), REGISTRY)
    assert "PM-01" in caught.value.message_vi


def test_target_reaching_no_cluster_is_refused() -> None:
    with pytest.raises(UnknownTarget):
        resolve_target(CommuneTarget("XA-MOI"), REGISTRY)
    with pytest.raises(UnknownTarget):
        resolve_target(ClusterTarget(frozenset()), REGISTRY)
