"""A CAP 1.2 alert message as loaxa reads it: the fields it acts on, as frozen values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Circle:
    """A CAP circle: its centre (WGS 84 degrees) and radius in kilometres."""

    latitude: float
    longitude: float
    radius_km: float


# A closed ring of (latitude, longitude) points, first equal to last.
Polygon = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class CapArea:
    description: str
    polygons: tuple[Polygon, ...] = ()
    circles: tuple[Circle, ...] = ()
    geocodes: tuple[tuple[str, str], ...] = ()  # (valueName, value)


@dataclass(frozen=True)
class CapInfo:
    language: str
    categories: tuple[str, ...]
    event: str
    urgency: str
    severity: str
    certainty: str
    sender_name: str = ""
    headline: str = ""
    description: str = ""
    instruction: str = ""
    expires: datetime | None = None
    areas: tuple[CapArea, ...] = ()

    @property
    def vietnamese(self) -> bool:
        return self.language.lower().startswith("vi")


@dataclass(frozen=True)
class Reference:
    """An earlier message this one updates or cancels (`<references>`: sender,identifier,sent)."""

    sender: str
    identifier: str
    sent: str


@dataclass(frozen=True)
class CapMessage:
    identifier: str
    sender: str
    sent: datetime
    status: str  # Actual, Exercise, System, Test, Draft
    msg_type: str  # Alert, Update, Cancel, Ack, Error
    scope: str  # Public, Restricted, Private
    references: tuple[Reference, ...] = ()
    infos: tuple[CapInfo, ...] = ()
    signed: bool = False  # an XML signature was present and verified

    @property
    def info(self) -> CapInfo | None:
        """The info block read aloud: the Vietnamese one if there is one, else the first."""
        for info in self.infos:
            if info.vietnamese:
                return info
        return self.infos[0] if self.infos else None

    @property
    def areas(self) -> tuple[CapArea, ...]:
        """Every area of every info block (each info of a multilingual alert names the same place)."""
        return tuple(area for info in self.infos for area in info.areas)
