"""Live sessions as the API and the console change them: the permission, going live (one broadcast per
commune at once), ending, and the streaming server's question "may this node listen to this mount?"."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from controller import audit
from controller.accounts import Role, User
from controller.deps import require_role
from controller.errors import NotFound
from controller.live.errors import (
    LiveBusy,
    LiveNotPermitted,
    LivePreemptNotPermitted,
    LiveSessionEnded,
    LiveSessionNotFound,
    LiveTargetMissing,
)
from controller.live.session import (
    END_REASON_VI,
    LiveGrant,
    LiveGrantCreate,
    LiveGrantPublic,
    LiveOnAir,
    LiveSession,
    LiveSessionCommune,
    LiveSessionPublic,
    LiveStart,
)
from devices.registry import Commune, Device, Province, get_commune, get_province
from schedules import ClusterTarget, CommuneTarget, HamletGroupTarget, ProvinceTarget, Target, resolve_target
from schedules.hamlet import load_registry


def _target(data: LiveStart) -> Target:
    if data.province_code:
        return ProvinceTarget(data.province_code)
    if data.clusters:
        return ClusterTarget(frozenset(data.clusters))
    if data.commune_code and data.hamlet_group:
        return HamletGroupTarget(data.commune_code, data.hamlet_group)
    if data.commune_code:
        return CommuneTarget(data.commune_code)
    raise LiveTargetMissing("no live target given")


def _grants(session: Session, user: User) -> list[LiveGrant]:
    return list(session.exec(select(LiveGrant).where(LiveGrant.user_id == user.id)))


def grant_for(session: Session, user: User, commune: Commune) -> LiveGrant | None:
    """The user's live permission that covers `commune` (a province grant only for the user's own province)."""
    for grant in _grants(session, user):
        if grant.commune_id is not None and grant.commune_id == commune.id:
            return grant
        in_province = grant.province_id is not None and grant.province_id == commune.province_id
        if in_province and (user.role == Role.ADMIN or user.province_id == grant.province_id):
            return grant
    return None


def live_communes(session: Session, user: User) -> list[Commune]:
    """The communes where `user` may go live, by code."""
    communes = session.exec(select(Commune).order_by(col(Commune.code))).all()
    return [c for c in communes if grant_for(session, user, c) is not None]


def start(session: Session, user: User, data: LiveStart) -> LiveSession:
    """A new session holding every commune it reaches; LiveBusy (409) if any carries another live broadcast."""
    if not user.active:
        raise LiveNotPermitted(f"user {user.username} inactive")
    registry = load_registry(session)
    reached = resolve_target(_target(data), registry)
    communes: list[tuple[Commune, list[str] | None]] = []
    for code in sorted(reached):
        commune = get_commune(session, code)
        grant = grant_for(session, user, commune)
        if grant is None:
            raise LiveNotPermitted(
                f"user {user.username} may not go live in {code}",
                message_vi=f"Bạn chưa được cấp quyền phát trực tiếp ở xã {commune.name}.",
            )
        if (data.priority == "emergency" or data.pre_empt) and not grant.pre_empt:
            raise LivePreemptNotPermitted(f"user {user.username} may not pre-empt in {code}")
        everyone = frozenset(registry.communes.get(code, ()))
        communes.append((commune, None if reached[code] == everyone else sorted(reached[code])))
    assert user.id is not None
    live = LiveSession(
        key=secrets.token_hex(12),
        user_id=user.id,
        title=data.title.strip() or "Phát trực tiếp",
        priority=data.priority,
        pre_empt=data.pre_empt or data.priority == "emergency",
        target=data.model_dump(
            include={"commune_code", "hamlet_group", "clusters", "province_code"}, exclude_none=True
        ),
    )
    session.add(live)
    session.flush()
    assert live.id is not None
    for commune, clusters in communes:
        assert commune.id is not None
        session.add(LiveSessionCommune(session_id=live.id, commune_id=commune.id, clusters=clusters))
    session.flush()
    for commune, _ in communes:
        assert commune.id is not None
        busy = session.get(LiveOnAir, commune.id)
        if busy is not None:
            session.rollback()
            raise LiveBusy(
                f"commune {commune.code} is live in session {busy.session_id}",
                message_vi=f"Xã {commune.name} đang có người khác phát trực tiếp; vui lòng chờ họ kết thúc.",
            )
        session.add(LiveOnAir(commune_id=commune.id, session_id=live.id))
    audit.record(
        session,
        user,
        "live.start",
        f"live:{live.key}",
        f"{live.priority}{' chen ngang' if live.pre_empt else ''}: {', '.join(c.code for c, _ in communes)} "
        f"{live.target}",
    )
    try:
        session.commit()  # two officers at once: the second commit breaks live_on_air's primary key
    except IntegrityError as exc:
        session.rollback()
        raise LiveBusy("a commune went live meanwhile") from exc
    return live


def get_session(session: Session, key: str) -> LiveSession:
    live = session.exec(select(LiveSession).where(LiveSession.key == key)).first()
    if live is None:
        raise LiveSessionNotFound(f"no live session {key[:40]!r}")
    return live


def owned_session(session: Session, user: User, key: str) -> LiveSession:
    """The session, if `user` started it (an admin may end anyone's)."""
    live = get_session(session, key)
    if live.user_id != user.id and user.role != Role.ADMIN:
        raise LiveSessionNotFound(f"live session {key[:40]!r} is not {user.username}'s")
    return live


def session_communes(session: Session, live: LiveSession) -> list[tuple[Commune, list[str] | None]]:
    rows = session.exec(
        select(LiveSessionCommune, Commune)
        .where(LiveSessionCommune.session_id == live.id, LiveSessionCommune.commune_id == Commune.id)
        .order_by(col(Commune.code))
    ).all()
    return [(commune, row.clusters) for row, commune in rows]


def targeted_devices(session: Session, live: LiveSession) -> list[tuple[Commune, list[Device], bool]]:
    """Per commune: the active clusters the session reaches, and whether that is every cluster of it."""
    out = []
    for commune, clusters in session_communes(session, live):
        devices = list(
            session.exec(
                select(Device)
                .where(Device.commune_id == commune.id, col(Device.revoked_at).is_(None))
                .order_by(col(Device.code))
            )
        )
        if clusters is not None:
            devices = [d for d in devices if d.code in clusters]
        out.append((commune, devices, clusters is None))
    return out


def end(session: Session, live: LiveSession, reason: str, detail: str, now: datetime) -> bool:
    """Mark the session ended and free its communes; False if it had already ended."""
    if live.ended_at is not None:
        return False
    live.ended_at = now
    live.end_reason = reason
    live.end_detail = detail[:500]
    session.add(live)
    for row in session.exec(select(LiveOnAir).where(LiveOnAir.session_id == live.id)):
        session.delete(row)
    user = session.get(User, live.user_id)
    audit.record(session, user, "live.end", f"live:{live.key}", f"{reason}: {detail}"[:4000])
    session.commit()
    return True


def require_open(live: LiveSession) -> None:
    if live.ended_at is not None:
        raise LiveSessionEnded(f"live session {live.key} ended ({live.end_reason})")


def may_listen(session: Session, mount: str, device: Device) -> bool:
    """The streaming server's question: is `device` a target of the open session on `mount`?"""
    if not (mount.startswith("/live/") and mount.endswith(".ogg")):
        return False
    live = session.exec(select(LiveSession).where(LiveSession.key == mount[len("/live/") : -len(".ogg")])).first()
    if live is None or live.ended_at is not None:
        return False
    row = session.get(LiveSessionCommune, (live.id, device.commune_id))
    return row is not None and (row.clusters is None or device.code in row.clusters)


def public(session: Session, live: LiveSession) -> LiveSessionPublic:
    assert live.id is not None
    user = session.get(User, live.user_id)
    return LiveSessionPublic(
        id=live.id,
        key=live.key,
        username=user.username if user is not None else "",
        title=live.title,
        priority=live.priority,
        pre_empt=live.pre_empt,
        communes=[c.code for c, _ in session_communes(session, live)],
        mount=live.mount,
        audio_socket=f"/api/v1/live/{live.key}/audio",
        started_at=live.started_at,
        on_air_at=live.on_air_at,
        ended_at=live.ended_at,
        end_reason=live.end_reason,
        end_reason_vi=END_REASON_VI.get(live.end_reason or ""),
        end_detail=live.end_detail,
        recording_sha256=live.recording_sha256,
        recorded_ms=live.recorded_ms,
    )


def open_sessions(session: Session) -> list[LiveSession]:
    return list(session.exec(select(LiveSession).where(col(LiveSession.ended_at).is_(None))))


# -- the permission -------------------------------------------------------------------------------


def add_grant(session: Session, admin: User, data: LiveGrantCreate) -> LiveGrant:
    """Give a user the live permission in a commune, or a province (admin only)."""
    require_role(admin, Role.ADMIN)
    user = session.exec(select(User).where(User.username == data.username)).first()
    if user is None:
        raise NotFound(f"no user {data.username!r}", message_vi="Không tìm thấy người dùng.")
    if (data.commune_code is None) == (data.province_code is None):
        raise LiveTargetMissing("a grant names a commune or a province", message_vi="Phải chọn một xã hoặc một tỉnh.")
    commune = get_commune(session, data.commune_code) if data.commune_code else None
    province = get_province(session, data.province_code) if data.province_code else None
    assert admin.id is not None and user.id is not None
    grant = LiveGrant(
        user_id=user.id,
        commune_id=commune.id if commune is not None else None,
        province_id=province.id if province is not None else None,
        pre_empt=data.pre_empt,
        granted_by=admin.id,
    )
    session.add(grant)
    where = f"commune:{commune.code}" if commune is not None else f"province:{province.code if province else ''}"
    audit.record(session, admin, "live.grant", f"user:{user.username}", f"{where} chen ngang={data.pre_empt}")
    session.commit()
    return grant


def remove_grant(session: Session, admin: User, grant_id: int) -> None:
    require_role(admin, Role.ADMIN)
    grant = session.get(LiveGrant, grant_id)
    if grant is None:
        raise NotFound(f"no live grant {grant_id}", message_vi="Không tìm thấy quyền phát trực tiếp.")
    session.delete(grant)
    audit.record(session, admin, "live.revoke", f"live_grant:{grant_id}", "")
    session.commit()


def grant_public(session: Session, grant: LiveGrant) -> LiveGrantPublic:
    assert grant.id is not None
    user = session.get(User, grant.user_id)
    commune = session.get(Commune, grant.commune_id) if grant.commune_id is not None else None
    province = session.get(Province, grant.province_id) if grant.province_id is not None else None
    return LiveGrantPublic(
        id=grant.id,
        username=user.username if user is not None else "",
        commune_code=commune.code if commune is not None else None,
        province_code=province.code if province is not None else None,
        pre_empt=grant.pre_empt,
        granted_at=grant.granted_at,
    )


def all_grants(session: Session) -> list[LiveGrant]:
    return list(session.exec(select(LiveGrant).order_by(col(LiveGrant.id))))
