"""Signed commands to clusters: play now, stop, volume, resync, reboot, silent self-test.

Admins and the commune's officers may command its clusters; monitors and approvers may read how a
command went. Commands that change what airs (play_now, stop, set_volume, reboot) go to the audit log.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator
from sqlmodel import Session, col, select

from audio_library import AudioAsset
from audio_library.row_id import RowId
from controller import audit
from controller.accounts import Role, User
from controller.deps import CurrentUser, ServicesDep, SessionDep, require_commune, require_role
from controller.errors import InvalidInput, NotFound
from controller.services import Services
from devices.commands import CommandCenter, DeviceCommand, new_command_body
from devices.content import ContentDelivery
from devices.errors import BrokerUnavailable
from devices.protocol import CommandName, PlaylistItem, StockKey, StockLanguage, StockRef
from devices.registry import Commune, Device, get_commune, get_device
from schedules import Bulletin, BulletinStatus, NotInValidity, airs_in, require_cleared
from schedules.stock_message import approved_message, stock_url

router = APIRouter(tags=["commands"])

# Logged in the audit trail: these change what the loudspeakers do for listeners.
AUDITED: frozenset[str] = frozenset({"play_now", "stop", "set_volume", "reboot"})


class CommandRequest(BaseModel):
    name: CommandName
    volume: int | None = Field(default=None, ge=0, le=100, description="set_volume: 0-100.")
    bulletin_id: RowId | None = Field(default=None, description="play_now: an approved bulletin of the commune.")
    asset_sha256: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$", description="play_now: a stored audio asset instead of a bulletin."
    )
    stock_key: StockKey | None = Field(
        default=None,
        description="play_now: an approved stock message (with `stock_language`), aired from the "
        "nodes' pinned copies without any download.",
    )
    stock_language: StockLanguage | None = Field(default=None, description="play_now: the stock message's language.")

    @model_validator(mode="after")
    def _parameters_match_the_name(self) -> CommandRequest:
        if (self.name == "set_volume") != (self.volume is not None):
            raise ValueError("set_volume needs `volume`, and only set_volume takes it")
        if (self.stock_key is None) != (self.stock_language is None):
            raise ValueError("a stock message needs both `stock_key` and `stock_language`")
        audio = [self.bulletin_id is not None, self.asset_sha256 is not None, self.stock_key is not None]
        if (self.name == "play_now") != any(audio):
            raise ValueError(
                "play_now needs `bulletin_id`, `asset_sha256` or a stock message; only play_now takes them"
            )
        if sum(audio) > 1:
            raise ValueError("play_now takes one of `bulletin_id`, `asset_sha256` or a stock message")
        return self


class CommandIssued(BaseModel):
    command_id: str
    name: str
    devices: list[str]


class DeviceCommandStatus(BaseModel):
    device_code: str
    status: str
    reason: str | None
    detail: str
    acked_at: datetime | None
    finished_at: datetime | None


class CommandStatusPublic(BaseModel):
    command_id: str
    name: str
    scope: str
    commune_code: str
    issued_by: str
    issued_at: datetime
    devices: list[DeviceCommandStatus]


def _center(services: Services) -> CommandCenter:
    if services.commands is None:
        raise BrokerUnavailable("commands need the controller's broker connection")
    return services.commands


def _play_item(
    session: Session, commune: Commune, data: CommandRequest, command_id: str, content: ContentDelivery | None
) -> PlaylistItem:
    """What play_now airs: audio cleared for this commune (`schedules.clearance`), as a playlist item.

    By bulletin: an approved bulletin that airs in the commune. By hash: the audio of such a bulletin, or
    audio the controller made itself; never a preview, a draft's speech or another commune's bulletin.
    By stock message (key and language): its approved copy, which nodes play from their pinned library.
    With the content server on (`content`), audio to download also gets a signed link there
    (`content_url`), so a new recording sent to a whole province is not served by this process.
    """
    assert commune.id is not None
    now = datetime.now(UTC)
    title = "Phát ngay theo lệnh"
    stock: StockRef | None = None
    if data.stock_key is not None and data.stock_language is not None:
        message, stock_asset = approved_message(session, data.stock_key, data.stock_language)
        title, sha256 = message.approved_title, stock_asset.sha256
        stock = StockRef(key=message.key, language=message.language)
    elif data.bulletin_id is not None:
        bulletin = session.get(Bulletin, data.bulletin_id)
        if bulletin is None or not airs_in(bulletin, commune.id, commune.province_id):
            raise NotFound(f"no bulletin {data.bulletin_id} in {commune.code}", message_vi="Không tìm thấy bản tin.")
        if bulletin.status != BulletinStatus.APPROVED or bulletin.audio_sha256 is None:
            raise InvalidInput(
                f"bulletin {bulletin.id} is {bulletin.status}", message_vi="Chỉ phát ngay được bản tin đã duyệt."
            )
        if (bulletin.valid_from is not None and now < bulletin.valid_from) or (
            bulletin.valid_until is not None and now >= bulletin.valid_until
        ):
            raise NotInValidity(f"bulletin {bulletin.id} is not valid now")
        title, sha256 = bulletin.title, bulletin.audio_sha256
    else:
        assert data.asset_sha256 is not None
        sha256 = data.asset_sha256
        owners = session.exec(
            select(Bulletin).where(Bulletin.audio_sha256 == sha256, Bulletin.status == BulletinStatus.APPROVED)
        )
        title = next((b.title for b in owners if airs_in(b, commune.id, commune.province_id)), title)
    asset = session.get(AudioAsset, sha256)
    if asset is None or asset.codec not in ("opus", "mp3"):
        raise NotFound(f"no playable asset {sha256}", message_vi="Không tìm thấy tệp âm thanh.")
    require_cleared(session, commune, asset.sha256, at=now)
    return PlaylistItem(
        item_id=f"cmd-{command_id[:24]}",
        title=title[:300],
        priority="emergency" if stock is not None else "priority",
        asset_sha256=asset.sha256,
        asset_url=(stock_url if stock is not None else node_audio_url)(asset.sha256, asset.codec),
        codec="mp3" if asset.codec == "mp3" else "opus",
        duration_ms=asset.duration_ms,
        starts_at=now,
        stock=stock,
        content_url=content.audio_url(commune.code, asset.sha256, asset.codec)
        if content is not None and stock is None
        else None,
    )


def node_audio_url(sha256: str, codec: str) -> str:
    return f"/api/v1/node/audio/{sha256}.{codec}"


def _issue(
    session: Session,
    services: Services,
    user: User,
    commune: Commune,
    devices: list[Device],
    data: CommandRequest,
    *,
    scope: str,
    target: str,
) -> CommandIssued:
    require_role(user, Role.ADMIN, Role.OFFICER)
    require_commune(session, user, commune)
    center = _center(services)
    if not devices:
        raise InvalidInput(f"no active cluster in {commune.code}", message_vi="Xã chưa có cụm loa nào đang hoạt động.")
    now = datetime.now(UTC)  # the nodes judge freshness by real time, whatever the scheduling clock says
    command_id = uuid.uuid4().hex
    body = new_command_body(
        data.name,
        scope="device" if scope == "device" else "commune",
        target=target,
        now=now,
        volume=data.volume,
        item=_play_item(session, commune, data, command_id, services.content) if data.name == "play_now" else None,
        command_id=command_id,
    )
    if data.name in AUDITED:
        detail = body.model_dump_json(include={"command_id", "volume"}, exclude_none=True)
        if body.item is not None:
            detail += f" {body.item.title} ({body.item.asset_sha256[:12]})"
        audit.record(session, user, f"command.{data.name}", f"{scope}:{target}", detail)
    center.issue(session, body, devices, commune_code=commune.code, issued_by=user.username)
    return CommandIssued(command_id=body.command_id, name=body.name, devices=[d.code for d in devices])


@router.post("/devices/{device_code}/commands", status_code=202)
def command_device(
    device_code: str, data: CommandRequest, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> CommandIssued:
    """Send a signed command to one cluster; follow it with GET /commands/{command_id}."""
    device = get_device(session, device_code)
    commune = session.get(Commune, device.commune_id)
    assert commune is not None
    if device.revoked_at is not None:
        raise NotFound(f"device {device.code} is revoked", message_vi="Cụm loa đã bị thu hồi.")
    devices = [device]
    return _issue(session, services, user, commune, devices, data, scope="device", target=device.code)


@router.post("/communes/{commune_code}/commands", status_code=202)
def command_commune(
    commune_code: str, data: CommandRequest, session: SessionDep, user: CurrentUser, services: ServicesDep
) -> CommandIssued:
    """Send one signed command to every active cluster of the commune."""
    commune = get_commune(session, commune_code)
    devices = list(
        session.exec(
            select(Device)
            .where(Device.commune_id == commune.id, col(Device.revoked_at).is_(None))
            .order_by(col(Device.code))
        )
    )
    return _issue(session, services, user, commune, devices, data, scope="commune", target=commune.code)


@router.get("/commands/{command_id}")
def command_status(command_id: str, session: SessionDep, user: CurrentUser) -> CommandStatusPublic:
    """How a command went on each cluster it was sent to."""
    rows = session.exec(
        select(DeviceCommand, Device)
        .where(DeviceCommand.command_id == command_id, DeviceCommand.device_id == Device.id)
        .order_by(col(Device.code))
    ).all()
    if not rows:
        raise NotFound(f"no command {command_id[:64]!r}", message_vi="Không tìm thấy lệnh.")
    first = rows[0][0]
    require_commune(session, user, get_commune(session, first.commune_code))
    return CommandStatusPublic(
        command_id=first.command_id,
        name=first.name,
        scope=first.scope,
        commune_code=first.commune_code,
        issued_by=first.issued_by,
        issued_at=first.issued_at,
        devices=[
            DeviceCommandStatus(
                device_code=device.code,
                status=row.status,
                reason=row.reason,
                detail=row.detail,
                acked_at=row.acked_at,
                finished_at=row.finished_at,
            )
            for row, device in rows
        ],
    )
