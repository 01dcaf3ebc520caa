"""The link with the province's source information system (hệ thống thông tin nguồn cấp tỉnh).

Content in: signed items from a registered source become bulletins waiting for loaxa's approval
(`receive`), versioned and withdrawable, with the words read by loaxa's speech or a recording of their
own. CAP 1.2 alerts (`province_link.cap`) wait for a provincial officer's confirmation, then air as
emergencies. Results out: proof of play, stations, clusters and bulletins with their schedules, written to
an outbox in the transaction of the change (`enqueue_play`; `watch_changes` on the controller's sessions)
and sent signed (`OutboxSender`). The wire format is `docs/source-link.md`, version 1.
"""

from province_link.bulletin_report import report_bulletin
from province_link.cap import (
    AlertState,
    CapAlert,
    CapAlertNotFound,
    CapAlertNotPending,
    CapAreaCode,
    CapIntakeResult,
    CapRefused,
    CapSourceSetting,
    CapTooLarge,
    parse_cap,
    parse_certificate,
    receive_cap,
)
from province_link.change_report import watch as watch_changes
from province_link.errors import ItemRefused, SourceLinkError, SourceNotAuthenticated, StaleDelivery, VersionConflict
from province_link.feed import FeedHooks, FeedPoller, FeedUnreadable, pull_feed
from province_link.fleet_report import housekeeping, report_cluster, report_station, snapshots_due
from province_link.intake import IntakeResult, receive, still_as_signed
from province_link.item import SourceDelivery, SourceItemBulletin, SourceItemRecord
from province_link.outbox import (
    OutboxMessage,
    OutboxSender,
    ReportNotDelivered,
    enqueue,
    enqueue_play,
    prune,
    report,
)
from province_link.recording import RecordingLoader, fetch_recording
from province_link.settings import SourceLinkSettings
from province_link.source import (
    SIGNATURE_HEADER,
    SOURCE_HEADER,
    SourceApprover,
    SourceNonce,
    SourceSystem,
    authenticate_source,
    parse_public_key,
)
from province_link.wire import (
    LINK_VERSION,
    PRIORITIES,
    Approval,
    ItemAudio,
    ItemReceipt,
    SourceItem,
    SourceMessage,
    Target,
    approval_text,
)

__all__ = [
    "LINK_VERSION",
    "PRIORITIES",
    "SIGNATURE_HEADER",
    "SOURCE_HEADER",
    "AlertState",
    "Approval",
    "CapAlert",
    "CapAlertNotFound",
    "CapAlertNotPending",
    "CapAreaCode",
    "CapIntakeResult",
    "CapRefused",
    "CapSourceSetting",
    "CapTooLarge",
    "FeedHooks",
    "FeedPoller",
    "FeedUnreadable",
    "IntakeResult",
    "ItemAudio",
    "ItemReceipt",
    "ItemRefused",
    "OutboxMessage",
    "OutboxSender",
    "RecordingLoader",
    "ReportNotDelivered",
    "SourceApprover",
    "SourceDelivery",
    "SourceItem",
    "SourceItemBulletin",
    "SourceItemRecord",
    "SourceLinkError",
    "SourceLinkSettings",
    "SourceMessage",
    "SourceNonce",
    "SourceNotAuthenticated",
    "SourceSystem",
    "StaleDelivery",
    "Target",
    "VersionConflict",
    "approval_text",
    "authenticate_source",
    "enqueue",
    "enqueue_play",
    "fetch_recording",
    "housekeeping",
    "parse_cap",
    "parse_certificate",
    "parse_public_key",
    "prune",
    "pull_feed",
    "receive",
    "receive_cap",
    "report",
    "report_bulletin",
    "report_cluster",
    "report_station",
    "snapshots_due",
    "still_as_signed",
    "watch_changes",
]
