"""Bulletins and their approval, broadcasts, and playlists compiled per commune."""

from schedules.broadcast import Broadcast, BroadcastCreate, BroadcastPublic, schedule_broadcast
from schedules.bulletin import (
    Bulletin,
    BulletinCreate,
    BulletinPublic,
    BulletinStatus,
    approve,
    check_reviewable,
    reject,
    submit,
)
from schedules.errors import (
    BulletinNotFound,
    InvalidTransition,
    InvalidValidityWindow,
    NotApproved,
    NotInValidity,
    PlaylistConflict,
    ScheduleError,
    SelfApproval,
    StartInPast,
)
from schedules.playlist import PlaylistEntry, compile_playlist
from schedules.publication import CommunePlaylist, current_playlist, notice_for, publish_playlist, republish_all
from schedules.settings import SchedulerSettings, in_zone

__all__ = [
    "Broadcast",
    "BroadcastCreate",
    "BroadcastPublic",
    "Bulletin",
    "BulletinCreate",
    "BulletinNotFound",
    "BulletinPublic",
    "BulletinStatus",
    "CommunePlaylist",
    "InvalidTransition",
    "InvalidValidityWindow",
    "NotApproved",
    "NotInValidity",
    "PlaylistConflict",
    "PlaylistEntry",
    "ScheduleError",
    "SchedulerSettings",
    "SelfApproval",
    "StartInPast",
    "approve",
    "check_reviewable",
    "compile_playlist",
    "current_playlist",
    "in_zone",
    "notice_for",
    "publish_playlist",
    "reject",
    "republish_all",
    "schedule_broadcast",
    "submit",
]
