"""Targets: where a program plays, and their resolution into per-commune sets of cluster codes.

A target is a whole commune, a named group of a commune's clusters (its hamlets), a list of clusters
(cluster codes are unique across the country), or every commune of a province. Resolution reads plain
registry data, so it is tested without a database; communes without clusters drop out of the result.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from schedules.errors import UnknownTarget


@dataclass(frozen=True)
class CommuneTarget:
    commune: str


@dataclass(frozen=True)
class HamletGroupTarget:
    """A named group of one commune's clusters, e.g. the hamlets along the river."""

    commune: str
    group: str


@dataclass(frozen=True)
class ClusterTarget:
    clusters: frozenset[str]


@dataclass(frozen=True)
class ProvinceTarget:
    province: str


Target = CommuneTarget | HamletGroupTarget | ClusterTarget | ProvinceTarget


def target_named(
    *,
    province_code: str | None = None,
    clusters: Iterable[str] | None = None,
    commune_code: str | None = None,
    hamlet_group: str | None = None,
) -> Target | None:
    """The target a request's fields name: the province, else the clusters, else a commune's hamlet group,
    else the commune; None when none is given (each caller refuses that in its own words)."""
    if province_code:
        return ProvinceTarget(province_code)
    if clusters:
        return ClusterTarget(frozenset(clusters))
    if commune_code and hamlet_group:
        return HamletGroupTarget(commune_code, hamlet_group)
    if commune_code:
        return CommuneTarget(commune_code)
    return None


@dataclass(frozen=True)
class Registry:
    """Plain registry data: commune -> its clusters, province -> its communes, commune -> group -> clusters."""

    communes: Mapping[str, Collection[str]]
    provinces: Mapping[str, Collection[str]] = field(default_factory=dict)
    hamlet_groups: Mapping[str, Mapping[str, Collection[str]]] = field(default_factory=dict)

    def commune_of(self, cluster: str) -> str | None:
        return next((commune for commune, clusters in self.communes.items() if cluster in clusters), None)


def resolve_target(target: Target, registry: Registry) -> dict[str, frozenset[str]]:
    """The clusters `target` reaches, per commune code; refuse unknown names and a target reaching no cluster."""
    match target:
        case CommuneTarget(commune=commune):
            resolved = {commune: _clusters(registry, commune)}
        case HamletGroupTarget(commune=commune, group=group):
            resolved = {commune: _group(registry, commune, group)}
        case ClusterTarget(clusters=clusters):
            resolved = _by_commune(registry, clusters)
        case ProvinceTarget(province=province):
            if province not in registry.provinces:
                raise UnknownTarget(f"no province {province!r}", message_vi=f"Không tìm thấy tỉnh “{province}”.")
            resolved = {c: _clusters(registry, c) for c in registry.provinces[province]}
    result = {commune: clusters for commune, clusters in resolved.items() if clusters}
    if not result:
        raise UnknownTarget(f"{target} reaches no cluster", message_vi="Địa bàn đã chọn không có cụm loa nào.")
    return result


def _clusters(registry: Registry, commune: str) -> frozenset[str]:
    if commune not in registry.communes:
        raise UnknownTarget(f"no commune {commune!r}", message_vi=f"Không tìm thấy xã “{commune}”.")
    return frozenset(registry.communes[commune])


def _group(registry: Registry, commune: str, group: str) -> frozenset[str]:
    own = _clusters(registry, commune)
    groups = registry.hamlet_groups.get(commune, {})
    if group not in groups:
        raise UnknownTarget(
            f"commune {commune!r} has no group {group!r}",
            message_vi=f"Xã “{commune}” không có nhóm thôn “{group}”.",
        )
    members = frozenset(groups[group])
    if strangers := sorted(members - own):
        raise UnknownTarget(
            f"group {group!r} of {commune!r} lists clusters of other communes: {strangers}",
            message_vi=f"Nhóm thôn “{group}” có cụm loa không thuộc xã “{commune}”: {', '.join(strangers)}.",
        )
    return members


def _by_commune(registry: Registry, clusters: frozenset[str]) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for cluster in sorted(clusters):
        commune = registry.commune_of(cluster)
        if commune is None:
            raise UnknownTarget(f"no cluster {cluster!r}", message_vi=f"Không tìm thấy cụm loa “{cluster}”.")
        found.setdefault(commune, set()).add(cluster)
    return {commune: frozenset(members) for commune, members in found.items()}
