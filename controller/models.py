"""Every table of every package, imported so that `SQLModel.metadata` knows them all (for Alembic)."""

from sqlmodel import SQLModel

from audio_library.asset import AudioAsset
from controller.access.login_sessions import LoginSession
from controller.access.throttle import LoginFailure
from controller.accounts import User, UserCommune
from controller.audit import AuditEntry
from controller.live.session import LiveGrant, LiveOnAir, LiveSession, LiveSessionCommune
from devices.alerts import Alert
from devices.commands import DeviceCommand
from devices.health import DeviceHealth, HealthEvent, HeartbeatSample
from devices.identity_watch import DeviceBirth
from devices.proof_of_play import PlayRecord
from devices.registry import Commune, Device, Hamlet, Province
from devices.uptime import UptimeDay
from province_link import (
    OutboxMessage,
    SourceApprover,
    SourceDelivery,
    SourceItemBulletin,
    SourceItemRecord,
    SourceNonce,
    SourceSystem,
)
from reports import PlayLink
from reports.filing import FiledReport
from reports.ledger import ChainHead
from reports.planned import PlannedDay, RollupMark
from reports.rollup import ClusterDay, PlayDay, RelayDay, SoundReach, UnplayedItem
from schedules.broadcast import Broadcast
from schedules.bulletin import Bulletin
from schedules.commune_hours import BroadcastSlot, CommuneQuietHours
from schedules.emergency_order import EmergencyOrder
from schedules.hamlet import HamletGroup
from schedules.lease import LeaderLease
from schedules.legal_field import LegalField
from schedules.program_record import ProgramItemRecord, ProgramRecord, ScheduleRule
from schedules.province_program import ProvinceProgram
from schedules.publication import CommunePlaylist
from schedules.published_item import PublishedItem
from schedules.series import AudiobookSeries, SeriesChapter
from schedules.stock_message import StockLanguage, StockLibrary, StockMessage
from schedules.stream_source import CommuneRelayFill, StreamSource
from schedules.translation import BulletinTranslation
from tts.lexicon import LexiconEntry
from tts.speech_cache import SpeechCacheEntry

metadata = SQLModel.metadata

__all__ = [
    "Alert",
    "AudioAsset",
    "AudiobookSeries",
    "AuditEntry",
    "Broadcast",
    "BroadcastSlot",
    "Bulletin",
    "BulletinTranslation",
    "ChainHead",
    "ClusterDay",
    "Commune",
    "CommunePlaylist",
    "CommuneQuietHours",
    "CommuneRelayFill",
    "Device",
    "DeviceBirth",
    "DeviceCommand",
    "DeviceHealth",
    "EmergencyOrder",
    "FiledReport",
    "Hamlet",
    "HamletGroup",
    "HealthEvent",
    "HeartbeatSample",
    "LeaderLease",
    "LegalField",
    "LexiconEntry",
    "LiveGrant",
    "LiveOnAir",
    "LiveSession",
    "LiveSessionCommune",
    "LoginFailure",
    "LoginSession",
    "OutboxMessage",
    "PlannedDay",
    "PlayDay",
    "PlayLink",
    "PlayRecord",
    "ProgramItemRecord",
    "ProgramRecord",
    "Province",
    "ProvinceProgram",
    "PublishedItem",
    "RelayDay",
    "RollupMark",
    "ScheduleRule",
    "SeriesChapter",
    "SoundReach",
    "SourceApprover",
    "SourceDelivery",
    "SourceItemBulletin",
    "SourceItemRecord",
    "SourceNonce",
    "SourceSystem",
    "SpeechCacheEntry",
    "StockLanguage",
    "StockLibrary",
    "StockMessage",
    "StreamSource",
    "UnplayedItem",
    "UptimeDay",
    "User",
    "UserCommune",
    "metadata",
]
