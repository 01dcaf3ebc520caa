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


def load_registry(session: Session, commune: Commune | None = None) -> Registry:
    """Every commune's active clusters, every province's communes and every hamlet group, as plain data.

    With `commune`, only that commune's (compiling one commune's timetable needs no more, and a province
    has thousands of clusters).
    """
    communes: dict[str, set[str]] = {}
    codes: dict[int, str] = {}
    commune_query = select(Commune) if commune is None else select(Commune).where(Commune.id == commune.id)
    device_query = select(Device).where(col(Device.revoked_at).is_(None))
    group_query = select(HamletGroup)
    if commune is not None:
        device_query = device_query.where(Device.commune_id == commune.id)
        group_query = group_query.where(HamletGroup.commune_id == commune.id)
    loaded = list(session.exec(commune_query))
    for row in loaded:
        assert row.id is not None
        communes[row.code] = set()
        codes[row.id] = row.code
    for device in session.exec(device_query):
        communes[codes[device.commune_id]].add(device.code)
    provinces: dict[str, list[str]] = {}
    province_codes = {p.id: p.code for p in session.exec(select(Province))}
    for row in loaded:
        provinces.setdefault(province_codes[row.province_id], []).append(row.code)
    groups: dict[str, dict[str, list[str]]] = {}
    for group in session.exec(group_query):
        groups.setdefault(codes[group.commune_id], {})[group.name] = list(group.clusters)
    return Registry(communes=communes, provinces=provinces, hamlet_groups=groups)
