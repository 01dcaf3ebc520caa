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
    NotApproved,
    NotInValidity,
    PlaylistConflict,
    ScheduleError,
    SelfApproval,
    StartInPast,
)
from schedules.playlist import PlaylistEntry, compile_playlist
from schedules.publication import CommunePlaylist, current_playlist, notice_for, publish_playlist
from schedules.settings import SchedulerSettings

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
    "notice_for",
    "publish_playlist",
    "reject",
    "schedule_broadcast",
    "submit",
]
