"""Stream sources for relays ("tiếp sóng"), as the API, the console and the CLI change them: who may, the
probe before anything is stored, and the audit log (the nouns live in `schedules.stream_source`)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from controller import audit
from controller.accounts import Role, User, commune_scope
from controller.broadcast_hours import writable_commune
from controller.deps import require_role
from controller.services import Services
from devices.registry import Commune, get_province
from schedules.errors import UnknownStockKey, UnknownStockLanguage
from schedules.stock_message import STOCK_KEYS, StockLanguage
from schedules.stream_source import (
    CommuneRelayFill,
    RelayFillPublic,
    StreamSource,
    StreamSourceCreate,
    delete_source,
    get_source,
    probe_stream,
    register_source,
    sources_for,
)


def readable_sources(session: Session, user: User) -> list[StreamSource]:
    """National sources, and those of the provinces of the user's communes (every source for an admin)."""
    scope = commune_scope(session, user)
    if scope is None:
        return sources_for(session, None)
    provinces = {c.province_id for c in session.exec(select(Commune).where(col(Commune.id).in_(sorted(scope))))}
    if user.province_id is not None:
        provinces.add(user.province_id)
    return sources_for(session, provinces)


def add_source(session: Session, services: Services, user: User, data: StreamSourceCreate) -> StreamSource:
    """Listen to the URL, then store the source (admin only); nothing is stored when the probe fails."""
    require_role(user, Role.ADMIN)
    province_id = None
    if data.province_code:
        province_id = get_province(session, data.province_code).id
    probe = probe_stream(data.url, timeout_s=services.settings.scheduler.stream_probe_timeout_s)
    assert user.id is not None
    source = register_source(
        session, name=data.name.strip(), url=data.url, province_id=province_id, user_id=user.id, probe=probe
    )
    audit.record(session, user, "stream_source.add", f"stream_source:{source.id}", f"{source.name} {source.url}")
    session.commit()
    return source


def remove_source(session: Session, user: User, source_id: int) -> None:
    require_role(user, Role.ADMIN)
    source = get_source(session, source_id)
    delete_source(session, source)
    audit.record(session, user, "stream_source.delete", f"stream_source:{source_id}", source.name)
    session.commit()


def fill_public(session: Session, commune: Commune) -> RelayFillPublic:
    assert commune.id is not None
    row = session.get(CommuneRelayFill, commune.id)
    if row is None or not row.stock_key:
        return RelayFillPublic(fill="silence")
    return RelayFillPublic(fill="stock", stock_key=row.stock_key, stock_language=row.stock_language)


def set_fill(session: Session, user: User, commune_code: str, data: RelayFillPublic) -> Commune:
    """The commune's choice for a failed relay: silence, or a stock message (officer of the commune, admin)."""
    commune = writable_commune(session, user, commune_code)
    assert commune.id is not None
    key = data.stock_key if data.fill == "stock" else None
    if data.fill == "stock" and (key is None or key not in STOCK_KEYS):
        raise UnknownStockKey(f"stock key {key!r}")
    if data.fill == "stock" and session.get(StockLanguage, data.stock_language) is None:
        raise UnknownStockLanguage(f"stock language {data.stock_language!r}")
    row = session.get(CommuneRelayFill, commune.id) or CommuneRelayFill(commune_id=commune.id)
    row.stock_key = key
    row.stock_language = data.stock_language
    session.add(row)
    audit.record(session, user, "relay_fill.set", f"commune:{commune.code}", key or "silence")
    session.commit()
    return commune
