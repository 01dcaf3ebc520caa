"""Hamlet groups: named groups of one commune's clusters ("the hamlets along the river"), and the registry view.

A group lists device codes rather than giving each device a hamlet: a cluster at a crossroads can serve
two hamlets, and groups such as "the market area" cut across hamlets.

Not to be confused with `devices.registry.Hamlet`: that is the ấp/thôn where a cluster is *installed*
(registry metadata, one per cluster, for the map and for maintenance); a hamlet group is a *broadcast
target*. A commune that wants "all clusters of ấp Bình Hòa" as a target makes a group of them.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from devices.registry import Commune, Device, Province
from schedules.target import Registry


class HamletGroupBase(SQLModel):
    name: str = Field(min_length=1, max_length=100)
    clusters: list[str] = Field(default_factory=list, max_length=500, description="Device codes of the commune.")


class HamletGroup(HamletGroupBase, table=True):
    __tablename__ = "hamlet_group"
    __table_args__ = (UniqueConstraint("commune_id", "name", name="uq_hamlet_group_commune_name"),)

    id: int | None = Field(default=None, primary_key=True)
    commune_id: int = Field(foreign_key="commune.id", index=True)
    clusters: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class HamletGroupCreate(HamletGroupBase):
    pass


class HamletGroupPublic(HamletGroupBase):
    id: int
    commune_id: int


def load_registry(session: Session) -> Registry:
    """Every commune's active clusters, every province's communes and every hamlet group, as plain data."""
    communes: dict[str, set[str]] = {}
    codes: dict[int, str] = {}
    for commune in session.exec(select(Commune)):
        assert commune.id is not None
        communes[commune.code] = set()
        codes[commune.id] = commune.code
    for device in session.exec(select(Device).where(col(Device.revoked_at).is_(None))):
        communes[codes[device.commune_id]].add(device.code)
    provinces: dict[str, list[str]] = {}
    province_codes = {p.id: p.code for p in session.exec(select(Province))}
    for commune in session.exec(select(Commune)):
        provinces.setdefault(province_codes[commune.province_id], []).append(commune.code)
    groups: dict[str, dict[str, list[str]]] = {}
    for group in session.exec(select(HamletGroup)):
        groups.setdefault(codes[group.commune_id], {})[group.name] = list(group.clusters)
    return Registry(communes=communes, provinces=provinces, hamlet_groups=groups)
