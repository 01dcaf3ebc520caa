"""Bulletins and their approval, broadcasts, and playlists compiled per commune."""

from schedules.broadcast import Broadcast, BroadcastCreate, BroadcastPublic, schedule_broadcast
from schedules.bulletin import (
    AudioSource,
    Bulletin,
    BulletinCreate,
    BulletinPublic,
    BulletinStatus,
    approve,
    attach_recording,
    check_audio_editable,
    check_reviewable,
    detach_recording,
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
    "AudioSource",
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
    "attach_recording",
    "check_audio_editable",
    "check_reviewable",
    "compile_playlist",
    "current_playlist",
    "detach_recording",
    "in_zone",
    "notice_for",
    "publish_playlist",
    "reject",
    "republish_all",
    "schedule_broadcast",
    "submit",
]
